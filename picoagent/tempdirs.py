"""Temporary directories that outlive no process: one killed before it could clean up has its
directories removed by the next picoagent process that makes one.

Each directory gets a sidecar file `DIR.owner` beside it (not inside: an eval workspace must
hold only what its task put there) naming the owning process by pid, start time and PID
namespace: a reused pid does not keep a dead owner's directory alive, and a process in another
namespace sharing this /tmp (another container on the same volume) is not judged by pids that
mean nothing here.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

OWNER_SUFFIX = ".owner"


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot, or None if there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses; the fields after its last ')' do not.
    return stat.rsplit(")", 1)[1].split()[19]


def _pid_namespace() -> str | None:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return None


def owned_temp_dir(prefix: str, root: Path | None = None) -> Path:
    """A new directory like `tempfile.mkdtemp(prefix=...)`, marked as this process's; orphans swept first."""
    sweep_orphans(root)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=root)).resolve()
    Path(f"{path}{OWNER_SUFFIX}").write_text(f"{os.getpid()} {_start_time(os.getpid())} {_pid_namespace()}\n")
    return path


def remove_temp_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    Path(f"{path}{OWNER_SUFFIX}").unlink(missing_ok=True)


def sweep_orphans(root: Path | None = None) -> list[Path]:
    """Remove the picoagent temporary directories whose owner has exited; the ones removed."""
    removed: list[Path] = []
    namespace = _pid_namespace()
    if _start_time(os.getpid()) is None or namespace is None:  # no /proc (not Linux): no way to tell a live owner from a dead one
        return removed
    for owner_file in Path(root or tempfile.gettempdir()).glob(f"picoagent-*{OWNER_SUFFIX}"):
        try:
            pid, started, owner_namespace = owner_file.read_text().split()
            alive = _start_time(int(pid)) == started
        except (OSError, ValueError):  # being written, or already swept by another process
            continue
        if alive or owner_namespace != namespace:
            continue
        directory = owner_file.with_name(owner_file.name.removesuffix(OWNER_SUFFIX))
        remove_temp_dir(directory)
        removed.append(directory)
    return removed
