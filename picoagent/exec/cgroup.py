"""A pids cgroup per kernel: caps its processes and threads, and finds every one of them to kill.

RLIMIT_NPROC does not bind root (the kernel exempts uid 0 whatever its capabilities), so a
fork bomb from a kernel running as root is only stopped by the pids controller. It also
catches what a process group misses: children that called setsid() stay in the cgroup.
Works with cgroup v1 (a `pids` hierarchy) and v2 (the unified hierarchy with `pids`
enabled); where neither is writable, `PidsCgroup.create` returns None and callers fall
back to weaker limits.
"""

from __future__ import annotations

import os
import secrets
import signal
import time
from collections.abc import Callable, Collection
from pathlib import Path

KILL_ROUNDS = 50  # a fork bomb refills freed slots; each round kills what is there now


def kill_in_rounds(targets: Callable[[], list[int]]) -> int:
    """SIGKILL what `targets` names, again while new processes appear (a forking loop refills
    what was freed); returns how many were killed."""
    killed: set[int] = set()
    for _ in range(KILL_ROUNDS):
        pids = targets()
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            except (ProcessLookupError, PermissionError):  # gone already, or not ours
                pass
        time.sleep(0.01)
    return len(killed)


def _candidate_parents() -> list[Path]:
    """Directories of this process's own cgroup in each mounted hierarchy that has pids."""
    own: dict[str, str] = {}  # controller list ("pids", "" for v2) -> path
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        own[controllers] = path
    parents = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        separator = fields.index("-")
        fstype, super_options = fields[separator + 1], fields[separator + 3]
        mount_root, mount_point = fields[3], fields[4]
        if fstype == "cgroup" and "pids" in super_options.split(","):
            path = next((p for c, p in own.items() if "pids" in c.split(",")), None)
        elif fstype == "cgroup2":
            path = own.get("")
        else:
            continue
        if path is None or not path.startswith(mount_root):
            continue
        parents.append(Path(mount_point) / path[len(mount_root) :].lstrip("/"))
    return parents


class PidsCgroup:
    def __init__(self, path: Path):
        self.path = path

    @classmethod
    def create(cls, max_tasks: int) -> PidsCgroup | None:
        """A new cgroup allowing `max_tasks` processes plus threads, or None where none can be made."""
        name = f"picoagent-{os.getpid()}-{secrets.token_hex(4)}"
        for parent in _candidate_parents():
            _remove_orphans(parent)
            path = parent / name
            try:
                if (parent / "cgroup.subtree_control").exists():
                    _enable_pids_controller(parent)
                path.mkdir()
            except OSError:
                continue
            try:
                (path / "pids.max").write_text(str(max_tasks))
                return cls(path)
            except OSError:
                path.rmdir()
        return None

    def add(self, pid: int) -> None:
        (self.path / "cgroup.procs").write_text(str(pid))

    def pids(self) -> list[int]:
        try:
            return [int(pid) for pid in (self.path / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def limit_hits(self) -> int:
        """How many times a fork or thread start was refused for reaching the limit."""
        try:
            for line in (self.path / "pids.events").read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "max":
                    return int(value)
        except OSError:
            pass
        return 0

    def kill_all(self, *, keep: Collection[int] = ()) -> int:
        """SIGKILL every process in the cgroup except those in `keep`; returns how many were killed."""
        return kill_in_rounds(lambda: [pid for pid in self.pids() if pid not in keep])

    def remove(self) -> None:
        """Kill everything left in the cgroup and delete it."""
        self.kill_all()
        deadline = time.monotonic() + 2.0
        while True:
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:  # killed tasks leave the cgroup a moment after SIGKILL
                if time.monotonic() > deadline:
                    return
                self.kill_all()
                time.sleep(0.02)


def _remove_orphans(parent: Path) -> None:
    """Remove the cgroups of engines that died without closing their kernels, and what is left in them."""
    for path in parent.glob("picoagent-*-*"):
        try:
            os.kill(int(path.name.split("-")[1]), 0)
        except ProcessLookupError:
            PidsCgroup(path).remove()
        except (ValueError, PermissionError):  # not ours, or the pid is alive under another user
            continue


def _enable_pids_controller(parent: Path) -> None:
    """cgroup v2 only gives a child pids.max if its parent delegates the controller."""
    control = parent / "cgroup.subtree_control"
    if "pids" in control.read_text().split():
        return
    try:
        control.write_text("+pids")
    except OSError:  # a non-root cgroup with processes in it cannot delegate; create() then fails
        pass
