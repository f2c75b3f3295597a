"""Check the checkers: a task's reference solution must pass and a wrong answer must fail."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from picoagent.evals.checkers import CheckResult, check_task
from picoagent.evals.tasks import Task
from picoagent.evals.workspace import SetupError, prepared, run_command, snapshot

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


def apply_reference(task: Task, workspace: Path) -> str | None:
    """Run the reference solution in a prepared workspace and return its answer."""
    reference = task.reference
    if reference is None:
        raise SetupError(f"{task.key} has no reference solution")
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
