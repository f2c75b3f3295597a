"""DAG plans: one reply plans several tool calls with dependencies; the independent ones run at once.

A reply is `{thought, calls: [{id, tool, args, after}]}` (LLMCompiler's idea, one batch per
reply). A call waits for the ids in `after`, and `$N` in its string arguments is replaced by
the result of call N, one of those it waits for (so awk's `$2` stays awk's unless the call
waits for a call 2). The executor checks the plan first: a duplicate or missing id, a cycle
or more than Config.dag_max_calls calls is a corrective observation and nothing runs. Then
every call whose inputs are ready runs on a thread pool of Config.dag_workers, and all the
results come back in one observation with each call's start and end, relative to the
batch, so the trace shows what overlapped. A call whose input failed is skipped. A
final_answer call waits for every other call of its plan; when it runs, the run is answered.
"""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from picoagent.actions.base import Action, ActionParseError, DagCall, DagPlan, ToolCall
from picoagent.actions.jsonparse import first_json_object
from picoagent.config import Config
from picoagent.deadline import Deadline, applied
from picoagent.exec.limits import truncate_middle
from picoagent.exec.shell import reports_failure
from picoagent.models.base import Constraint
from picoagent.observation import Observation
from picoagent.tools.registry import Tool, ToolRegistry, format_validation_error

THOUGHT_MAX = 300
# Calls parsed from one reply at most; Config.dag_max_calls (at most 32) is the limit the
# model is told, and a longer plan gets a corrective observation, not a parse error.
PARSE_MAX_CALLS = 64
REFERENCE = re.compile(r"\$(\d+)(?!\d)")
# What a shell command that succeeded appends to its output: not part of the value a later call uses.
SHELL_SUCCESS = re.compile(r"\n?\[exit code 0\]\Z")
# Each result in the combined observation gets an equal share of the output limit, but at least this.
MIN_RESULT_CHARS = 400


