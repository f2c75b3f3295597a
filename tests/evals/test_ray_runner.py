"""Evals on Ray: a real cluster on this machine (fixture `ray_cluster`) gives the thread runner's
results, survives a killed driver and a dead worker; a bad address is one line; a run without
--ray never imports Ray."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import tests.evals.conftest
from picoagent.evals.ray_runner import RayRunner
from picoagent.evals.results import ResultsDir, read_records
from picoagent.evals.runner import EvalOptions, ThreadRunner, run_eval
from picoagent.evals.tasks import load_suite
from picoagent.trace.recorder import read_events
from http.server import BaseHTTPRequestHandler

from tests.conftest import action, free_port, send_chat_completion, serving
from tests.evals.conftest import PerTaskModel, write_suite

NOTES = {"notes.txt": "a\nb\nc\n"}
TASKS = [
    {"id": "right", "instruction": "[right] How many lines has notes.txt?", "setup": {"files": NOTES}, "checks": [{"type": "numeric", "expected": 3}]},
    {"id": "wrong", "instruction": "[wrong] How many lines has notes.txt?", "setup": {"files": NOTES}, "checks": [{"type": "numeric", "expected": 3}]},
    {"id": "lost", "instruction": "[lost] Write done.txt.", "checks": [{"type": "file", "path": "done.txt", "contains": "done"}]},
]
SCRIPTS = {
    "[right]": [action("shell", command="wc -l < notes.txt"), action("final_answer", answer="3")],
    "[wrong]": [action("final_answer", answer="4")],
    "[lost]": [action("shell", command="ls"), action("final_answer", answer="written")],
}


@pytest.fixture(autouse=True)
def picklable_test_models():
    """Ray workers cannot import the tests package: its models travel by value."""
    import ray.cloudpickle

    for module in (tests.evals.conftest, sys.modules[__name__]):
        ray.cloudpickle.register_pickle_by_value(module)
    yield
    for module in (tests.evals.conftest, sys.modules[__name__]):
        ray.cloudpickle.unregister_pickle_by_value(module)


def outcome(records: list[dict]) -> dict:
    return {(r["task"], r["run"]): (r["passed"], r["status"], r["answer"], r["steps"], [(c["type"], c["passed"], c["detail"]) for c in r["checks"]]) for r in records}


def evaluate(out: Path, tasks, model, runner, runs: int = 1) -> tuple[ResultsDir, tuple[int, int]]:
    options = EvalOptions(model_spec="per-task", runs=runs)
    results = ResultsDir(out, options.meta())
    return results, run_eval(tasks, model, options, results, runner=runner)


@pytest.mark.slow
def test_ray_gives_the_thread_runners_results_with_traces_in_the_drivers_directory(tmp_path, ray_cluster):
    tasks = load_suite(write_suite(tmp_path / "suite", TASKS))
    threads, _ = evaluate(tmp_path / "threads", tasks, PerTaskModel(SCRIPTS), ThreadRunner(2), runs=2)
    ray, ran = evaluate(tmp_path / "ray", tasks, PerTaskModel(SCRIPTS), RayRunner(ray_cluster, workers=2), runs=2)
    assert ran == (6, 0)
    assert outcome(ray.records()) == outcome(threads.records())
    assert sum(r["passed"] for r in ray.records()) == 2  # right, twice: the comparison is not of empty outcomes
    for record in ray.records():
        trace = Path(record["trace_path"])
        assert trace.is_relative_to(tmp_path / "ray" / "runs") and trace.parent.name == record["run_id"]
        steps = [e for e in read_events(trace) if e["type"] == "step"]
        assert len(steps) == record["steps"]


@pytest.mark.slow
def test_a_worker_dying_mid_task_is_a_harness_error_retried_on_resume(tmp_path, ray_cluster):
    tasks = load_suite(write_suite(tmp_path / "suite", [*TASKS[:2], {**TASKS[0], "id": "doomed", "instruction": "[doomed] How many lines has notes.txt?"}]))
    model = DiesOnce({**SCRIPTS, "[doomed]": SCRIPTS["[right]"]}, marker=tmp_path / "died")
    results, ran = evaluate(tmp_path / "out", tasks, model, RayRunner(ray_cluster, workers=1))
    records = {r["task"]: r for r in results.records()}
    assert ran == (3, 0) and (tmp_path / "died").exists()
    assert records["doomed"]["status"] == "error" and "Ray worker died mid-task" in records["doomed"]["error"]
    assert not records["doomed"]["checks"]  # not judged: the agent never finished
    # The worker came back for the tasks after it.
    assert {task: (r["passed"], r["status"]) for task, r in records.items() if task != "doomed"} == {"right": (True, "answered"), "wrong": (False, "answered")}

    results, ran = evaluate(tmp_path / "out", tasks, model, RayRunner(ray_cluster, workers=1))
    assert ran == (1, 2)
    assert {r["task"]: r["passed"] for r in results.records()}["doomed"] is True


class DiesOnce(PerTaskModel):
    """Kills the process it runs in at the first call for a [doomed] task: once, if a marker
    file is given (it remembers), else every time."""

    def __init__(self, scripts: dict[str, list[str]], marker: Path | None = None):
        super().__init__(scripts)
        self.marker = marker

    def complete(self, messages, **kwargs):
        if "[doomed]" in messages[1]["content"] and not (self.marker and self.marker.exists()):
            if self.marker:
                self.marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return super().complete(messages, **kwargs)


@pytest.mark.slow
def test_a_worker_that_keeps_dying_stops_the_eval_with_one_line_and_resumable_results(tmp_path, ray_cluster):
    from picoagent.errors import ConfigError
    from picoagent.evals.ray_runner import WORKER_RESTARTS

    doomed = [{**TASKS[0], "id": f"doomed{i}", "instruction": "[doomed] How many lines has notes.txt?"} for i in range(WORKER_RESTARTS + 3)]
    tasks = load_suite(write_suite(tmp_path / "suite", doomed))
    with pytest.raises(ConfigError, match=f"every Ray worker died {WORKER_RESTARTS + 1} times; 2 task runs were not started"):
        evaluate(tmp_path / "out", tasks, DiesOnce(SCRIPTS), RayRunner(ray_cluster, workers=1))
    records = read_records(tmp_path / "out")
    assert len(records) == WORKER_RESTARTS + 1 and all(r["status"] == "error" for r in records)


def eval_command(suite: Path, script: Path, out: Path, *ray: str) -> list[str]:
    return [sys.executable, "-m", "picoagent.cli", "eval", str(suite), "--model", f"scripted:{script}", "--out", str(out), *ray]


@pytest.mark.slow
def test_the_cli_on_ray_matches_threads_with_a_scripted_model(tmp_path, ray_cluster):
    suite = write_suite(tmp_path / "suite", TASKS)
    script = tmp_path / "script.json"  # one stream, consumed in task order by one worker
    script.write_text(json.dumps([*SCRIPTS["[right]"], *SCRIPTS["[wrong]"], *SCRIPTS["[lost]"]]))
    for out, ray in ((tmp_path / "threads", ()), (tmp_path / "ray", ("--ray", ray_cluster, "--ray-workers", "1"))):
        done = subprocess.run(eval_command(suite, script, out, *ray), capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert "ran 3 task runs" in done.stdout and "Traceback" not in done.stderr
    assert outcome(read_records(tmp_path / "ray")) == outcome(read_records(tmp_path / "threads"))
    assert (tmp_path / "ray" / "report.html").is_file()


@pytest.mark.slow
def test_a_killed_driver_loses_no_finished_result(tmp_path, ray_cluster):
    count = 4
    tasks = [{"id": f"t{i}", "instruction": f"task {i}: count the lines", "setup": {"files": NOTES}, "checks": [{"type": "numeric", "expected": 3}]} for i in range(count)]
    suite = write_suite(tmp_path / "suite", tasks)
    script = tmp_path / "script.json"  # every task the same two steps, so a resumed stream still fits
    script.write_text(json.dumps([action("shell", command="sleep 1.5; wc -l < notes.txt"), action("final_answer", answer="3")] * count))
    out, ray = tmp_path / "out", ("--ray", ray_cluster, "--ray-workers", "1")
    driver = subprocess.Popen(eval_command(suite, script, out, *ray), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = out / "results.jsonl"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and (not results.is_file() or not results.read_text().strip()):
        time.sleep(0.1)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    before = {r["task"]: r["run_id"] for r in read_records(out)}
    assert 1 <= len(before) < count, "the driver should have been killed mid-way"

    done = subprocess.run(eval_command(suite, script, out, *ray), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"ran {count - len(before)} task runs, skipped {len(before)}" in done.stdout.replace("\n", " ")
    after = read_records(out)
    assert sorted(r["task"] for r in after) == [f"t{i}" for i in range(count)] and all(r["passed"] for r in after)
    assert {task: r["run_id"] for r in after for task in [r["task"]] if task in before} == before
    assert len(results.read_text().splitlines()) == count  # nothing ran twice


class AnswersThree(BaseHTTPRequestHandler):
    """An OpenAI-compatible server whose every reply is the final answer 3; it counts requests."""

    requests = 0

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        type(self).requests += 1
        self.rfile.read(int(self.headers["Content-Length"]))
        send_chat_completion(self, action("final_answer", answer="3"))

    def log_message(self, *args) -> None:
        pass


@pytest.mark.slow
def test_workers_share_the_drivers_model_server(tmp_path, ray_cluster):
    """The cluster's nodes were started without OPENAI_BASE_URL: the workers get the driver's."""
    suite = write_suite(tmp_path / "suite", [TASKS[0], {**TASKS[0], "id": "again"}])
    AnswersThree.requests = 0
    with serving(AnswersThree) as url:
        env = {**os.environ, "OPENAI_BASE_URL": f"{url}/v1", "OPENAI_API_KEY": "none"}
        command = [sys.executable, "-m", "picoagent.cli", "eval", str(suite), "--model", "openai:m", "--actions", "json", "--out", str(tmp_path / "out"), "--ray", ray_cluster, "--ray-workers", "2"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert [r["passed"] for r in read_records(tmp_path / "out")] == [True, True]
    assert AnswersThree.requests == 2


def test_an_unreachable_address_is_one_line(tmp_path):
    suite = write_suite(tmp_path / "suite", TASKS[:1])
    address = f"127.0.0.1:{free_port()}"
    for command in (
        [sys.executable, "-m", "picoagent.cli", "eval", str(suite), "--out", str(tmp_path / "out"), "--ray", address],
        [sys.executable, "-m", "picoagent.cli", "train", "generate", "--out", str(tmp_path / "gen"), "--count", "1", "--ray", address],
        [sys.executable, "-m", "picoagent.cli", "eval", str(suite), "--out", str(tmp_path / "out"), "--ray", "nowhere"],
    ):
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
        assert address in done.stderr or "nowhere" in done.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "gen").exists()  # nothing left behind


def test_a_plain_run_and_a_thread_eval_never_import_ray(tmp_path):
    suite = write_suite(tmp_path / "suite", TASKS[:1])
    script = tmp_path / "script.json"
    script.write_text(json.dumps(SCRIPTS["[right]"]))
    probe = (
        "import sys\n"
        "from picoagent.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('RAY IMPORTED' if any(name == 'ray' or name.startswith('ray.') for name in sys.modules) else 'no ray')\n"
    )
    env = {**os.environ, "PICOAGENT_RUNS_DIR": str(tmp_path / "runs")}
    for args in (
        ["run", "How many lines has notes.txt?", "--model", f"scripted:{script}", "--workspace", str(tmp_path)],
        ["eval", str(suite), "--model", f"scripted:{script}", "--out", str(tmp_path / "out")],
        ["--help"],
    ):
        done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=120, env=env)
        assert done.stdout.strip().splitlines()[-1] == "no ray", done.stdout + done.stderr
    assert read_records(tmp_path / "out")[0]["passed"]  # the eval did run
