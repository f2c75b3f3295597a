"""The command line as a user runs it: a real subprocess, real exit codes, no tracebacks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from picoagent.trace.recorder import read_events
from tests.conftest import action


def picoagent(*args: str, runs_dir: Path, timeout: float = 120, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PICOAGENT_RUNS_DIR": str(runs_dir)}
    return subprocess.run([sys.executable, "-m", "picoagent.cli", *args], capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)


def script(tmp_path: Path, outputs: list[str]) -> str:
    path = tmp_path / "script.json"
    path.write_text(json.dumps(outputs))
    return f"scripted:{path}"


def test_run_prints_the_answer_and_exits_zero(tmp_path: Path, runs_dir: Path) -> None:
    spec = script(tmp_path, [action("shell", command="wc -l < /etc/passwd"), action("final_answer", answer="many")])
    done = picoagent("run", "How many lines does /etc/passwd have?", "--model", spec, runs_dir=runs_dir)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "many"


def test_verbose_shows_each_step(tmp_path: Path, runs_dir: Path) -> None:
    spec = script(tmp_path, [action("shell", thought="count them", command="echo 12345"), action("final_answer", answer="12345")])
    done = picoagent("run", "count", "-v", "--model", spec, runs_dir=runs_dir)
    assert done.returncode == 0
    for expected in ("step 1", "thought: count them", "shell", "12345", "observation", "answered", "answer: 12345"):
        assert expected in done.stdout


def test_json_output_and_nonzero_exit_without_an_answer(tmp_path: Path, runs_dir: Path) -> None:
    spec = script(tmp_path, [action("shell", command=f"echo {i}") for i in range(5)])
    done = picoagent("run", "loop", "--model", spec, "--max-steps", "2", "--json", runs_dir=runs_dir)
    assert done.returncode == 1
    result = json.loads(done.stdout)
    # Two steps, then one last call asking for the answer, which this script does not give.
    assert result["status"] == "max_steps" and result["steps"] == 3 and result["answer"] is None
    assert "asked for a final answer" in result["error"]


def test_workspace_option(tmp_path: Path, runs_dir: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    spec = script(tmp_path, [action("write_file", path="out.txt", content="hi"), action("final_answer", answer="ok")])
    assert picoagent("run", "write", "--model", spec, "--workspace", str(workspace), runs_dir=runs_dir).returncode == 0
    assert (workspace / "out.txt").read_text() == "hi"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "x", "--model", "gpt5"], "unknown model spec 'gpt5'"),
        (["run", "x", "--model", "scripted:/nonexistent.json"], "scripted model file not found"),
        (["run", "x", "--model", "local:/nonexistent/model.gguf"], "model file not found: /nonexistent/model.gguf"),
        (["run", "x", "--max-steps", "0", "--model", "scripted:x"], "invalid option max_steps"),
        (["run", "x", "--actions", "yaml", "--model", "SCRIPT"], "unknown action format 'yaml'"),
        (["run", "x", "--tools", "nope", "--model", "SCRIPT"], "unknown tool set 'nope'"),
        (["runs", "show", "no-such-run"], "no run 'no-such-run'"),
    ],
)
def test_user_errors_are_one_line_and_nonzero(tmp_path: Path, runs_dir: Path, args: list[str], message: str) -> None:
    spec = script(tmp_path, [action("final_answer", answer="x")])
    done = picoagent(*[spec if arg == "SCRIPT" else arg for arg in args], runs_dir=runs_dir)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_empty_task_is_refused(tmp_path: Path, runs_dir: Path) -> None:
    spec = script(tmp_path, [action("final_answer", answer="x")])
    done = picoagent("run", "  ", "--model", spec, runs_dir=runs_dir)
    assert done.returncode == 2 and "the task is empty" in done.stderr


def test_corrupt_model_file_is_a_clear_error(tmp_path: Path, runs_dir: Path) -> None:
    not_gguf = tmp_path / "model.gguf"
    not_gguf.write_bytes(b"\x00" * 1024)
    done = picoagent("run", "x", "--model", f"local:{not_gguf}", runs_dir=runs_dir)
    assert done.returncode == 2 and "not a GGUF model file" in done.stderr and "Traceback" not in done.stderr
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + b"\x00" * 64)
    done = picoagent("run", "x", "--model", f"local:{truncated}", runs_dir=runs_dir)
    assert done.returncode == 2 and "could not load GGUF model" in done.stderr and "Traceback" not in done.stderr


def test_unreachable_server_names_the_url(tmp_path: Path, runs_dir: Path) -> None:
    env_url = "http://127.0.0.1:9/v1"  # discard port: nothing listens
    env = {**os.environ, "PICOAGENT_RUNS_DIR": str(runs_dir), "OPENAI_BASE_URL": env_url, "OPENAI_API_KEY": "x"}
    done = subprocess.run(
        [sys.executable, "-m", "picoagent.cli", "run", "hi", "--model", "openai:some-model", "--actions", "json"],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert done.returncode == 1
    assert f"cannot reach the OpenAI-compatible server at {env_url}" in done.stderr
    assert "Traceback" not in done.stderr


def test_runs_list_and_show(tmp_path: Path, runs_dir: Path) -> None:
    spec = script(tmp_path, [action("shell", command="echo listed"), action("final_answer", answer="shown")])
    result = json.loads(picoagent("run", "list me", "--model", spec, "--json", runs_dir=runs_dir).stdout)
    listing = picoagent("runs", "list", runs_dir=runs_dir)
    assert listing.returncode == 0 and result["run_id"][:8] in listing.stdout and "answered" in listing.stdout
    shown = picoagent("runs", "show", result["run_id"], runs_dir=runs_dir)
    assert shown.returncode == 0
    for expected in ("list me", "echo listed", "listed", "answer: shown"):
        assert expected in shown.stdout


def test_a_run_killed_mid_way_leaves_a_readable_log(tmp_path: Path, runs_dir: Path) -> None:
    outputs = [action("shell", command="echo one"), action("shell", command="echo two"), action("shell", command="sleep 60")]
    spec = script(tmp_path, outputs)
    env = {**os.environ, "PICOAGENT_RUNS_DIR": str(runs_dir)}
    process = subprocess.Popen([sys.executable, "-m", "picoagent.cli", "run", "slow", "--model", spec], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            traces = list(runs_dir.glob("*/trace.jsonl"))
            if traces and sum(e["type"] == "step" for e in read_events(traces[0])) >= 2:
                break
            time.sleep(0.1)
        time.sleep(0.5)  # step 3 is now inside `sleep 60`
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        process.kill()
    events = read_events(traces[0])
    steps = [e for e in events if e["type"] == "step"]
    assert [s["step"] for s in steps] == [1, 2]
    assert "two" in steps[1]["observation"]["text"]
    assert not any(e["type"] == "run_end" for e in events)
    run_id = traces[0].parent.name
    assert "incomplete" in picoagent("runs", "list", runs_dir=runs_dir).stdout
    shown = picoagent("runs", "show", run_id, runs_dir=runs_dir)
    assert shown.returncode == 0 and "echo two" in shown.stdout and "incomplete" in shown.stdout


def test_a_config_error_leaves_no_run_behind(tmp_path: Path, runs_dir: Path) -> None:
    spec = script(tmp_path, [action("final_answer", answer="x")])
    done = picoagent("run", "x", "--actions", "yaml", "--model", spec, runs_dir=runs_dir)
    assert done.returncode == 2
    assert list(runs_dir.iterdir()) == []
    assert "incomplete" not in picoagent("runs", "list", runs_dir=runs_dir).stdout


@pytest.mark.parametrize("where", ["workspace", "runs-dir"])
def test_a_file_where_a_directory_belongs_is_one_line(tmp_path: Path, runs_dir: Path, where: str) -> None:
    spec = script(tmp_path, [action("final_answer", answer="x")])
    a_file = tmp_path / "a-file"
    a_file.write_text("not a directory")
    for path in (a_file, a_file / "below"):
        done = picoagent("run", "x", "--model", spec, f"--{where}", str(path), runs_dir=runs_dir)
        assert done.returncode == 2, done.stderr
        assert str(a_file) in done.stderr and "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert a_file.read_text() == "not a directory"


def test_a_task_that_is_not_utf8_runs(tmp_path: Path, runs_dir: Path) -> None:
    spec = script(tmp_path, [action("final_answer", answer="done")])
    env = {**os.environ, "PICOAGENT_RUNS_DIR": str(runs_dir)}
    done = subprocess.run([sys.executable, "-m", "picoagent.cli", "run", b"count caf\xe9 \xff files", "--model", spec], capture_output=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr
    (trace,) = runs_dir.glob("*/trace.jsonl")
    assert read_events(trace)[1]["task"] == "count caf\ufffd \ufffd files"


def test_ctrl_c_prints_one_line(tmp_path: Path, runs_dir: Path) -> None:
    spec = script(tmp_path, [action("shell", command="sleep 30")])
    env = {**os.environ, "PICOAGENT_RUNS_DIR": str(runs_dir)}
    process = subprocess.Popen([sys.executable, "-m", "picoagent.cli", "run", "wait", "--model", spec], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not list(runs_dir.glob("*/trace.jsonl")):
            time.sleep(0.05)
        time.sleep(1.0)  # inside `sleep 30`
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 130
    assert stderr.strip().splitlines()[1:] == ["interrupted"], "after the sandbox line, the interruption is one line"


def test_a_guessed_answer_says_so_and_exits_3(tmp_path: Path, runs_dir: Path) -> None:
    outputs = [action("shell", command="grep -c x missing.txt")] * 3 + [action("final_answer", answer="27")]
    spec = script(tmp_path, outputs)
    done = picoagent("run", "How many lines contain x?", "--model", spec, runs_dir=runs_dir)
    assert done.returncode == 3, done.stderr
    assert done.stdout.strip() == "27"
    assert "guessed" in done.stderr and "repeated action" in done.stderr
    verbose = picoagent("run", "How many lines contain x?", "--model", spec, "-v", runs_dir=runs_dir)
    assert verbose.returncode == 3
    assert "answered (guessed)" in verbose.stdout and "guessed answer: 27" in verbose.stdout


def test_the_critic_rejects_a_guess_and_exits_4_and_runs_show_shows_the_verdicts(tmp_path: Path, runs_dir: Path) -> None:
    outputs = [action("shell", command="grep -c x missing.txt")] * 3 + [action("final_answer", answer="27")]
    spec = script(tmp_path, outputs)
    done = picoagent("run", "How many lines contain x?", "--model", spec, "--critic", "rules", "-v", runs_dir=runs_dir)
    assert done.returncode == 4, done.stderr
    assert "critic (rules) rejected the answer" in done.stdout and "rejected answer: 27" in done.stdout
    run_id = json.loads(picoagent("run", "How many lines contain x?", "--model", spec, "--critic", "rules", "--json", runs_dir=runs_dir).stdout)["run_id"]
    shown = " ".join(picoagent("runs", "show", run_id, runs_dir=runs_dir).stdout.split())  # the console wraps at 80 columns
    assert "critic (rules) rejected the answer" in shown and "appears in no output" in shown


def test_an_unknown_critic_is_one_line(tmp_path: Path, runs_dir: Path) -> None:
    done = picoagent("run", "x", "--model", script(tmp_path, []), "--critic", "judge", runs_dir=runs_dir)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "critic" in done.stderr and len(done.stderr.strip().splitlines()) == 1
