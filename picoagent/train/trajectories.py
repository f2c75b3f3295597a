"""Trajectories: each generated task's reference steps, replayed through the real loop.

A scripted model writes the reference steps as the run's ActionFormat renders them
(`render_call`), and the real tools run them, so every observation is real. A run is an
ordinary eval run of the task (`picoagent.evals.runner.run_one`), recorded as an ordinary
trace under `OUT/<format>/runs/` and as a line of `OUT/<format>/results.jsonl`; only runs
whose checks pass, and whose steps failed exactly where the reference planned a mistake,
become training data (`picoagent train dataset` reads that file the way
it reads any eval's results).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from picoagent.actions import make_format
from picoagent.actions.base import ActionFormat, ToolCall
from picoagent.config import Config
from picoagent.errors import ConfigError
from picoagent.evals.reference import step_failed
from picoagent.evals.results import ResultsDir
from picoagent.evals.runner import EvalOptions, Runner, run_eval
from picoagent.evals.tasks import Task
from picoagent.models.scripted import ScriptedModel
from picoagent.observation import Observation
from picoagent.tools.builtin import builtin_tools
from picoagent.tools.registry import ToolRegistry
from picoagent.trace.recorder import read_events

REFERENCE_MODEL = "reference"


def rendering_format(name: str) -> ActionFormat:
    """An ActionFormat with the built-in tools, used only to render calls (no executor is made)."""
    workspace = Path(tempfile.gettempdir())
    return make_format(name, ToolRegistry(builtin_tools(workspace)), workspace=workspace, config=Config())


def reference_outputs(task: Task, action_format: ActionFormat) -> list[str]:
    """What a model following the task's reference steps would reply, step by step."""
    if task.reference is None or not task.reference.steps:
        raise ConfigError(f"{task.key} has no reference steps to replay")
    return [action_format.render_call(ToolCall(thought=step.thought, tool=step.tool, args=dict(step.args))) for step in task.reference.steps]


def off_plan(task: Task, trace_path: str) -> str | None:
    """Why the recorded run did not go as the reference planned, or None.

    Checks only judge the end. A deliberate mistake that did not fail, or a step that failed
    unplanned, would teach the model to carry on as if nothing had happened.
    """
    assert task.reference is not None
    steps = [event for event in read_events(trace_path) if event["type"] == "step"]
    if len(steps) != len(task.reference.steps):
        return f"the run took {len(steps)} steps, the reference {len(task.reference.steps)}"
    for number, (planned, step) in enumerate(zip(task.reference.steps, steps), 1):
        shown = step.get("observation")
        if shown is None:
            return f"step {number} was not run: {step.get('error', 'no action')}"
        failed = step_failed(planned, Observation(text=shown["text"], is_error=shown["is_error"]))
        if failed != planned.expect_error:
            return f"step {number} {'failed' if failed else 'succeeded'} against the plan: {shown['text'][-200:]}"
    return None


def replay(
    tasks: Sequence[Task],
    action_format_name: str,
    out: Path,
    *,
    workers: int = 1,
    runner: Runner | None = None,
    on_record: Callable[[dict[str, Any]], None] | None = None,
) -> tuple[int, int]:
    """Replay every task not yet in `out` in one format, in `workers` threads or on `runner`;
    returns (run now, skipped as done)."""
    results = ResultsDir(out, {"model": REFERENCE_MODEL, "actions": action_format_name, "max_steps": None, "timeout": None, "suites": sorted({t.suite for t in tasks})})
    renderer = rendering_format(action_format_name)
    options = EvalOptions(model_spec=REFERENCE_MODEL, actions=action_format_name, examples=0, workers=workers)
    outputs = {task.key: reference_outputs(task, renderer) for task in tasks}
    # One step more than the reference needs, so the step limit never cuts a replay short.
    roomy = [task.model_copy(update={"limits": task.limits.model_copy(update={"max_steps": max(task.limits.max_steps, len(outputs[task.key]) + 1)})}) for task in tasks]

    def keep_if_on_plan(task: Task, record: dict[str, Any]) -> dict[str, Any]:
        reason = off_plan(task, record["trace_path"]) if record["passed"] else None
        return {**record, "passed": False, "error": f"off plan: {reason}"} if reason else record

    def reference_model(task: Task) -> ScriptedModel:
        return ScriptedModel(outputs[task.key], name=REFERENCE_MODEL)

    return run_eval(roomy, reference_model, options, results, runner=runner, on_record=on_record, review=keep_if_on_plan)
