"""Build a task's fresh workspace: git repository, copied data, files, setup commands, fixture."""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from picoagent.errors import PicoagentError
from picoagent.evals.tasks import Task, UnchangedCheck, import_file
from picoagent.exec.environment import command_env

COMMAND_TIMEOUT_S = 120.0
# Fixed identity and dates so that every workspace's repository has the same commit ids.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "picoagent eval",
    "GIT_AUTHOR_EMAIL": "eval@picoagent.invalid",
    "GIT_COMMITTER_NAME": "picoagent eval",
    "GIT_COMMITTER_EMAIL": "eval@picoagent.invalid",
    "GIT_AUTHOR_DATE": "2024-01-01T12:00:00+00:00",
    "GIT_COMMITTER_DATE": "2024-01-01T12:00:00+00:00",
    "GIT_CONFIG_NOSYSTEM": "1",
}


class SetupError(PicoagentError):
    """A task's workspace could not be prepared: the task is broken, not the agent."""


def run_command(command: str, workspace: Path, *, timeout: float = COMMAND_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    """Run a shell command in the workspace; stdout and stderr are kept apart."""
    try:
        return subprocess.run(
            ["bash", "-c", command],
            cwd=workspace,
            env={**command_env(), **GIT_ENV},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            start_new_session=True,  # so a stray background child cannot hold our pipes' group
        )
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(command, 124, "", f"timed out after {timeout:.0f}s")


def _checked(command: str, workspace: Path, what: str) -> str:
    done = run_command(command, workspace)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise SetupError(f"{what} failed (exit {done.returncode}): {command[:120]!r}: {' | '.join(detail)}")
    return done.stdout


def _write(workspace: Path, relative: str, content: str) -> None:
    target = (workspace / relative).resolve()
    if not target.is_relative_to(workspace):
        raise SetupError(f"setup file {relative!r} is outside the workspace")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(content, encoding="utf-8")


def _build_repo(task: Task, workspace: Path) -> None:
    _checked("git init -q -b main . && git config user.name 'picoagent eval' && git config user.email eval@picoagent.invalid", workspace, "git init")
    for commit in task.setup.repo:
        for relative, content in commit.files.items():
            _write(workspace, relative, content)
        for relative in commit.delete:
            (workspace / relative).unlink()
        message = commit.message.replace("'", "'\\''")
        _checked(f"git add -A && git commit -q -m '{message}'", workspace, "git commit")


def _copy(task: Task, workspace: Path) -> None:
    base = task.source.parent
    for relative in task.setup.copy_:
        source = (base / relative).resolve()
        target = workspace / Path(relative).name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.is_file():
            shutil.copy2(source, target)
        else:
            raise SetupError(f"{task.key}: setup.copy: {relative!r} not found next to {task.source.name}")


def _fixture(task: Task) -> Any:
    spec = task.setup.fixture or ""
    location, _, function = spec.rpartition(":")
    if not location or not function:
        raise SetupError(f"{task.key}: setup.fixture must be 'file.py:function' or 'package.module:function', got {spec!r}")
    if location.endswith(".py"):
        module = import_file(task.source.parent / location)
    else:
        import importlib

        module = importlib.import_module(location)
    if not hasattr(module, function):
        raise SetupError(f"{task.key}: fixture {spec!r}: no function {function!r}")
    return getattr(module, function)


def snapshot(task: Task, workspace: Path) -> dict[str, str | None]:
    """Hashes of the files `unchanged` checks protect, taken right after setup."""
    hashes: dict[str, str | None] = {}
    for check in task.checks:
        if isinstance(check, UnchangedCheck):
            for relative in check.paths:
                path = workspace / relative
                hashes[relative] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    return hashes


@contextlib.contextmanager
def prepared(task: Task, workspace: Path) -> Iterator[dict[str, str]]:
    """Set up `workspace` for `task`; yields the fixture's variables (empty without a fixture).

    A fixture is a function(workspace) returning a context manager that yields a dict of
    strings, e.g. {"url": "http://127.0.0.1:8123"}; `${url}` in the instruction is replaced.
    It stays up until the task's checks have run.
    """
    workspace = workspace.resolve()
    if task.setup.repo:
        _build_repo(task, workspace)
    _copy(task, workspace)
    for relative, content in task.setup.files.items():
        _write(workspace, relative, content)
    for command in task.setup.commands:
        _checked(command, workspace, "setup command")
    if task.setup.fixture is None:
        yield {}
        return
    with _fixture(task)(workspace) as variables:
        yield {str(k): str(v) for k, v in (variables or {}).items()}
