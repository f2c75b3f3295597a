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


def picoagent(
    *args: str, runs_dir: Path, timeout: float = 120, cwd: Path | None = None, input: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """The CLI in a subprocess. It works in the current directory by default: the test's own
    folder, never the checkout; and it reads no config file of the user's."""
    env = {**os.environ, "PICOAGENT_RUNS_DIR": str(runs_dir), "XDG_CONFIG_HOME": str(runs_dir.parent / "xdg-config"), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "picoagent.cli", *args], capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd or runs_dir.parent, input=input
    )


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


def test_a_plan_run_with_another_caller_model_shows_both_live(tmp_path: Path, runs_dir: Path) -> None:
    planner = script(tmp_path, [json.dumps({"thought": "t", "task": "Print 12345 with echo.", "tool": "shell"}), json.dumps({"thought": "t", "task": "Give the final answer: 12345", "tool": "final_answer"})])
    caller_file = tmp_path / "caller.json"
    caller_file.write_text(json.dumps([json.dumps({"command": "echo 12345"}), json.dumps({"answer": "12345"})]))
    done = picoagent("run", "echo", "-v", "--actions", "plan", "--model", planner, "--caller-model", f"scripted:{caller_file}", runs_dir=runs_dir)
    assert done.returncode == 0, done.stderr
    for expected in ("plan: Print 12345 with echo. with shell", 'shell {"command": "echo 12345"}  caller scripted:caller.json', "answer: 12345"):
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
        (["run", "x", "--caller-model", "SCRIPT", "--model", "SCRIPT"], "--caller-model writes the arguments of plan steps: use it with --actions plan, not json"),
        (["run", "x", "--actions", "plan", "--caller-model", "gpt5", "--model", "SCRIPT"], "unknown model spec 'gpt5'"),
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


