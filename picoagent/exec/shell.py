"""Run one shell command in the workspace, bounded in time, output and memory."""

from __future__ import annotations

import codecs
import os
import re
import secrets
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from picoagent.deadline import tool_timeout, wait_for_exit, why_stopped
from picoagent.exec.environment import command_env
from picoagent.exec.cgroup import PidsCgroup
from picoagent.exec.limits import HeadTail, truncate_middle
from picoagent.exec.processes import SHELL_MARKER, ProcessLimits, child_setup, kill_step, reap_leftovers
from picoagent.exec.sandbox import Sandbox


@dataclass
class ShellResult:
    output: str
    exit_code: int | None
    timed_out: bool
    duration_s: float
    # Why the run's deadline, not the command's own timeout, stopped it ("the run's time limit was reached").
    stopped_by: str | None = None

    def describe(self) -> str:
        if self.stopped_by:
            status = f"[stopped after {self.duration_s:.1f}s: {self.stopped_by}; the command and its children were killed]"
        elif self.timed_out:
            status = f"[timed out after {self.duration_s:.0f}s; the command and its children were killed]"
        else:
            status = f"[exit code {self.exit_code}]"
        return f"{self.output.rstrip()}\n{status}" if self.output.strip() else f"(no output)\n{status}"


# unittest exits 0 with "OK" when it finds no tests (Python 3.12 made that exit 5): the 270M model
# ran `python3 -m unittest` beside a tests/ folder in 9 of 9 debug tasks, read "OK" and answered.
_NO_TESTS_RAN = re.compile(r"^Ran 0 tests in \d+\.\d+s$", re.MULTILINE)
_NO_TESTS = "[unittest found no tests where it looked, so nothing was tested."
_SKIPPED_FOLDERS = {"__pycache__", "node_modules", "venv", "site-packages"}


def no_tests_note(workspace: Path) -> str:
    """What to tell a model whose unittest run found nothing: where the test files are, if any."""
    folders = _test_folders(workspace)
    if not folders:
        return f"{_NO_TESTS} Find the test files (ls, or find . -name 'test*.py') and name their folder: python3 -m unittest discover -s FOLDER]"
    return f"{_NO_TESTS} Test files are in {', '.join(f + '/' for f in folders)}: python3 -m unittest discover -s {folders[0]}]"


def _test_folders(workspace: Path, levels: int = 3, limit: int = 3, visits: int = 2000) -> list[str]:
    """Folders up to `levels` below the workspace (not the workspace itself) holding test*.py or
    *_test.py, shallowest first; at most `visits` entries are looked at."""
    found: list[str] = []
    level = [workspace]
    for _ in range(levels + 1):
        below: list[Path] = []
        for folder in level:
            try:
                children = sorted(folder.iterdir())[: max(visits, 0)]
            except OSError:
                continue
            visits -= len(children)
            below += [child for child in children if _searchable_folder(child)]
            if folder != workspace and any(_is_test_file(child) for child in children):
                found.append(str(folder.relative_to(workspace)))
                if len(found) == limit:
                    break
        if len(found) == limit or visits <= 0:
            break
        level = below
    return found


def _searchable_folder(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink() and not path.name.startswith(".") and path.name not in _SKIPPED_FOLDERS


def _is_test_file(path: Path) -> bool:
    return path.suffix == ".py" and (path.name.startswith("test") or path.name.endswith("_test.py")) and path.is_file()


# The status line describe() ends with when the command did not succeed.
_FAILED_STATUS = re.compile(r"\[(?:exit code (?!0\])-?\d+|(?:timed out|stopped) after [^\]]*)\]\Z")


# The status line describe() ends with, whatever the outcome.
_STATUS_LINE = re.compile(r"\[(?:exit code -?\d+|(?:timed out|stopped) after [^\]]*)\]\s*\Z")


def without_status(described: str) -> str:
    """A shell observation without the engine's status line: what the command itself printed."""
    return _STATUS_LINE.sub("", described)


def reports_failure(described: str) -> bool:
    """Whether a shell observation (ShellResult.describe()) ends in a non-zero exit code, a timeout or a stop at the deadline."""
    return _FAILED_STATUS.search(described.rstrip()) is not None


class _BoundedReader(threading.Thread):
    """Drains a pipe into a HeadTail, decoding UTF-8 across chunk boundaries."""

    def __init__(self, stream, limit: int):
        super().__init__(daemon=True)
        self.stream = stream
        self.output = HeadTail(limit)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def run(self) -> None:
        while chunk := self.stream.read1(65536):
            self.output.add(self._decoder.decode(chunk))
        self.output.add(self._decoder.decode(b"", final=True))


def run_shell(
    command: str,
    cwd: Path,
    *,
    timeout_s: float = 30.0,
    output_limit: int = 6000,
    limits: ProcessLimits = ProcessLimits(),
    sandbox: Sandbox | None = None,
    env: dict[str, str] | None = None,
) -> ShellResult:
    """Run `command` with bash in `cwd`; stdout and stderr are interleaved as a terminal shows them.

    The command gets no stdin (a prompt for input ends instead of hanging), the limits of
    `limits`, and, given a sandbox, bubblewrap around it. Whatever it started is killed
    when it ends: its process group, its pids cgroup (setsid'd daemons too), or, where no
    cgroup exists, every process still carrying this step's environment marker.
    """
    timeout_s = tool_timeout(timeout_s)
    started = time.perf_counter()
    reap_leftovers()
    cgroup = PidsCgroup.create(limits.max_processes) if limits.max_processes else None
    marker = f"{os.getpid()}:{secrets.token_hex(6)}"
    env = {**(env if env is not None else command_env()), SHELL_MARKER: marker}
    argv = ["bash", "-c", command]
    try:
        process = subprocess.Popen(
            sandbox.wrap(argv, cwd) if sandbox else argv,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
            preexec_fn=child_setup(
                memory_mb=limits.memory_mb,
                cpu_s=limits.cpu_s,
                max_file_mb=limits.max_file_mb,
                cgroup=cgroup,
                max_processes=limits.max_processes,
            ),
        )
    except BaseException:
        if cgroup is not None:
            cgroup.remove()
        raise
    reader = _BoundedReader(process.stdout, output_limit)
    reader.start()
    try:
        timed_out = not wait_for_exit(process, timeout_s)
    finally:
        # Kill everything it started: on timeout, and also background children and daemons left behind.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if cgroup is not None:
            limit_hits = cgroup.limit_hits()
            cgroup.remove()
        else:
            limit_hits = 0
            kill_step(marker)
        process.wait()
    reader.join(timeout=2)
    process.stdout.close()
    output = reader.output.text()
    if limit_hits:
        output += f"\n[the process limit ({limits.max_processes} processes and threads) was reached {limit_hits} times; further forks failed]"
    output = truncate_middle(output, output_limit)
    if not timed_out and process.returncode == 0 and _NO_TESTS_RAN.search(output):
        output += f"\n{no_tests_note(cwd)}"
    return ShellResult(
        output=output,
        exit_code=None if timed_out else process.returncode,
        timed_out=timed_out,
        duration_s=time.perf_counter() - started,
        stopped_by=why_stopped() if timed_out else None,
    )
