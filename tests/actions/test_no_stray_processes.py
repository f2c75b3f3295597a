"""No kernel, child or cgroup outlives its run: 100 code runs in one process, then count what is left."""

from __future__ import annotations

import glob
import os
import tempfile
import threading
from pathlib import Path

import pytest

from picoagent.agent.session import run_task
from picoagent.config import Config
from picoagent.exec.kernel import KERNEL_MARKER
from picoagent.models.scripted import ScriptedModel

RUNS = 100
# Each run leaves work behind on purpose: a background child, and one in its own session.
LEAVES_CHILDREN = (
    "Start helpers and answer.\n```python\nimport subprocess\n"
    "subprocess.Popen(['sleep', '600'])\n"
    "subprocess.Popen(['sleep', '600'], start_new_session=True)\n"
    "final_answer('ok')\n```"
)


def processes_from_this_engine() -> list[int]:
    """Live processes carrying the kernel marker set by this test process's engine."""
    marker = f"{KERNEL_MARKER}={os.getpid()}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:  # exited while we looked, or not ours to read
            continue
    return found


def leftovers() -> list[str]:
    own_cgroups = glob.glob(f"/sys/fs/cgroup/*/picoagent-{os.getpid()}-*")
    temp = tempfile.gettempdir()
    return own_cgroups + glob.glob(f"{temp}/picoagent-kernel-*") + glob.glob(f"{temp}/picoagent-tools-*")


@pytest.mark.slow
def test_a_hundred_runs_leave_no_process_cgroup_thread_or_socket_behind(config: Config) -> None:
    def one_run() -> None:
        result = run_task("Start helpers.", config.model_copy(update={"actions": "code"}), model=ScriptedModel([LEAVES_CHILDREN]))
        assert result.answer == "ok"

    temp_before = set(leftovers())
    one_run()  # the first run creates the process-wide ZeroMQ context and event loop, which stay by design
    threads_before = threading.active_count()
    fds_before = len(os.listdir("/proc/self/fd"))
    for _ in range(RUNS - 1):
        one_run()
    assert processes_from_this_engine() == []
    assert set(leftovers()) - temp_before == set()
    assert threading.active_count() == threads_before
    assert len(os.listdir("/proc/self/fd")) <= fds_before, "sockets and pipes are closed with their run"