@pytest.mark.slow  # retries with backoff: seconds; tests/models/test_openai_compat.py words it quickly
def test_unreachable_server_names_the_url(tmp_path: Path, runs_dir: Path) -> None:
    env_url = "http://127.0.0.1:9/v1"  # discard port: nothing listens
    env = {**os.environ, "PICOAGENT_RUNS_DIR": str(runs_dir), "OPENAI_BASE_URL": env_url, "OPENAI_API_KEY": "x"}
    done = subprocess.run(
        [sys.executable, "-m", "picoagent.cli", "run", "hi", "--model", "openai:some-model", "--actions", "json"],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
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
    process = subprocess.Popen([sys.executable, "-m", "picoagent.cli", "run", "slow", "--model", spec], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
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
    done = subprocess.run([sys.executable, "-m", "picoagent.cli", "run", b"count caf\xe9 \xff files", "--model", spec], capture_output=True, env=env, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr
    (trace,) = runs_dir.glob("*/trace.jsonl")
    assert read_events(trace)[1]["task"] == "count caf\ufffd \ufffd files"


def test_ctrl_c_prints_one_line(tmp_path: Path, runs_dir: Path) -> None:
    spec = script(tmp_path, [action("shell", command="sleep 30")])
    env = {**os.environ, "PICOAGENT_RUNS_DIR": str(runs_dir)}
    process = subprocess.Popen([sys.executable, "-m", "picoagent.cli", "run", "wait", "--model", spec], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
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


def test_the_default_workspace_is_the_current_directory_and_the_first_line_says_so(tmp_path: Path, runs_dir: Path) -> None:
    here = tmp_path / "project"
    here.mkdir()
    (here / "a.txt").write_text("x")
    spec = script(tmp_path, [action("shell", command="ls"), action("final_answer", answer="done")])
    done = picoagent("run", "what is here?", "--model", spec, "--json", runs_dir=runs_dir, cwd=here)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0].startswith(f"workspace {here} · sandbox:")
    step = next(e for e in read_events(Path(json.loads(done.stdout)["trace_path"])) if e["type"] == "step")
    assert "a.txt" in step["observation"]["text"]


def test_a_fresh_workspace_is_an_option(tmp_path: Path, runs_dir: Path) -> None:
    spec = script(tmp_path, [action("shell", command="ls | wc -l"), action("final_answer", answer="done")])
    done = picoagent("run", "count", "--model", spec, "--workspace", "fresh", "--json", runs_dir=runs_dir)
    run_dir = Path(json.loads(done.stdout)["trace_path"]).parent
    assert done.stderr.splitlines()[0].startswith(f"workspace {run_dir / 'workspace'} ")
    step = next(e for e in read_events(run_dir / "trace.jsonl") if e["type"] == "step")
    assert step["observation"]["text"].splitlines()[0] == "0"


def test_a_dash_reads_the_task_from_stdin(tmp_path: Path, runs_dir: Path) -> None:
    spec = script(tmp_path, [action("final_answer", answer="ok")])
    done = picoagent("run", "-", "--model", spec, "--json", runs_dir=runs_dir, input="count the files\nin this folder\n")
    assert done.returncode == 0, done.stderr
    events = read_events(Path(json.loads(done.stdout)["trace_path"]))
    assert events[1]["task"] == "count the files\nin this folder"
    empty = picoagent("run", "-", "--model", spec, runs_dir=runs_dir, input="  \n")
    assert empty.returncode == 2 and "the task is empty" in empty.stderr


def test_builtins_choose_the_tools_a_run_has(tmp_path: Path, runs_dir: Path) -> None:
    spec = script(tmp_path, [action("shell", command="ls"), action("final_answer", answer="none")])
    done = picoagent("run", "x", "--model", spec, "--builtins", "read_file", "--json", runs_dir=runs_dir)
    events = read_events(Path(json.loads(done.stdout)["trace_path"]))
    assert next(e for e in events if e["type"] == "workspace")["tools"] == ["read_file", "final_answer"]
    assert "Unknown tool 'shell'" in next(e for e in events if e["type"] == "step")["observation"]["text"]
    done = picoagent("run", "x", "--model", spec, "--builtins", "none", "--json", runs_dir=runs_dir)
    assert next(e for e in read_events(Path(json.loads(done.stdout)["trace_path"])) if e["type"] == "workspace")["tools"] == ["final_answer"]
    bad = picoagent("run", "x", "--model", spec, "--builtins", "sh", runs_dir=runs_dir)
    assert bad.returncode == 2 and "unknown built-in tool 'sh'" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_version_and_shell_completion(runs_dir: Path) -> None:
    from picoagent import __version__

    assert picoagent("--version", runs_dir=runs_dir).stdout.strip() == f"picoagent {__version__}"
    # Typer detects the shell from the process tree, not from an argument: run it from bash,
    # as a user would, whatever started the tests (a detached runner has no shell above it).
    # A second command keeps bash from replacing itself with the first.
    completion = subprocess.run(
        ["bash", "-c", f"{sys.executable} -m picoagent.cli --show-completion; exit $?"], capture_output=True, text=True, timeout=120, cwd=runs_dir.parent
    )
    assert completion.returncode == 0 and "complete" in completion.stdout and "COMP_WORDS" in completion.stdout, completion.stderr


def test_runs_list_json_status_filter_and_80_columns(tmp_path: Path, runs_dir: Path) -> None:
    answered = script(tmp_path, [action("final_answer", answer="yes")])
    looping = tmp_path / "loop.json"
    looping.write_text(json.dumps([action("shell", command=f"echo {i}") for i in range(5)]))
    picoagent("run", "an answered task " + "with many words " * 10, "--model", answered, runs_dir=runs_dir)
    picoagent("run", "a task out of steps", "--model", f"scripted:{looping}", "--max-steps", "1", runs_dir=runs_dir)
    runs = json.loads(picoagent("runs", "list", "--json", runs_dir=runs_dir).stdout)
    assert [run["status"] for run in runs] == ["max_steps", "answered"] and runs[1]["task"].startswith("an answered task")
    only = json.loads(picoagent("runs", "list", "--json", "--status", "answered", runs_dir=runs_dir).stdout)
    assert [run["id"] for run in only] == [runs[1]["id"]]
    table = picoagent("runs", "list", runs_dir=runs_dir, env={"COLUMNS": "80"}).stdout.splitlines()
    assert all(len(line) <= 80 for line in table) and len(table) == 4, "a header, a rule and one line per run"
    assert table[2].startswith(runs[0]["id"]) and "max_steps" in table[2] and table[3].endswith("…")
    bad = picoagent("runs", "list", "--status", "done", runs_dir=runs_dir)
    assert bad.returncode == 2 and "unknown status 'done'" in bad.stderr


def test_an_ambiguous_id_prefix_says_so(tmp_path: Path, runs_dir: Path) -> None:
    for run_id in ("20250101-000000-aaaaaa", "20250101-000000-aaabbb"):
        (runs_dir / run_id).mkdir()
        (runs_dir / run_id / "trace.jsonl").write_text('{"type": "run_start", "time": 0, "task": "t", "model": "m", "actions": "json"}\n')
    done = picoagent("runs", "show", "20250101-000000-aaa", runs_dir=runs_dir)
    assert done.returncode == 2 and "run id '20250101-000000-aaa' is ambiguous: it starts 2 runs" in done.stderr
    assert picoagent("runs", "show", "20250101-000000-aaab", runs_dir=runs_dir).returncode == 0


def test_settings_come_from_flags_then_env_then_the_project_file_then_the_user_file(tmp_path: Path, runs_dir: Path) -> None:
    user_file = runs_dir.parent / "xdg-config" / "picoagent" / "config.toml"
    user_file.parent.mkdir(parents=True)
    user_file.write_text('max_steps = 7\nsandbox = "off"\nexamples = 1\n')
    (tmp_path / "picoagent.toml").write_text('max_steps = 5\nactions = "text"\ncontext_tokens = 2048\n')
    shown = json.loads(picoagent("config", "show", "--json", runs_dir=runs_dir, env={"PICOAGENT_CONTEXT_TOKENS": "4096"}).stdout)
    assert shown["max_steps"] == {"value": 5, "source": str(tmp_path / "picoagent.toml")}
    assert shown["sandbox"] == {"value": "off", "source": str(user_file)}
    assert shown["context_tokens"] == {"value": 4096, "source": "env PICOAGENT_CONTEXT_TOKENS"}
    assert shown["workspace"] == {"value": str(tmp_path), "source": "default: the current directory"}
    assert shown["max_wall_s"] == {"value": 900.0, "source": "default"}
    text = picoagent("config", "show", runs_dir=runs_dir).stdout
    assert f"max_steps = 5  # {tmp_path / 'picoagent.toml'}" in text and '# actions' not in text and 'actions = "text"' in text
    spec = script(tmp_path, [action("shell", command="echo 1"), action("shell", command="echo 2"), action("shell", command="echo 3")])
    done = picoagent("run", "x", "--model", spec, "--actions", "json", "--max-steps", "2", "--json", runs_dir=runs_dir)
    start = read_events(Path(json.loads(done.stdout)["trace_path"]))[1]
    assert start["actions"] == "json" and start["config"]["max_steps"] == 2 and start["config"]["sandbox"] == "off"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("max_stepz = 3", "unknown setting 'max_stepz' (did you mean 'max_steps'?)"),
        ("max_steps = 0", "invalid setting max_steps ({file}): Input should be greater than or equal to 1"),
        ("max_steps = [", "is not valid TOML"),
        ('sandbox = "maybe"', "invalid setting sandbox ({file})"),
    ],
)
def test_a_bad_config_file_is_one_line_and_nonzero(tmp_path: Path, runs_dir: Path, content: str, message: str) -> None:
    (tmp_path / "picoagent.toml").write_text(content)
    spec = script(tmp_path, [action("final_answer", answer="x")])
    for args in (["config", "show"], ["run", "x", "--model", spec]):
        done = picoagent(*args, runs_dir=runs_dir)
        assert done.returncode == 2 and message.format(file=tmp_path / "picoagent.toml") in done.stderr, done.stderr
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert list(runs_dir.iterdir()) == []


@pytest.mark.slow  # retries with backoff: seconds; tests/models/test_openai_compat.py words it quickly
def test_a_server_read_timeout_is_worded_as_one(slow_chat_server: str, runs_dir: Path) -> None:
    done = picoagent(
        "run", "hi", "--model", "openai:m", "--actions", "json", "--api-timeout", "0.5",
        runs_dir=runs_dir, env={"OPENAI_BASE_URL": slow_chat_server, "OPENAI_API_KEY": "x"},
    )
    assert done.returncode == 1
    assert "sent no reply within the read timeout of 0.5s" in done.stderr and "cannot reach" not in done.stderr


def test_runs_list_and_show_look_where_the_config_file_records_runs(tmp_path: Path, runs_dir: Path) -> None:
    (tmp_path / "picoagent.toml").write_text('runs_dir = "project-runs"\n')
    spec = script(tmp_path, [action("final_answer", answer="x")])
    env = {"PICOAGENT_RUNS_DIR": ""}  # unset: the file decides
    result = json.loads(picoagent("run", "x", "--model", spec, "--json", runs_dir=runs_dir, env=env).stdout)
    assert Path(result["trace_path"]).parent.parent == tmp_path / "project-runs"
    assert [run["id"] for run in json.loads(picoagent("runs", "list", "--json", runs_dir=runs_dir, env=env).stdout)] == [result["run_id"]]
    assert picoagent("runs", "show", result["run_id"], runs_dir=runs_dir, env=env).returncode == 0


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
