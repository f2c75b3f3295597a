"""Limits for what actions run: clamped to what the engine itself is allowed."""

from __future__ import annotations

import resource
import subprocess
import sys

from picoagent.exec.limits import clamped

SHELL_UNDER_ULIMIT = """
from pathlib import Path
from picoagent.exec.processes import ProcessLimits
from picoagent.exec.shell import run_shell
print(run_shell("echo hi; ulimit -v", Path("."), limits=ProcessLimits(memory_mb=4096)).describe())
"""


def test_limits_are_lowered_to_the_hard_limit_in_force() -> None:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    assert clamped(resource.RLIMIT_NOFILE, hard + 10, hard + 20) == (hard, hard)
    assert clamped(resource.RLIMIT_NOFILE, 10, 20) == (10, 20)


def test_shell_commands_run_under_a_hard_ulimit_below_the_default() -> None:
    """The engine runs under `ulimit -v` of about 2.9 GiB; the shell's 4 GiB limit must not make every call fail."""
    done = subprocess.run(["bash", "-c", f'ulimit -v 3000000 && exec "{sys.executable}" -c "$0"', SHELL_UNDER_ULIMIT], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["hi", "3000000", "[exit", "code", "0]"]
