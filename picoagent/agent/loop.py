"""The agent loop: ask the model for an action, run it, show the result, until done or a limit."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from picoagent.actions.base import ActionFormat, ActionParseError, Executor
from picoagent.agent.critic import Critic, Evidence
from picoagent.config import Config
from picoagent.deadline import Deadline
from picoagent.errors import ModelError
from picoagent.memory.context import Context
from picoagent.memory.examples import Example, demonstration
from picoagent.memory.lessons import with_lessons
from picoagent.models.base import (
    DEADLINE_REACHED,
    Completion,
    ContextOverflowError,
    Model,
    TextSink,
    Usage,
)
from picoagent.safetext import clean_text
from picoagent.trace.recorder import Recorder

Status = Literal["answered", "rejected", "max_steps", "max_tokens", "timeout", "stuck", "invalid_output", "context_full", "model_error"]

REPEAT_WARNING = (
    "\nNote: you have now run this exact action {count} times in a row and it gave the same result each time. "
    "Do something different, or call final_answer if you know the answer."
)
# A run that would end at its step limit or stuck gets one last call that may only answer
# (Config.answer_at_limit): often the answer is already in the transcript, and a tiny model
# that repeats itself has usually seen it and just not stopped.
LAST_CALL = {
    "max_steps": "You have used all your steps. Do not call any more tools: give your final answer now, from what you found so far.",
    "stuck": "You keep repeating the same action. Do not call any more tools: give your final answer now, from what you found so far.",
}
# A rejected answer goes back to the model as this user turn (see picoagent/agent/critic.py).
CRITIQUE = "Your answer was not accepted: {critique}\nKeep working on the task, then call final_answer again."


@dataclass
class Result:
    status: Status
    answer: str | None
    steps: int
    usage: Usage
    run_id: str | None = None
    error: str | None = None
    invalid_actions: int = 0
    wall_s: float = 0.0
    trace_path: str | None = None
    # The limit ("max_steps" or "stuck") after which the model was asked once more for the
    # answer (see LAST_CALL), or None: tells an answer given under pressure from a free one.
    last_call: str | None = None
    # The critic's verdict on the answer the run ended with: "accepted", "rejected", or None
    # (no critic, or it could not decide).
    review: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "answered"

    @property
    def guessed(self) -> bool:
        """An answer given only because the last call forced it, and no critic accepted it."""
        return self.status == "answered" and self.last_call is not None and self.review != "accepted"

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "answer": self.answer,
            "steps": self.steps,
            "usage": self.usage.to_dict(),
            "run_id": self.run_id,
            "error": self.error,
            "invalid_actions": self.invalid_actions,
            "wall_s": round(self.wall_s, 3),
            "trace_path": self.trace_path,
            "last_call": self.last_call,
            "review": self.review,
            "guessed": self.guessed,
        }


@dataclass
class _RunState:
    started: float
    # When the run must end; model calls and tools stop there too, and a caller may cancel it.
    deadline: Deadline
    usage: Usage = field(default_factory=Usage)
    steps: int = 0
    invalid: int = 0
    format_errors: int = 0  # consecutive
    # The last (action, observation) pair: an action repeated with the same result is a loop;
    # the same action with a new result (scrolling, polling) is progress.
    last_outcome: tuple[str, str] | None = None
    repeats: int = 0
    last_prompt_tokens: int = 0
    # Set for the last call (see LAST_CALL): how the run ends if that call gives no answer.
    last_call: tuple[Status, str] | None = None
    # What the critic sees: (action, observation) of each step run; reviews so far and the last verdict.
    evidence: list[tuple[str, str]] = field(default_factory=list)
    reviews: int = 0
    review: str | None = None


class Agent:
    """One loop for every action format; planners, critics and evals wrap it, never copy it."""

    def __init__(
        self,
        model: Model,
        action_format: ActionFormat,
        config: Config,
        *,
        recorder: Recorder | None = None,
        on_event: Callable[[str, dict[str, Any]], None] | None = None,
        examples: Sequence[Example] = (),
        executor: Executor | None = None,
        on_text: TextSink | None = None,
        critic: Critic | None = None,
        lessons: Sequence[str] = (),
    ):
        self.model = model
        self.format = action_format
        self.config = config
        self.recorder = recorder
        self.on_event = on_event
        # Worked examples shown before the task (picoagent/memory/examples.py).
        self.examples = list(examples)
        # An executor the caller owns and keeps across runs (chat: one kernel for every turn);
        # by default each run gets a fresh one from the format and closes it.
        self.executor = executor
        # Receives the model's text as it is generated, where the backend can stream.
        self.on_text = on_text
        # The transcript of the last run, which a follow-up task continues (Context.follow_up).
        self.context: Context | None = None
        self.critic = critic
        # Lessons from earlier failed attempts at this task (`eval --reflect`), shown with it.
        self.lessons = list(lessons)

    def _emit(self, kind: str, **data: Any) -> None:
        if self.recorder is not None:
            self.recorder.event(kind, **data)
        if self.on_event is not None:
            self.on_event(kind, data)

    def _limit_reached(self, state: _RunState) -> Status | None:
        # Tokens and time first: a run out of either gets no last call, whatever its steps.
        if state.usage.total_tokens >= self.config.max_total_tokens:
            return "max_tokens"
        if state.deadline.expired():
            return "timeout"
        if state.steps >= self.config.max_steps:
            return "max_steps"
        return None

    def _complete(self, context: Context, state: _RunState) -> Completion:
        """One model call, condensing the transcript first if it would not fit."""
        if not context.fits(state.last_prompt_tokens, self.config.step_max_tokens):
            self._condense(context)
        constraint = self.format.constraint(finish=state.last_call is not None)
        limits: dict[str, Any] = {"constraint": constraint, "max_tokens": self.config.step_max_tokens, "deadline": state.deadline}
        if self.on_text is not None:  # only then: a Model without streaming need not know the keyword
            limits["on_text"] = self.on_text
        try:
            completion = self.model.complete(context.messages, **limits)
        except ContextOverflowError:
            if not self._condense(context):
                raise
            completion = self.model.complete(context.messages, **limits)
        # A server's JSON can carry lone surrogates; everything downstream needs valid Unicode.
        completion.text = clean_text(completion.text)
        return completion

    def _condense(self, context: Context) -> bool:
        """Condense old observations; the trace records each rewrite so a replay sees the same prompt."""
        rewritten = context.condense()
        if rewritten:
            self._emit("context_condensed", rewritten=rewritten)
        return bool(rewritten)

    def _review(self, task: str, answer: str, context: Context, state: _RunState, step: dict[str, Any]) -> str | None:
        """The critique if the critic rejects `answer`; None when it stands (no critic, accepted,
        or no verdict). The review is recorded in the step and its tokens count for the run."""
        if self.critic is None:
            return None
        state.reviews += 1
        review = self.critic.review(Evidence(task, list(state.evidence), list(context.messages), self.examples), answer, deadline=state.deadline)
        state.usage.add(review.usage)
        step["review"] = review.to_dict()
        if review.verdict is None:
            state.review = None
            return None
        state.review = "accepted" if review.verdict.accept else "rejected"
        return None if review.verdict.accept else review.verdict.critique or "the critic gave no reason"

    def run(self, task: str, *, deadline: Deadline | None = None, previous: Context | None = None) -> Result:
        """Run `task` to its end. `deadline` (default: Config.max_wall_s from now) bounds the run,
        its model calls and its tools; cancelling it from another thread ends the run as a timeout.
        `previous`, an earlier run's transcript, makes `task` a follow-up in the same conversation."""
        state = _RunState(started=time.monotonic(), deadline=deadline or Deadline(self.config.max_wall_s))
        if previous is not None:
            context = previous.follow_up(task)
        else:
            context = Context(
                self.format.instructions(),
                with_lessons(task, self.lessons),
                budget_tokens=int(self.config.context_tokens * self.config.context_fill),
                examples=demonstration(self.examples, self.format),
            )
        self.context = context
        self._emit(
            "run_start",
            task=task,
            model=self.model.name,
            actions=self.format.name,
            examples=[example.task for example in self.examples],
            **({"lessons": self.lessons} if self.lessons else {}),
            **({"critic": self.critic.name} if self.critic else {}),
            config=self.config.model_dump(mode="json"),
        )
        executor = self.executor or self.format.executor()

        def finish(status: Status, answer: str | None = None, error: str | None = None) -> Result:
            result = Result(
                status=status,
                answer=answer,
                steps=state.steps,
                usage=state.usage,
                run_id=self.recorder.run_id if self.recorder else None,
                error=error,
                invalid_actions=state.invalid,
                wall_s=time.monotonic() - state.started,
                trace_path=str(self.recorder.path) if self.recorder else None,
                last_call=state.last_call[0] if state.last_call else None,
                review=state.review,
            )
            self._emit("run_end", result=result.to_dict())
            return result

        def timed_out() -> str:
            if state.deadline.cancelled:
                return "the run was cancelled"
            return f"the run's time limit of {state.deadline.seconds:g}s was reached"

        def last_call(status: Status, error: str, observation: str | None = None) -> bool:
            """Ask once for the final answer instead of ending with `status`; False if not allowed."""
            if not self.config.answer_at_limit or state.last_call is not None or self._limit_reached(state) in ("max_tokens", "timeout"):
                return False
            state.last_call = (status, error)
            context.append("user", "\n\n".join(part for part in (observation, LAST_CALL[status]) if part))
            return True

        try:
            while True:
                if state.last_call is None and (stop := self._limit_reached(state)):
                    if stop == "max_steps" and last_call(stop, f"no answer within {self.config.max_steps} steps"):
                        continue
                    return finish(stop, error=timed_out() if stop == "timeout" else None)
                state.steps += 1
                step_started = time.perf_counter()
                try:
                    completion = self._complete(context, state)
                except ModelError as exc:
                    if state.last_call is not None:
                        return finish(state.last_call[0], error=f"{state.last_call[1]}; asking for a final answer failed: {exc}")
                    return finish("context_full" if isinstance(exc, ContextOverflowError) else "model_error", error=str(exc))
                sent = context.new_messages()  # appended since the last call: the trace stores each once
                state.usage.add(completion.usage)
                state.last_prompt_tokens = completion.usage.prompt_tokens + completion.usage.completion_tokens
                context.append("assistant", completion.text)
                context.new_messages()  # the reply is recorded as `raw`, not again as a message
                step: dict[str, Any] = {
                    "step": state.steps,
                    "messages": sent,
                    "raw": completion.text,
                    "usage": completion.usage.to_dict(),
                    "timings": completion.timings.to_dict(),
                }
                if state.last_call is not None:
                    step["last_call"] = state.last_call[0]

                def emit_step(**extra: Any) -> None:
                    # engine_s: the step's own cost, without the model call, the wait for a shared model and the action's execution.
                    timings = completion.timings
                    engine_s = time.perf_counter() - step_started - timings.total_s - timings.wait_s - step.get("exec_s", 0.0)
                    self._emit("step", **step, **extra, engine_s=engine_s)

                if completion.finish_reason == DEADLINE_REACHED or state.deadline.expired():
                    # The reply was cut short, or came too late to act on: recorded, never run.
                    emit_step(cut_off=True, error="the time limit came during the model call; no action was run")
                    return finish("timeout", error=timed_out())

                try:
                    action = self.format.parse(completion.text)
                except ActionParseError as exc:
                    state.invalid += 1
                    state.format_errors += 1
                    context.append("user", str(exc))
                    emit_step(error=str(exc))
                    if state.last_call is not None:
                        return finish(state.last_call[0], error=f"{state.last_call[1]}; asked for a final answer, the model wrote no valid action")
                    if state.format_errors >= self.config.max_format_errors:
                        return finish("invalid_output", error=f"{state.format_errors} invalid outputs in a row; last: {exc}")
                    continue
                state.format_errors = 0
                step["action"] = action.to_dict()

                exec_started = time.perf_counter()
                observation = executor.execute(action, deadline=state.deadline)
                step["exec_s"] = time.perf_counter() - exec_started
                if observation.model_usage is not None:
                    state.usage.add(observation.model_usage)
                step["observation"] = observation.to_dict()
                if observation.final_answer is not None:
                    critique = self._review(task, observation.final_answer, context, state, step)
                    emit_step()
                    if critique is None:
                        return finish("answered", answer=observation.final_answer)
                    if state.last_call is not None or state.reviews >= self.config.critic_max_reviews:
                        return finish("rejected", answer=observation.final_answer, error=f"the critic rejected the answer: {critique}")
                    context.append("user", CRITIQUE.format(critique=critique))
                    continue
                if state.last_call is not None:
                    emit_step(error="no final answer in the last call")
                    did = f"its code failed: {_last_line(observation.text)}" if observation.is_error else "the model did something else"
                    return finish(state.last_call[0], error=f"{state.last_call[1]}; asked for a final answer, {did}")

                state.evidence.append((action.key(), observation.text))

                shown = self.format.render_observation(observation)
                outcome = (action.key(), observation.repeat_key or observation.text)
                state.repeats = state.repeats + 1 if outcome == state.last_outcome else 1
                state.last_outcome = outcome
                if state.repeats >= self.config.repeat_limit:
                    emit_step(error="repeated action")
                    error = f"the same action gave the same result {state.repeats} times in a row"
                    if last_call("stuck", error, observation=shown):
                        continue
                    return finish("stuck", error=error)

                if state.repeats == self.config.repeat_limit - 1:
                    shown += REPEAT_WARNING.format(count=state.repeats)
                context.append("user", shown)
                emit_step()
        finally:
            if executor is not self.executor:
                executor.close()
            if self.recorder is not None:
                self.recorder.close()


def _last_line(text: str, limit: int = 200) -> str:
    """The line that says what went wrong: a traceback's last, e.g. "NameError: name 'answer' is not defined"."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    last = lines[-1] if lines else "no output"
    return last if len(last) <= limit else last[: limit - 1] + "…"
