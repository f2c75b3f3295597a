"""The eval commands end to end, as a user runs them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from picoagent.cli import app
from picoagent.evals.results import read_records
from tests.conftest import action
from tests.evals.conftest import write_suite
from tests.evals.test_metrics import rec

runner = CliRunner()


def slow_suite(path: Path, count: int) -> Path:
    tasks = [{"id": f"t{i}", "instruction": f"task {i}: answer ok", "setup": {"commands": ["sleep 0.5"]}, "checks": [{"type": "answer", "expected": "ok"}]} for i in range(count)]
    return write_suite(path, tasks)


def eval_command(suite: Path, script: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "picoagent.cli", "eval", str(suite), "--model", f"scripted:{script}", "--out", str(out)]


def test_killed_eval_resumes_where_it_stopped(tmp_path):
    suite = slow_suite(tmp_path / "suite", 6)
    script = tmp_path / "script.json"
    script.write_text(json.dumps([action("final_answer", answer="ok")] * 6))
    out = tmp_path / "out"
    env = {**os.environ, "PICOAGENT_RUNS_DIR": str(tmp_path / "runs")}
    process = subprocess.Popen(eval_command(suite, script, out), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = out / "results.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not results.is_file() or len(results.read_text().splitlines()) < 2):
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = {r["task"]: r["finished_at"] for r in read_records(out)}
    assert 2 <= len(before) < 6, "the eval should have been killed mid-way"

    done = subprocess.run(eval_command(suite, script, out), env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"skipped {len(before)} already finished" in done.stdout.replace("\n", " ")
    after = read_records(out)
    assert sorted(r["task"] for r in after) == [f"t{i}" for i in range(6)] and all(r["passed"] for r in after)
    assert all(next(r for r in after if r["task"] == task)["finished_at"] == at for task, at in before.items())
    assert len(results.read_text().splitlines()) == 6  # nothing ran twice
    assert (out / "report.md").is_file() and (out / "report.html").is_file()


def test_compare_command(tmp_path):
    for name, rates in (("a", [True, False, False, False]), ("b", [True, True, True, True])):
        (tmp_path / name).mkdir()
        (tmp_path / name / "results.jsonl").write_text("".join(json.dumps(rec("t", k, ok)) + "\n" for k, ok in enumerate(rates)))
    result = runner.invoke(app, ["eval", "compare", str(tmp_path / "a"), str(tmp_path / "b")], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "beyond noise" in result.output and "+75%" in result.output


def test_verify_command_reports_a_broken_checker(tmp_path):
    good = {"id": "good", "instruction": "x", "checks": [{"type": "numeric", "expected": 2}], "reference": {"commands": ["echo $((1 + 1))"]}}
    weak = {"id": "weak", "instruction": "x", "checks": [{"type": "regex", "pattern": "."}], "reference": {"answer": "anything"}}
    suite = write_suite(tmp_path / "suite", [good, weak])
    result = runner.invoke(app, ["eval", "verify", str(suite)], terminal_width=200)
    assert result.exit_code == 1
    assert "ok   suite/good" in result.output and "FAIL suite/weak: a wrong answer" in result.output


def test_user_errors_are_one_line_and_exit_nonzero(tmp_path):
    done = subprocess.run([sys.executable, "-m", "picoagent.cli", "eval", "no-such-suite", "--out", str(tmp_path / "o")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error: no suite 'no-such-suite'") and len(done.stderr.strip().splitlines()) == 1


def test_eval_run_is_the_default_command(tmp_path):
    suite = write_suite(tmp_path / "suite", [{"id": "t", "instruction": "answer ok", "checks": [{"type": "answer", "expected": "ok"}]}])
    script = tmp_path / "s.json"
    script.write_text(json.dumps([action("final_answer", answer="ok")]))
    out = tmp_path / "out"
    result = runner.invoke(app, ["eval", "run", str(suite), "--model", f"scripted:{script}", "--out", str(out), "--runs", "1"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert read_records(out)[0]["passed"] is True and "100%" in result.output


def test_eval_with_reflect_and_a_critic_and_their_results_directory(tmp_path):
    suite = write_suite(tmp_path / "suite", [{"id": "count", "instruction": "How many lines? Answer with the number only.", "checks": [{"type": "numeric", "expected": 3}]}])
    script = tmp_path / "script.json"
    # Run 1: a guess the critic rejects twice, then the lesson; run 2: the same guess, rejected twice.
    script.write_text(json.dumps([action("final_answer", answer="7")] * 2 + [json.dumps({"lesson": "Count the lines first."})] + [action("final_answer", answer="7")] * 2))
    out = tmp_path / "out"
    env = {"PICOAGENT_RUNS_DIR": str(tmp_path / "runs")}
    done = runner.invoke(app, ["eval", str(suite), "--model", f"scripted:{script}", "--out", str(out), "--runs", "2", "--reflect", "--critic", "rules"], env=env)
    assert done.exit_code == 0, done.output
    first, second = sorted(read_records(out), key=lambda r: r["run"])
    assert first["status"] == second["status"] == "rejected" and first["review"] == "rejected"
    assert (first["lesson"], second["lessons_seen"]) == ("Count the lines first.", 1)
    assert json.loads((out / "meta.json").read_text())["critic"] == "rules"
    again = runner.invoke(app, ["eval", str(suite), "--model", f"scripted:{script}", "--out", str(out), "--runs", "2"], env=env)
    assert again.exit_code != 0 and "critic was 'rules', now 'off'" in str(again.exception)  # main() prints it as one line


def test_reflect_on_ray_is_refused_before_anything_runs(tmp_path):
    suite = write_suite(tmp_path / "suite", [{"id": "count", "instruction": "How many lines?", "checks": [{"type": "numeric", "expected": 3}]}])
    out = tmp_path / "out"
    done = runner.invoke(app, ["eval", str(suite), "--model", "scripted:x.json", "--out", str(out), "--runs", "2", "--reflect", "--ray"])
    assert done.exit_code != 0 and "--reflect runs on this machine's threads" in str(done.exception)
    assert not (out / "results.jsonl").exists()
