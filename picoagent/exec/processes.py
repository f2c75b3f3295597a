"""Keep what an action starts within its limits, and leave nothing of it behind.

Shell commands and the Python kernel are started the same way:
- resource limits (address space, CPU seconds, file size) set in the child before it runs
  anything, so every process it starts inherits them;
- a pids cgroup (picoagent/exec/cgroup.py) where one can be made: it caps processes plus
  threads, and it finds every process to kill, setsid'd daemons included. Elsewhere
  RLIMIT_NPROC caps processes, except for root, whom the kernel exempts from it;
- a parent-death signal, so the direct child dies with the engine even after SIGKILL;
- an environment marker naming the engine, so that where no cgroup exists, the processes
  of a step can still be found at its end, and those of a dead engine at the next start.
  A process that clears its environment escapes the marker; the cgroup and the sandbox
  (picoagent/exec/sandbox.py) have no such gap.
"""

from __future__ import annotations

import ctypes
import functools
import os
import resource
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from picoagent.exec.cgroup import PidsCgroup, kill_in_rounds
from picoagent.exec.limits import apply_rlimits

# Set in the environment of every shell command to "<engine pid>:<step token>".
SHELL_MARKER = "PICOAGENT_SHELL"
# Set in the kernel's environment (and inherited by its children) to the engine's pid.
KERNEL_MARKER = "PICOAGENT_KERNEL"
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class ProcessLimits:
    """What one shell command, with everything it starts, may use."""

    memory_mb: int | None = 4096  # address space per process (RLIMIT_AS)
    cpu_s: int | None = 60  # CPU seconds per process (RLIMIT_CPU)
    max_processes: int | None = 128  # processes plus threads at once (pids cgroup, else RLIMIT_NPROC)
    max_file_mb: int | None = 1024  # size of any one file written (RLIMIT_FSIZE)


@functools.cache
def _prctl() -> Callable[..., int]:
    return ctypes.CDLL(None, use_errno=True).prctl


def child_setup(
    *,
    memory_mb: int | None,
    cpu_s: int | None,
    max_file_mb: int | None,
    cgroup: PidsCgroup | None,
    max_processes: int | None,
) -> Callable[[], None]:
    """A preexec_fn that puts the child in `cgroup`, ties its life to the engine and sets its limits.

    Everything the child needs is prepared here, in the parent, so the child only makes
    system calls between fork and exec.
    """
    procs = str(cgroup.path / "cgroup.procs") if cgroup else None
    nproc = None
    if cgroup is None and max_processes is not None and os.geteuid() != 0:
        nproc = tasks_of_user(os.geteuid()) + max_processes
    prctl = _prctl()
    engine = os.getpid()

    def setup() -> None:
        if procs:
            fd = os.open(procs, os.O_WRONLY)
            try:
                os.write(fd, str(os.getpid()).encode())
            finally:
                os.close(fd)
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != engine:  # the engine died before the signal was armed
            os._exit(1)
        apply_rlimits(memory_mb << 20 if memory_mb else None, cpu_s, max_file_mb << 20 if max_file_mb else None)
        if nproc is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))

    return setup


def tasks_of_user(uid: int) -> int:
    """Processes plus threads `uid` has now: RLIMIT_NPROC counts them all, not just the child's."""
    count = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if int(fields["Uid"].split()[1]) == uid:
            count += int(fields["Threads"])
    return count


def _marked() -> Iterator[tuple[int, str, str]]:
    """(pid, marker, value) for every process whose environment carries one of our markers."""
    names = (SHELL_MARKER.encode() + b"=", KERNEL_MARKER.encode() + b"=")
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            entries = environ.read_bytes().split(b"\0")
        except OSError:  # gone, or not ours to read
            continue
        for entry in entries:
            if entry.startswith(names):
                name, _, value = entry.decode(errors="replace").partition("=")
                yield int(environ.parent.name), name, value
                break


def _kill_marked(select: Callable[[str, str], bool]) -> int:
    """SIGKILL the marked processes `select` picks, in rounds while new ones appear."""
    return kill_in_rounds(lambda: [pid for pid, name, value in _marked() if pid != os.getpid() and select(name, value)])


def kill_step(marker: str) -> int:
    """Kill every process still carrying this step's marker; returns how many."""
    return _kill_marked(lambda name, value: name == SHELL_MARKER and value == marker)


def _engine_gone(value: str) -> bool:
    try:
        os.kill(int(value.split(":")[0]), 0)
    except ProcessLookupError:
        return True
    except (ValueError, PermissionError):  # malformed, or alive under another user
        return False
    return False


@functools.cache
def reap_leftovers() -> int:
    """Once per engine: kill what the shell steps and kernels of engines that died left running.

    Leftover cgroups are removed by PidsCgroup.create; this finds the rest by marker.
    """
    return _kill_marked(lambda name, value: _engine_gone(value))
