"""`picoagent serve` as a user starts it: a real subprocess, one-line errors, and Ctrl-C stops the runs it started."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import action, free_port
from tests.server.test_api import no_sleepers

pytestmark = pytest.mark.slow  # each test starts picoagent in a subprocess


def picoagent_serve(*args: str, runs_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "PICOAGENT_RUNS_DIR": str(runs_dir), "NO_PROXY": "127.0.0.1"}
    env.pop("PICOAGENT_SERVE_TOKEN", None)
    return subprocess.Popen([sys.executable, "-m", "picoagent.cli", "serve", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_until_up(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        try:
            httpx.get(f"{url}/api/runs", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("the server did not come up")


def test_a_public_bind_without_a_token_is_one_line_and_exit_2(tmp_path):
    process = picoagent_serve("--host", "0.0.0.0", "--port", str(free_port()), runs_dir=tmp_path)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 2 and err.count("\n") == 1 and "set a token with --token" in err and "Traceback" not in err


def test_a_port_in_use_is_one_line(tmp_path):
    port = free_port()
    first = picoagent_serve("--port", str(port), runs_dir=tmp_path)
    try:
        wait_until_up(f"http://127.0.0.1:{port}", first)
        second = picoagent_serve("--port", str(port), runs_dir=tmp_path)
        _, err = second.communicate(timeout=60)
        assert second.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in err and "Traceback" not in err
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=30)


def test_ctrl_c_cancels_the_runs_in_flight_and_nothing_outlives_them(tmp_path):
    port, url = free_port(), ""
    script = tmp_path / "slow.json"
    script.write_text(json.dumps([action("shell", command="sleep 53.75"), action("final_answer", answer="late")]))
    process = picoagent_serve("--port", str(port), runs_dir=tmp_path / "runs")
    url = f"http://127.0.0.1:{port}"
    wait_until_up(url, process)
    run_id = httpx.post(f"{url}/api/runs", json={"task": "wait", "model": f"scripted:{script}"}).json()["id"]
    deadline = time.monotonic() + 15
    while no_sleepers("53.75") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not no_sleepers("53.75")
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert time.monotonic() - started < 10 and "Traceback" not in err
    assert no_sleepers("53.75")
    events = [json.loads(line) for line in (tmp_path / "runs" / run_id / "trace.jsonl").read_text().splitlines()]
    assert events[-1]["type"] == "run_end" and events[-1]["result"]["error"] == "the run was cancelled"
