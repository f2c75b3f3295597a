"""Run one shell command in the workspace, bounded in time, output and memory."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from picoagent.exec.deadline import capped
from picoagent.exec.limits import apply_rlimits, truncate_middle


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


class _BoundedReader(threading.Thread):
    """Drains a pipe, keeping only the first and last `limit` bytes: `yes` must not fill memory."""

    def __init__(self, stream, limit: int):
        super().__init__(daemon=True)
        self.stream, self.limit = stream, limit
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def run(self) -> None:
        while chunk := self.stream.read1(65536) if hasattr(self.stream, "read1") else self.stream.read(65536):
            self.total += len(chunk)
            room = self.limit - len(self.head)
            if room > 0:
                self.head += chunk[:room]
                chunk = chunk[room:]
            if chunk:
                self.tail += chunk
                del self.tail[: max(len(self.tail) - self.limit, 0)]

    def text(self) -> str:
        omitted = self.total - len(self.head) - len(self.tail)
        middle = f"\n[... {omitted} bytes omitted ...]\n".encode() if omitted > 0 else b""
        return (bytes(self.head) + middle + bytes(self.tail)).decode(errors="replace")


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
        env=env,
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
        output=truncate_middle(reader.text(), output_limit),
        exit_code=None if timed_out else process.returncode,
        timed_out=timed_out,
        duration_s=time.perf_counter() - started,
    )