class DagCallReply(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: int
    tool: str = Field(max_length=64)
    args: dict[str, Any] = Field(default_factory=dict)
    after: list[int] = Field(default_factory=list, max_length=PARSE_MAX_CALLS)


class DagReply(BaseModel):
    model_config = ConfigDict(extra="ignore")
    thought: str = Field(default="", max_length=THOUGHT_MAX * 3)
    calls: list[DagCallReply] = Field(min_length=1, max_length=PARSE_MAX_CALLS)


def plan_problem(plan: DagPlan, registry: ToolRegistry, max_calls: int) -> str | None:
    """Why this plan cannot run (too many calls, a duplicate or missing id, an unknown tool, a cycle), or None."""
    if len(plan.calls) > max_calls:
        return f"The plan has {len(plan.calls)} calls; at most {max_calls} are allowed in one plan."
    ids = [call.id for call in plan.calls]
    duplicates = sorted({item for item in ids if ids.count(item) > 1})
    if duplicates:
        return f"Call ids must be unique; {', '.join(map(str, duplicates))} is used twice."
    for call in plan.calls:
        if call.tool not in registry:
            return f"Call {call.id} uses the unknown tool {call.tool!r}. Tools: {', '.join(registry.names)}."
        missing = [item for item in call.after if item not in ids]
        if missing:
            return f"Call {call.id} waits for call {missing[0]}, which is not in the plan. Ids in the plan: {', '.join(map(str, ids))}."
    finals = [call.id for call in plan.calls if call.tool == (registry.final_tool.name if registry.final_tool else None)]
    if len(finals) > 1:
        return f"The plan answers {len(finals)} times (calls {', '.join(map(str, finals))}); give one final answer."
    cycle = _cycle(plan)
    if cycle:
        return f"The calls wait for each other in a cycle ({' -> '.join(map(str, cycle))}), so none of them can run."
    return None


def _cycle(plan: DagPlan) -> list[int] | None:
    """One cycle of the `after` relation (as ids, first repeated at the end), or None."""
    waits = {call.id: call.after for call in plan.calls}
    state: dict[int, str] = {}  # "open" while on the path, "done" after
    path: list[int] = []

    def visit(node: int) -> list[int] | None:
        state[node] = "open"
        path.append(node)
        for target in waits[node]:
            if state.get(target) == "open":
                return path[path.index(target) :] + [target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[node] = "done"
        return None

    for node in waits:  # plans are at most PARSE_MAX_CALLS deep, so recursion is bounded
        if node not in state and (found := visit(node)):
            return found
    return None


def reference_value(text: str) -> str:
    """A result as it goes into a later call's `$N`: without a shell's trailing success status."""
    return SHELL_SUCCESS.sub("", text).strip()


def substitute(value: Any, results: dict[int, str], allowed: set[int]) -> Any:
    """`value` with `$N` in its strings replaced by the result of call N, for N in `allowed`."""
    if isinstance(value, str):
        return REFERENCE.sub(lambda match: results[int(match.group(1))] if int(match.group(1)) in allowed else match.group(0), value)
    if isinstance(value, list):
        return [substitute(item, results, allowed) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, results, allowed) for key, item in value.items()}
    return value


def _failed(observation: Observation) -> bool:
    """A result a later call must not build on: a tool error, or a shell command that did not succeed."""
    return observation.is_error or reports_failure(observation.text)


class DagFormat:
    name = "dag"

    def __init__(self, registry: ToolRegistry, *, config: Config):
        self.registry = registry
        self.config = config
        final = registry.final_tool
        self._final_name = final.name if final else None
        self._finish_schema = self._build_schema([final], 1) if final else None
        # A plan either calls tools or answers, as the instructions say: a small model that may
        # mix them fills the plan with answer after answer, up to dag_max_calls.
        working = self._build_schema([tool for tool in registry if tool is not final], config.dag_max_calls)
        self._schema = {"anyOf": [working, self._finish_schema]} if self._finish_schema else working

    @staticmethod
    def _build_schema(tools: list[Tool], max_calls: int) -> dict[str, Any]:
        variants = [
            {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "tool": {"const": tool.name},
                    "args": tool.parameters_schema(),
                    "after": {"type": "array", "items": {"type": "integer"}, "maxItems": max_calls},
                },
                "required": ["id", "tool", "args", "after"],
                "additionalProperties": False,
            }
            for tool in tools
        ]
        return {
            "type": "object",
            "properties": {
                "thought": {"type": "string", "maxLength": THOUGHT_MAX},
                "calls": {"type": "array", "items": {"anyOf": variants}, "minItems": 1, "maxItems": max_calls},
            },
            "required": ["thought", "calls"],
            "additionalProperties": False,
        }

    def instructions(self) -> str:
        final = self._final_name or "final_answer"
        return (
            "You are an agent that completes tasks by calling tools. Each reply is a plan of tool calls.\n"
            'Reply with exactly one JSON object: {"thought": "...", "calls": [{"id": 1, "tool": "<tool name>", "args": {...}, "after": []}, ...]}, and nothing else.\n'
            f"Calls that do not wait for each other run at the same time. At most {self.config.dag_max_calls} calls per plan.\n"
            'A call that needs the result of call N lists N in "after" and writes $N in its arguments where that result goes.\n'
            f"After each plan you see all its results. Then reply with the next plan, or, when you know the answer, with a plan whose call is {final}.\n\n"
            f"Tools:\n{self.registry.prompt_text()}"
        )

    def constraint(self, *, finish: bool = False) -> Constraint:
        return Constraint(schema=self._finish_schema if finish and self._finish_schema else self._schema)

    def parse(self, text: str) -> DagPlan:
        try:
            data = first_json_object(text, preferred_keys=("calls",))
        except ValueError as exc:
            raise ActionParseError(
                f"Your reply was not a plan: {exc}. "
                'Reply with one JSON object: {"thought": "...", "calls": [{"id": 1, "tool": "<tool name>", "args": {...}, "after": []}]}'
            ) from None
        try:
            reply = DagReply.model_validate(data)
        except ValidationError as exc:
            raise ActionParseError(
                f"Your plan is invalid: {format_validation_error(exc)}. "
                'It needs "thought" and "calls", a list of {"id": <number>, "tool": "<tool name>", "args": {...}, "after": [<ids>]}.'
            ) from None
        calls = [DagCall(id=call.id, tool=call.tool, args=call.args, after=list(dict.fromkeys(call.after))) for call in reply.calls]
        return DagPlan(thought=reply.thought, calls=calls)

    def render_call(self, call: ToolCall) -> str:
        plan = {"thought": call.thought, "calls": [{"id": 1, "tool": call.tool, "args": call.args, "after": []}]}
        return json.dumps(plan, ensure_ascii=False)

    def render_observation(self, observation: Observation) -> str:
        label = "Error" if observation.is_error else "Observation"
        return f"{label}:\n{observation.text}"

    def executor(self) -> DagExecutor:
        return DagExecutor(self.registry, workers=self.config.dag_workers, max_calls=self.config.dag_max_calls)


