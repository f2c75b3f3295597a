"""Run tasks with workers: each (task, run) in a fresh workspace, checked, and appended to the results.

`run_eval` decides what to run (what the results directory lacks) and writes what comes back;
a Runner decides where the runs happen. `ThreadRunner`, the default, runs them in threads of
this process sharing one model object: the embedded LocalModel serializes its calls with a
lock (one llama.cpp context), so N workers overlap tool execution and setup with generation
but never load N copies of the weights; an OpenAI-compatible server gets N concurrent request
streams. `picoagent.evals.ray_runner.RayRunner` runs them on a Ray cluster, one model per
worker process.
"""

from __future__ import annotations

import string
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from picoagent.agent.loop import Result
from picoagent.agent.reflect import write_lesson
from picoagent.agent.session import run_task
from picoagent.config import Config
from picoagent.deadline import Deadline
from picoagent.errors import ConfigError, PicoagentError
from picoagent.evals.checkers import check_task
from picoagent.evals.results import ResultsDir
from picoagent.evals.tasks import Task
from picoagent.evals.workspace import prepared, snapshot
from picoagent.memory.lessons import LessonStore
from picoagent.models import load_model
from picoagent.models.base import Model
from picoagent.tempdirs import owned_temp_dir, remove_temp_dir
from picoagent.trace.recorder import TRACE_NAME, new_run_id

# What gives each task its model, within one worker process.
ModelFor = Callable[[Task], Model]
# Called once in each worker process (the driver, for threads): a loaded model cannot travel
# between processes, so a Ray worker receives this and loads its own.
ModelSource = Callable[[], ModelFor]
# Told which (task, run) has just started, for a progress display.
StartHook = Callable[[Task, int], None]


@dataclass(frozen=True)
class LoadModel:
    """A model named by its `--model` spec, loaded where the runs happen: once per worker process."""

    spec: str
    n_ctx: int = 8192

    def load(self) -> Model:
        return load_model(self.spec, n_ctx=self.n_ctx)

    def __call__(self) -> ModelFor:
        model = self.load()
        return lambda task: model


@dataclass(frozen=True)
class GivenModels:
    """A model, or a function giving each task its own, already at hand in this process."""

    model_for: ModelFor

    def __call__(self) -> ModelFor:
        return self.model_for


def model_source(model: Model | ModelFor | LoadModel) -> ModelSource:
    if isinstance(model, LoadModel):
        return model
    if isinstance(model, Model):
        return GivenModels(lambda task: model)
    return GivenModels(model)


@dataclass
class EvalOptions:
    model_spec: str
    actions: str | None = None
    runs: int = 1
    workers: int = 1
    # Caps on every task's own limits (None: the task's limits apply).
    max_steps: int | None = None
    timeout: float | None = None
    # Worked examples shown before each task (None: the model's default; see Config.examples).
    examples: int | None = None
    # Sandbox mode for every run (None: Config's default, from PICOAGENT_SANDBOX or auto).
    sandbox: str | None = None
    # Past the task's timeout, how long a run may take to stop (a kernel interrupted, then
    # restarted), and then, cancelled, to stop after all before it is abandoned.
    guard_grace_s: float = 30.0
    # A judge named by spec (LoadModel) is loaded by each worker process that needs it.
    judge: Model | LoadModel | None = None

    def with_judge_loaded(self) -> EvalOptions:
        return replace(self, judge=self.judge.load()) if isinstance(self.judge, LoadModel) else self
    # The critic every run gets (None: Config's default, from PICOAGENT_CRITIC or off).
    critic: str | None = None
    # Reflexion: after a failed run the model writes a lesson that the task's next run sees.
    reflect: bool = False

    def meta(self) -> dict[str, Any]:
        return {
            "model": self.model_spec,
            "actions": self.actions or "default",
            "examples": "default" if self.examples is None else self.examples,
            "max_steps": self.max_steps,
            "timeout": self.timeout,
            "critic": self.critic or "off",
            "reflect": self.reflect,
        }


def _limited(task: Task, options: EvalOptions) -> tuple[int, float]:
    steps = min(task.limits.max_steps, options.max_steps or task.limits.max_steps)
    timeout = min(task.limits.timeout, options.timeout or task.limits.timeout)
    return steps, timeout


