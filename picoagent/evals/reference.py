"""Check the checkers: a task's reference solution must pass and a wrong answer must fail."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from picoagent.evals.checkers import CheckResult, check_task
from picoagent.evals.tasks import ReferenceStep, Task
from picoagent.evals.workspace import SetupError, prepared, run_command, snapshot
from picoagent.exec.shell import reports_failure
from picoagent.observation import Observation
from picoagent.tools.builtin import builtin_tools
from picoagent.tools.registry import ToolRegistry

WRONG_ANSWER = "I could not work this out."


@dataclass
class Verification:
    task: Task
    reference: list[CheckResult]
    wrong: list[CheckResult]
    error: str | None = None

    @property
    def ok(self) -> bool:
        if self.error:
            return False
        scored_wrong = [r for r in self.wrong if not r.skipped]
        return all(r.passed or r.skipped for r in self.reference) and any(not r.passed for r in scored_wrong)


def step_failed(step: ReferenceStep, observation: Observation) -> bool:
    """A step failed when its observation is an error (a tool that raised, arguments it refused)
    or, for the shell, when the command exited non-zero or timed out: what a model should read
    as "that did not work". The shell tool reports exit codes in its text, not as errors."""
    return observation.is_error or (step.tool == "shell" and reports_failure(observation.text))


def replay_steps(task: Task, workspace: Path) -> list[Observation]:
    """Run the reference steps with the built-in tools a run has; one observation per step.

    A step that fails without `expect_error`, or one marked `expect_error` that succeeds,
    is a SetupError naming the task and the step.
    """
    steps = task.reference.steps if task.reference else []
    registry = ToolRegistry(builtin_tools(workspace))
    observations: list[Observation] = []
    try:
        for number, step in enumerate(steps, 1):
            observation = registry.call(step.tool, step.args)
            failed = step_failed(step, observation)
            where = f"{task.key}: reference step {number} ({step.tool})"
            if failed and not step.expect_error:
                raise SetupError(f"{where} failed: {observation.text.strip()[-300:]}")
            if step.expect_error and not failed:
                raise SetupError(f"{where} is marked expect_error but succeeded: {observation.text.strip()[-300:]}")
            observations.append(observation)
    finally:
        registry.close()
    return observations


def apply_reference(task: Task, workspace: Path) -> str | None:
    """Run the reference solution in a prepared workspace and return its answer."""
    reference = task.reference
    if reference is None:
        raise SetupError(f"{task.key} has no reference solution")
    if reference.steps:
        return replay_steps(task, workspace)[-1].final_answer
    if reference.patch:
        patch_file = workspace / ".reference.patch"
        patch_file.write_text(reference.patch)
        done = run_command("git apply .reference.patch && rm .reference.patch", workspace)
        if done.returncode != 0:
            raise SetupError(f"{task.key}: reference patch does not apply: {done.stderr.strip()[:300]}")
    stdout = None
    for command in reference.commands:
        done = run_command(command, workspace)
        if done.returncode != 0:
            raise SetupError(f"{task.key}: reference command failed (exit {done.returncode}): {command[:100]!r}: {done.stderr.strip()[:300]}")
        stdout = done.stdout
    if reference.answer is not None:
        return reference.answer
    return stdout.strip() if stdout is not None else None


def _in_fresh_workspace(task: Task, solve: bool) -> list[CheckResult]:
    with tempfile.TemporaryDirectory(prefix="picoagent-verify-") as tmp:
        workspace = Path(tmp).resolve()
        with prepared(task, workspace):
            before = snapshot(task, workspace)
            answer = apply_reference(task, workspace) if solve else WRONG_ANSWER
            return check_task(task, answer, workspace, before)


def verify(task: Task) -> Verification:
    """Reference in one fresh workspace, an untouched workspace with a wrong answer in another."""
    try:
        return Verification(task, _in_fresh_workspace(task, solve=True), _in_fresh_workspace(task, solve=False))
    except SetupError as exc:
        return Verification(task, [], [], error=str(exc))
