"""The pids cgroup: a real one where the machine allows it (root with a writable cgroup hierarchy)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from picoagent.exec.cgroup import PidsCgroup

# A child that starts its own session: a process group kill misses it, the cgroup does not. It
# forks once it is in the cgroup (argv[1]; at most 10 s): forking earlier would race the test's `add`.
ESCAPING_CHILD = (
    "import subprocess, sys, time\n"
    "for _ in range(1000):\n"
    "    if sys.argv[1] in open('/proc/self/cgroup').read(): break\n"
    "    time.sleep(0.01)\n"
    "subprocess.Popen(['sleep', '300'], start_new_session=True); time.sleep(300)"
)


@pytest.fixture
def cgroup():
    cgroup = PidsCgroup.create(max_tasks=20)
    if cgroup is None:
        pytest.skip("no writable pids cgroup on this machine")
    yield cgroup
    cgroup.remove()


def test_kill_all_finds_children_that_left_the_process_group(cgroup: PidsCgroup) -> None:
    parent = subprocess.Popen([sys.executable, "-c", ESCAPING_CHILD, cgroup.path.name])
    cgroup.add(parent.pid)
    deadline = time.monotonic() + 10
    while len(cgroup.pids()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(cgroup.pids()) == 2, "the setsid child is in the cgroup too"
    assert (cgroup.path / "pids.max").read_text().strip() == "20"
    assert cgroup.kill_all() == 2
    parent.wait(timeout=5)
    assert cgroup.pids() == []


def test_remove_deletes_the_cgroup(cgroup: PidsCgroup) -> None:
    sleeper = subprocess.Popen(["sleep", "300"])
    cgroup.add(sleeper.pid)
    cgroup.remove()
    sleeper.wait(timeout=5)
    assert not cgroup.path.exists()


def test_cgroups_of_dead_engines_are_removed_with_their_processes() -> None:
    probe = PidsCgroup.create(max_tasks=20)
    if probe is None:
        pytest.skip("no writable pids cgroup on this machine")
    probe.remove()
    dead_engine = subprocess.Popen(["true"])
    dead_engine.wait()
    orphan_dir = probe.path.parent / f"picoagent-{dead_engine.pid}-deadbeef"
    orphan_dir.mkdir()
    orphan = subprocess.Popen(["sleep", "300"])
    PidsCgroup(orphan_dir).add(orphan.pid)
    fresh = PidsCgroup.create(max_tasks=20)
    try:
        assert not orphan_dir.exists()
        assert orphan.wait(timeout=5) == -9
    finally:
        fresh.remove()