def _guarded(function: Callable[[], Result], deadline: Deadline, grace_s: float) -> Result | None:
    """Run `function` in a daemon thread until it returns; None if it outlives `deadline` by
    twice `grace_s` (cancelled after the first).

    The run's model calls and tools all stop at its deadline, so it ends on its own and the
    next task never overlaps it. The guard is for a call that ignores the deadline (a model
    or tool from outside picoagent): such a thread cannot be killed, only left behind.
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = function()
        except BaseException as exc:  # re-raised in the worker, with the task named
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True, name="eval-task")
    thread.start()
    thread.join(deadline.remaining() + grace_s)
    if thread.is_alive():
        deadline.cancel()
        thread.join(grace_s)
    if thread.is_alive():
        return None
    if "error" in box:
        raise box["error"]
    return box["result"]


def make_record(task: Task, run: int, **fields: Any) -> dict[str, Any]:
    base = {
        "suite": task.suite,
        "task": task.id,
        "run": run,
        "passed": False,
        "status": "error",
        "answer": None,
        "steps": 0,
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "invalid_actions": 0,
        "wall_s": 0.0,
        "checks": [],
        "judged": False,
        "error": None,
        "run_id": None,
        "trace_path": None,
        "last_call": None,
        "review": None,
        "lessons_seen": 0,
        "lesson": None,
    }
    return {**base, **fields, "finished_at": time.time()}


def run_one(
    task: Task,
    run: int,
    model: Model,
    options: EvalOptions,
    runs_dir: Path,
    *,
    eval_deadline: Deadline | None = None,
    lessons: LessonStore | None = None,
) -> dict[str, Any]:
    """Set up, run and check one (task, run); never raises for a problem of the task or the model.

    The run's deadline is the task's timeout, within `eval_deadline`: cancelling that stops it.
    With `lessons`, the run sees the lessons of the task's earlier failed runs, and a failed
    run writes one, within a deadline of the task's timeout again.
    """
    started = time.monotonic()
    max_steps, timeout = _limited(task, options)
    workspace = owned_temp_dir(f"picoagent-eval-{task.id}-")
    try:
        with prepared(task, workspace) as variables:
            before = snapshot(task, workspace)
            instruction = string.Template(task.instruction).safe_substitute(variables)
            config = Config(
                model=options.model_spec,
                actions=options.actions,
                workspace=workspace,
                toolsets=task.toolsets,
                runs_dir=runs_dir,
                max_steps=max_steps,
                max_wall_s=timeout,
                examples=options.examples,
                **({"sandbox": options.sandbox} if options.sandbox else {}),
                **({"critic": options.critic} if options.critic else {}),
            )
            seen = lessons.for_task(task.key, run) if lessons is not None else []
            tools = task.tools(workspace) if task.tools else []
            run_id, deadline = new_run_id(), (eval_deadline or Deadline()).within(timeout)
            result = _guarded(
                lambda: run_task(instruction, config, model=model, extra_tools=tools, deadline=deadline, run_id=run_id, lessons=seen),
                deadline,
                options.guard_grace_s,
            )
            if result is None:
                return make_record(
                    task,
                    run,
                    status="timeout",
                    wall_s=time.monotonic() - started,
                    error=f"abandoned {2 * options.guard_grace_s:.0f}s past its deadline, cancelled: a model or tool call ignored the deadline",
                    run_id=run_id,
                    trace_path=str(runs_dir / run_id / TRACE_NAME),
                )
            checks = check_task(task, result.answer, workspace, before, options.judge)
        passed = all(c.passed for c in checks)
        lesson = None
        if lessons is not None and not passed and result.trace_path:
            reflection = write_lesson(model, instruction, result.trace_path, deadline=(eval_deadline or Deadline()).within(timeout))
            if reflection.lesson:
                lesson = reflection.lesson
                lessons.add(task.key, run, lesson)
        return make_record(
            task,
            run,
            passed=passed,
            status=result.status,
            answer=result.answer,
            steps=result.steps,
            prompt_tokens=result.usage.prompt_tokens,
            completion_tokens=result.usage.completion_tokens,
            invalid_actions=result.invalid_actions,
            wall_s=round(result.wall_s, 3),
            checks=[c.to_dict() for c in checks],
            judged=any(c.type == "judge" and not c.skipped for c in checks),
            error=result.error,
            run_id=result.run_id,
            trace_path=result.trace_path,
            last_call=result.last_call,
            review=result.review,
            lessons_seen=len(seen),
            lesson=lesson,
        )
    except PicoagentError as exc:
        return make_record(task, run, status="error", wall_s=time.monotonic() - started, error=str(exc))
    except Exception as exc:  # a bug must cost one record, not the rest of a long eval
        return make_record(task, run, status="error", wall_s=time.monotonic() - started, error=f"{type(exc).__name__}: {exc}")
    finally:
        remove_temp_dir(workspace)


Job = tuple[Task, int]


class Runner(Protocol):
    """Where the runs of an eval happen."""

    def run(
        self, jobs: list[Job], models: ModelSource, options: EvalOptions, runs_dir: Path, *, on_start: StartHook | None = None
    ) -> Iterator[tuple[Task, dict[str, Any]]]:
        """Yield (task, record) for every job as it finishes, in any order, its trace under `runs_dir`.

        `on_start(task, run)` is called as each job starts (for a progress display). Closing the
        iterator early (Ctrl-C, a failed write) stops the runs in flight.
        """
        ...


@dataclass
class ThreadRunner:
    """Runs in this process's threads, sharing one model object (see the module's docstring).

    With `lessons` (`eval --reflect`), run k of a task must see the lesson of run k - 1: the
    runs go in waves, one per run index, each wave's tasks in parallel.
    """

    workers: int = 1
    lessons: LessonStore | None = None

    def run(
        self, jobs: list[Job], models: ModelSource, options: EvalOptions, runs_dir: Path, *, on_start: StartHook | None = None
    ) -> Iterator[tuple[Task, dict[str, Any]]]:
        model_for, options = models(), options.with_judge_loaded()

        def start(task: Task, run: int) -> dict[str, Any]:
            if on_start is not None:
                on_start(task, run)
            return run_one(task, run, model_for(task), options, runs_dir, eval_deadline=eval_deadline, lessons=self.lessons)

        waves = [[job for job in jobs if job[1] == run] for run in sorted({run for _, run in jobs})] if self.lessons else [jobs]
        eval_deadline = Deadline()  # no end of its own; cancelled, it stops the runs in flight
        with ThreadPoolExecutor(max_workers=max(self.workers, 1), thread_name_prefix="eval-worker") as pool:
            for wave in waves:
                futures = {pool.submit(start, task, run): task for task, run in wave}
                try:
                    for future in as_completed(futures):
                        yield futures[future], future.result()
                finally:  # closed early: finish nothing new; what is written stays for the resume
                    for future in futures:
                        future.cancel()
                    if not all(future.done() for future in futures):
                        eval_deadline.cancel()  # and the runs in flight stop now, not at their timeouts


def choose_runner(workers: int, ray: str | None = None, ray_workers: int | None = None, ray_cpus: float = 1.0) -> Runner:
    """Threads, or with `ray` (an address, or "local" for a local instance) a Ray cluster."""
    if ray is None:
        return ThreadRunner(workers)
    from picoagent.evals.ray_runner import RayRunner

    return RayRunner(ray, ray_workers or workers, ray_cpus)


def run_eval(
    tasks: list[Task],
    model: Model | ModelFor | LoadModel,
    options: EvalOptions,
    results: ResultsDir,
    *,
    runner: Runner | None = None,
    on_record: Callable[[dict[str, Any]], None] | None = None,
    review: Callable[[Task, dict[str, Any]], dict[str, Any]] | None = None,
    on_start: StartHook | None = None,
) -> tuple[int, int]:
    """Run every (task, run) not already in `results`; returns (run now, skipped as done).

    `model` is one model for every task, a function giving each task its own (the replays
    of `picoagent train generate`), or a spec each worker process loads (what a Ray runner
    needs); `runner` defaults to threads, `options.workers` of them; `review` may amend a
    record before it is written; `on_start(task, run)` hears each run start.
    """
    done = results.finished()
    pending = [(task, run) for run in range(options.runs) for task in tasks if (task.key, run) not in done]
    skipped = len(tasks) * options.runs - len(pending)
    runner = runner or ThreadRunner(options.workers)
    if options.reflect:  # the lessons live in the results directory, beside the records
        if not isinstance(runner, ThreadRunner):
            raise ConfigError("--reflect runs on this machine's threads: drop --ray")
        runner = replace(runner, lessons=LessonStore(results.path))
    with closing(runner.run(pending, model_source(model), options, results.path / "runs", on_start=on_start)) as finished:
        for task, record in finished:
            if review is not None:
                record = review(task, record)
            results.append(record)
            if on_record is not None:
                on_record(record)
    return len(pending), skipped
