"""Run one shell command in the workspace, bounded in time, output and memory."""

from __future__ import annotations

import codecs
import os
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from picoagent.exec.deadline import capped
from picoagent.exec.environment import command_env
from picoagent.exec.limits import HeadTail, apply_rlimits, truncate_middle


@dataclass
class ShellResult:
    output: str
    exit_code: int | None
    timed_out: bool
    duration_s: float

    def describe(self) -> str:
        if self.timed_out:
            status = f"[timed out after {self.duration_s:.0f}s; the command and its children were killed]"
        else:
            status = f"[exit code {self.exit_code}]"
        return f"{self.output.rstrip()}\n{status}" if self.output.strip() else f"(no output)\n{status}"


# The status line describe() ends with when the command did not succeed.
_FAILED_STATUS = re.compile(r"\[(?:exit code (?!0\])-?\d+|timed out after [^\]]*)\]\Z")


def reports_failure(described: str) -> bool:
    """Whether a shell observation (ShellResult.describe()) ends in a non-zero exit code or a timeout."""
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
    memory_bytes: int | None = 4 << 30,
    env: dict[str, str] | None = None,
) -> ShellResult:
    """Run `command` with bash in `cwd`; stdout and stderr are interleaved as a terminal shows them.

    The command gets its own process group so a timeout kills everything it started,
    no stdin (a prompt for input ends instead of hanging), and an address-space limit.
    """
    timeout_s = capped(timeout_s)
    started = time.perf_counter()
    process = subprocess.Popen(
        ["bash", "-c", command],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env=env if env is not None else command_env(),
        preexec_fn=lambda: apply_rlimits(memory_bytes, None),
    )
    reader = _BoundedReader(process.stdout, output_limit)
    reader.start()
    timed_out = False
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        # Kill the whole group: on timeout, and also any background children left behind.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
    reader.join(timeout=2)
    process.stdout.close()
    return ShellResult(
        output=truncate_middle(reader.output.text(), output_limit),
        exit_code=None if timed_out else process.returncode,
        timed_out=timed_out,
        duration_s=time.perf_counter() - started,
    )