class DagExecutor:
    """Runs a plan's calls as their inputs become ready, at most `workers` at once."""

    def __init__(self, registry: ToolRegistry, *, workers: int, max_calls: int):
        self.registry = registry
        self.workers = workers
        self.max_calls = max_calls

    def execute(self, action: Action, *, deadline: Deadline | None = None) -> Observation:
        if not isinstance(action, DagPlan):
            return Observation(text="This format runs plans of tool calls only.", is_error=True)
        problem = plan_problem(action, self.registry, self.max_calls)
        if problem:
            return Observation(text=f"{problem} Nothing was run; send a corrected plan.", is_error=True)
        final = self.registry.final_tool
        waits = {
            call.id: set(call.after) | ({other.id for other in action.calls if other.id != call.id} if final and call.tool == final.name else set())
            for call in action.calls
        }
        calls = {call.id: call for call in action.calls}
        records: dict[int, dict[str, Any]] = {}
        observations: dict[int, Observation] = {}
        values: dict[int, str] = {}
        started = time.perf_counter()

        def run(call: DagCall) -> Observation:
            args = substitute(call.args, values, set(call.after))
            records[call.id]["args"] = args
            records[call.id]["start_s"] = round(time.perf_counter() - started, 3)
            with applied(deadline):  # a context variable: set in the worker thread itself
                observation = self.registry.call(call.tool, args)
            records[call.id]["end_s"] = round(time.perf_counter() - started, 3)
            return observation

        pending = dict(calls)
        running: dict[Future[Observation], int] = {}
        with ThreadPoolExecutor(max_workers=min(self.workers, len(calls)), thread_name_prefix="picoagent-dag") as pool:
            while pending or running:
                for call_id in [item for item in pending if waits[item] <= observations.keys()]:
                    call = pending.pop(call_id)
                    records[call_id] = {"id": call_id, "tool": call.tool, "after": call.after}
                    failed = sorted(item for item in waits[call_id] if _failed(observations[item]))
                    if failed:
                        text = f"skipped: call {failed[0]} failed"
                        observations[call_id] = Observation(text=text, is_error=True)
                        records[call_id].update(args=call.args, skipped=True, error=text)
                    elif deadline is not None and deadline.expired():
                        text = "skipped: the run's time limit was reached"
                        observations[call_id] = Observation(text=text, is_error=True)
                        records[call_id].update(args=call.args, skipped=True, error=text)
                    else:
                        running[pool.submit(run, call)] = call_id
                if not running:
                    # Skips may have made more calls ready. The plan is acyclic and answers at most
                    # once, so some pending call is always ready while nothing runs.
                    continue
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    call_id = running.pop(future)
                    observation = future.result()  # registry.call never raises for what the model sent
                    observations[call_id] = observation
                    values[call_id] = reference_value(observation.text)
                    outcome = observation.tool_calls[0] if observation.tool_calls else {}
                    records[call_id]["error" if observation.is_error else "result"] = outcome.get("error", outcome.get("result", observation.text))[:2000]
        return self._combine(action, observations, records)

    def _combine(self, plan: DagPlan, observations: dict[int, Observation], records: dict[int, dict[str, Any]]) -> Observation:
        share = max(MIN_RESULT_CHARS, self.registry.output_limit // len(plan.calls))
        sections, keys = [], []
        for call in plan.calls:
            observation, record = observations[call.id], records[call.id]
            body = truncate_middle(observation.text, share)
            timing = "" if record.get("skipped") else f" ({record['start_s']:.2f}-{record['end_s']:.2f}s)"
            mark = " error" if _failed(observation) else ""
            sections.append(f"[{call.id}] {call.tool}{mark}{timing}:\n{body}")
            keys.append(f"[{call.id}] {call.tool}{mark}:\n{body}")
        answers = [observations[call.id].final_answer for call in plan.calls if observations[call.id].final_answer is not None]
        return Observation(
            text="\n\n".join(sections),
            is_error=all(observation.is_error for observation in observations.values()),
            final_answer=answers[0] if answers else None,
            tool_calls=[records[call.id] for call in plan.calls],
            repeat_key="\n\n".join(keys),  # the same results, whatever their timings
        )

    def close(self) -> None:
        pass
