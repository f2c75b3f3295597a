"""Shell limits that hold without the sandbox: process count, daemons, orphans after the engine dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from picoagent.exec import shell as shell_module
from picoagent.exec.processes import ProcessLimits
from picoagent.exec.shell import run_shell
from tests.exec.leftovers import processes_with, wait_until

SMALL = ProcessLimits(memory_mb=1024, cpu_s=10, max_processes=48, max_file_mb=8)


@pytest.mark.slow
def test_a_fork_bomb_hits_the_process_limit_and_leaves_nothing(tmp_path: Path) -> None:
    result = run_shell(":(){ :|:& };:; sleep 2", tmp_path, timeout_s=5, limits=SMALL)
    assert "process limit (48 processes and threads) was reached" in result.output
    assert result.duration_s < 15
    assert processes_with("bash -c :(){") == []


def test_a_setsid_daemon_is_killed_at_the_end_of_the_step(tmp_path: Path) -> None:
    result = run_shell("setsid nohup sleep 313.5 >/dev/null 2>&1 & sleep 0.5; echo started", tmp_path, limits=SMALL)
    assert "started" in result.output
    assert wait_until(lambda: processes_with("sleep 313.5") == [], 3)


def test_without_a_cgroup_the_step_marker_finds_the_daemon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shell_module.PidsCgroup, "create", classmethod(lambda cls, max_tasks: None))
    result = run_shell("setsid nohup sleep 313.7 >/dev/null 2>&1 & sleep 0.5; echo started", tmp_path, limits=SMALL)
    assert "started" in result.output
    assert wait_until(lambda: processes_with("sleep 313.7") == [], 3)


@pytest.mark.slow
def test_cpu_time_is_limited(tmp_path: Path) -> None:
    result = run_shell("python3 -c 'while True: pass'", tmp_path, timeout_s=20, limits=ProcessLimits(cpu_s=1))
    assert not result.timed_out and result.exit_code != 0
    assert result.duration_s < 10


def test_memory_is_limited(tmp_path: Path) -> None:
    result = run_shell("python3 -c 'x = bytearray(3 << 30)'", tmp_path, limits=SMALL)
    assert "MemoryError" in result.output


def test_a_file_stops_at_the_size_limit(tmp_path: Path) -> None:
    result = run_shell("head -c 5G /dev/zero > big", tmp_path, timeout_s=20, limits=SMALL)
    assert result.exit_code != 0
    assert (tmp_path / "big").stat().st_size <= 8 << 20


ENGINE = """
import sys
from pathlib import Path
from picoagent.exec.shell import run_shell
print("running", flush=True)
run_shell("sleep {tag}1 & setsid sleep {tag}2 & wait", Path(sys.argv[1]), timeout_s=300)
"""


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_what_a_killed_engine_left_dies_with_it_or_at_the_next_start(tmp_path: Path, how: signal.Signals) -> None:
    tag = f"31{how.value}.4"  # unique sleep durations to find the processes by
    engine = subprocess.Popen([sys.executable, "-c", ENGINE.format(tag=tag), str(tmp_path)], stdout=subprocess.PIPE)
    try:
        assert engine.stdout.readline() == b"running\n"
        assert wait_until(lambda: len(processes_with(f"sleep {tag}")) == 2)
        shell = [pid for pid in processes_with("bash -c sleep") if tag in Path(f"/proc/{pid}/cmdline").read_text()]
        engine.send_signal(how)
        engine.wait(10)
    finally:
        engine.kill()
    # The shell itself dies at once with its engine (parent-death signal).
    assert wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in shell), 3)
    # What it started is reaped when picoagent next runs a command.
    subprocess.run([sys.executable, "-c", "from pathlib import Path; from picoagent.exec.shell import run_shell; run_shell('true', Path('.'))"], cwd=tmp_path, check=True)
    assert wait_until(lambda: processes_with(f"sleep {tag}") == [], 3)


@pytest.mark.slow
def test_sigterm_of_the_cli_kills_the_step_at_once(tmp_path: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text('["{\\"thought\\": \\"t\\", \\"tool\\": \\"shell\\", \\"args\\": {\\"command\\": \\"setsid sleep 317.5 & sleep 100\\"}}"]')
    workspace = tmp_path / "ws"
    cli = subprocess.Popen(
        [sys.executable, "-m", "picoagent.cli", "run", "x", "--model", f"scripted:{script}", "--workspace", str(workspace), "--runs-dir", str(tmp_path / "runs"), "--sandbox", "off"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PICOAGENT_SANDBOX": "off"},
    )
    try:
        assert wait_until(lambda: processes_with("sleep 317.5") != [], 30)
        cli.send_signal(signal.SIGTERM)
        assert cli.wait(10) == 128 + signal.SIGTERM
    finally:
        cli.kill()
    assert wait_until(lambda: processes_with("sleep 317.5") == [], 3)


def test_unittest_finding_no_tests_is_not_shown_as_a_pass_and_the_note_names_the_test_folder(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_sum.py").write_text("import unittest\n\n\nclass T(unittest.TestCase):\n    def test_sum(self):\n        self.assertEqual(sum([1, 2]), 3)\n")
    nothing = run_shell("python3 -m unittest", tmp_path, limits=SMALL)
    assert nothing.exit_code == 0, "Python 3.11 here: unittest finding nothing exits 0"
    assert "Test files are in tests/: python3 -m unittest discover -s tests]" in nothing.describe()
    assert nothing.describe().endswith("[exit code 0]")
    ran = run_shell("python3 -m unittest discover -s tests", tmp_path, limits=SMALL)
    assert "Ran 1 test" in ran.output and "found no tests" not in ran.output
    echoed = run_shell("echo 'Ran 0 tests in' is a phrase", tmp_path, limits=SMALL)
    assert "found no tests" not in echoed.output


def test_with_no_test_files_in_sight_the_note_says_how_to_find_them(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("x = 1\n")
    (tmp_path / ".venv" / "lib").mkdir(parents=True)
    (tmp_path / ".venv" / "lib" / "test_vendored.py").write_text("")
    note = shell_module.no_tests_note(tmp_path)
    assert "find . -name 'test*.py'" in note and ".venv" not in note
    (tmp_path / "src" / "pkg" / "checks").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "checks" / "io_test.py").write_text("")
    assert "Test files are in src/pkg/checks/" in shell_module.no_tests_note(tmp_path)
    (tmp_path / "src" / "test_main.py").write_text("")
    (tmp_path / "src" / "unit").mkdir()
    (tmp_path / "src" / "unit" / "test_parts.py").write_text("")
    assert "Test files are in src/, src/unit/, src/pkg/checks/: python3 -m unittest discover -s src]" in shell_module.no_tests_note(tmp_path)
