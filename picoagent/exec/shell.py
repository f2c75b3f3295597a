"""Run one shell command in the workspace, bounded in time, output and memory."""

from __future__ import annotations

import codecs
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from picoagent.deadline import tool_timeout, wait_for_exit, why_stopped
from picoagent.exec.environment import command_env
from picoagent.exec.limits import HeadTail, apply_rlimits, truncate_middle


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
    timeout_s = tool_timeout(timeout_s)
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
    try:
        timed_out = not wait_for_exit(process, timeout_s)
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
        stopped_by=why_stopped() if timed_out else None,
    )
