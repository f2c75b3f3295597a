"""The runner on a per-task scripted model: outcomes, limits, workers, isolation, resume."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from picoagent.errors import ConfigError
from picoagent.evals.results import ResultsDir
from picoagent.evals.runner import EvalOptions, run_eval
from picoagent.evals.tasks import load_suite, resolve_suite
from picoagent.models.base import Completion
from picoagent.models.openai_compat import OpenAIModel
from picoagent.trace.recorder import read_events
from tests.conftest import SlowChatServer, action
from tests.evals.conftest import PerTaskModel, write_suite

NOTES = {"notes.txt": "a\nb\nc\n"}


def simple_tasks() -> list[dict]:
    return [
        {"id": "right", "instruction": "[right] How many lines has notes.txt?", "setup": {"files": NOTES}, "checks": [{"type": "numeric", "expected": 3}]},
        {"id": "wrong", "instruction": "[wrong] How many lines has notes.txt?", "setup": {"files": NOTES}, "checks": [{"type": "numeric", "expected": 3}]},
    ]


SIMPLE_SCRIPTS = {
    "[right]": [action("shell", command="wc -l < notes.txt"), action("final_answer", answer="3")],
    "[wrong]": [action("final_answer", answer="4")],
}


def run(tmp_path: Path, tasks, model, **options):
    results = ResultsDir(tmp_path / "out", EvalOptions(model_spec="scripted", **options).meta())
    ran, skipped = run_eval(tasks, model, EvalOptions(model_spec="scripted", **options), results)
    return results, ran, skipped


def test_pass_and_fail_are_recorded_with_metrics(tmp_path):
    tasks = load_suite(write_suite(tmp_path / "suite", simple_tasks()))
    results, ran, skipped = run(tmp_path, tasks, PerTaskModel(SIMPLE_SCRIPTS))
    records = {r["task"]: r for r in results.records()}
    assert (ran, skipped) == (2, 0)
    assert records["right"]["passed"] is True and records["right"]["steps"] == 2 and records["right"]["answer"] == "3"
    assert records["wrong"]["passed"] is False and records["wrong"]["status"] == "answered"
    assert records["wrong"]["checks"][0]["passed"] is False
    assert records["right"]["prompt_tokens"] == 200 and records["right"]["completion_tokens"] == 20
    assert Path(records["right"]["trace_path"]).is_file()


def test_invalid_outputs_are_counted(tmp_path):
    tasks = load_suite(write_suite(tmp_path / "suite", simple_tasks()[:1]))
    model = PerTaskModel({"[right]": ["not json at all", action("final_answer", answer="3")]})
    results, _, _ = run(tmp_path, tasks, model)
    [record] = results.records()
    assert record["passed"] and record["invalid_actions"] == 1 and record["steps"] == 2


def test_a_model_call_longer_than_the_task_timeout_stops_at_it(tmp_path):
    tasks = load_suite(write_suite(tmp_path / "suite", [{**simple_tasks()[0], "limits": {"timeout": 0.5}}]))
    started = time.monotonic()
    results, _, _ = run(tmp_path, tasks, PerTaskModel(SIMPLE_SCRIPTS, delay_s=20), guard_grace_s=10)
    [record] = results.records()
    assert time.monotonic() - started < 2.5, "the run stopped at its deadline, not at the guard's"
    assert record["status"] == "timeout" and record["passed"] is False
    assert record["error"] == "the run's time limit of 0.5s was reached"
    events = read_events(Path(record["trace_path"]))
    assert events[-1]["type"] == "run_end" and events[-1]["result"]["run_id"] == record["run_id"]


class IgnoresDeadline(PerTaskModel):
    """A model from outside picoagent that never looks at its deadline."""

    def complete(self, messages, **options):
        return super().complete(messages)


def test_a_run_that_ignores_its_deadline_is_abandoned_and_its_record_keeps_the_trace(tmp_path):
    tasks = load_suite(write_suite(tmp_path / "suite", [{**simple_tasks()[0], "limits": {"timeout": 0.3}}]))
    started = time.monotonic()
    results, _, _ = run(tmp_path, tasks, IgnoresDeadline(SIMPLE_SCRIPTS, delay_s=4), guard_grace_s=0.2)
    [record] = results.records()
    assert time.monotonic() - started < 3
    assert record["status"] == "timeout" and "abandoned" in record["error"] and "ignored the deadline" in record["error"]
    assert record["run_id"] and Path(record["trace_path"]).is_file()
    assert "run_start" in [e["type"] for e in read_events(Path(record["trace_path"]))]


def test_the_loop_stops_a_slow_task_at_its_timeout(tmp_path):
    tasks = load_suite(write_suite(tmp_path / "suite", [{**simple_tasks()[0], "limits": {"timeout": 1.5}}]))
    script = {"[right]": [action("shell", command=f"sleep 1; echo {i}") for i in range(10)]}
    results, _, _ = run(tmp_path, tasks, PerTaskModel(script))
    [record] = results.records()
    assert record["status"] == "timeout" and 1 <= record["steps"] < 5


def test_option_caps_limit_the_steps(tmp_path):
    tasks = load_suite(write_suite(tmp_path / "suite", simple_tasks()[:1]))
    script = {"[right]": [action("shell", command=f"echo {i}") for i in range(10)]}
    results, _, _ = run(tmp_path, tasks, PerTaskModel(script), max_steps=3)
    [record] = results.records()
    assert record["status"] == "max_steps" and record["steps"] == 3 + 1, "three steps and the last call for an answer"
    assert record["last_call"] == "max_steps"


def test_workers_run_tasks_at_once_in_separate_workspaces(tmp_path):
    # Each task writes a file and checks that no other task's file is in its workspace.
    tasks = [
        {
            "id": f"w{i}",
            "instruction": f"[w{i}] write your file",
            "checks": [{"type": "command", "run": f"test -f mine-{i}.txt && [ $(ls | wc -l) -eq 1 ]"}],
        }
        for i in range(4)
    ]
    scripts = {f"[w{i}]": [action("write_file", path=f"mine-{i}.txt", content="x"), action("final_answer", answer="done")] for i in range(4)}
    suite = load_suite(write_suite(tmp_path / "suite", tasks))
    model = PerTaskModel(scripts, delay_s=0.4)
    started = time.monotonic()
    results, ran, _ = run(tmp_path, suite, model, workers=4, runs=2)
    elapsed = time.monotonic() - started
    records = results.records()
    assert ran == 8 and all(r["passed"] for r in records), [r["checks"] for r in records]
    assert model.max_active >= 2
    assert elapsed < 8 * 2 * 0.4 * 0.75  # serial would be 8 runs x 2 calls x 0.4 s
    workspaces = [next(e["path"] for e in read_events(Path(r["trace_path"])) if e["type"] == "workspace") for r in records]
    assert len(set(workspaces)) == 8
    assert not any(Path(w).exists() for w in workspaces)  # removed after checking


def test_rerun_skips_finished_pairs_and_retries_harness_errors(tmp_path):
    tasks = load_suite(write_suite(tmp_path / "suite", simple_tasks()))
    results, ran, _ = run(tmp_path, tasks, PerTaskModel(SIMPLE_SCRIPTS), runs=2)
    assert ran == 4
    first = {(r["task"], r["run"]): r["finished_at"] for r in results.records()}
    # A harness error (e.g. the server was down) is retried on the next run.
    results.append({**results.records()[0], "task": "right", "run": 1, "status": "model_error", "passed": False})
    results, ran, skipped = run(tmp_path, tasks, PerTaskModel(SIMPLE_SCRIPTS), runs=3)
    assert (ran, skipped) == (3, 3)  # run 2 of both tasks, and the errored run 1 of `right`
    after = {(r["task"], r["run"]): r for r in results.records()}
    assert len(after) == 6
    assert after[("wrong", 0)]["finished_at"] == first[("wrong", 0)]
    assert after[("right", 1)]["status"] == "answered"


def test_results_of_another_model_are_not_mixed(tmp_path):
    ResultsDir(tmp_path / "out", EvalOptions(model_spec="local").meta())
    with pytest.raises(ConfigError, match="different setup"):
        ResultsDir(tmp_path / "out", EvalOptions(model_spec="openai:x").meta())


def test_a_torn_line_from_a_kill_is_skipped_and_not_glued_to_the_next(tmp_path):
    results = ResultsDir(tmp_path / "out", {})
    results.file.write_text('{"suite": "s", "task": "a", "run": 0, "status": "answered"}\n{"suite": "s", "ta')
    results.append({"suite": "s", "task": "b", "run": 0, "status": "answered"})
    assert sorted(r["task"] for r in results.records()) == ["a", "b"]


def test_setup_failure_is_a_harness_error_not_a_crash(tmp_path):
    task = {"id": "broken", "instruction": "[right] x", "setup": {"commands": ["exit 3"]}, "checks": [{"type": "numeric", "expected": 3}]}
    results, _, _ = run(tmp_path, load_suite(write_suite(tmp_path / "suite", [task])), PerTaskModel(SIMPLE_SCRIPTS))
    [record] = results.records()
    assert record["status"] == "error" and "setup command failed (exit 3)" in record["error"]


def test_task_toolsets_reach_the_run_config(tmp_path):
    task = {**simple_tasks()[0], "toolsets": ["no-such-set"]}
    results, _, _ = run(tmp_path, load_suite(write_suite(tmp_path / "suite", [task])), PerTaskModel(SIMPLE_SCRIPTS))
    [record] = results.records()
    assert record["status"] == "error" and "unknown tool set 'no-such-set'" in record["error"]


def test_fixture_variables_fill_the_instruction_and_teardown_runs(tmp_path):
    suite = tmp_path / "suite"
    suite.mkdir()
    log = tmp_path / "fixture.log"
    (suite / "fixtures.py").write_text(
        "import contextlib\n"
        "@contextlib.contextmanager\n"
        "def secret_word(workspace):\n"
        f"    log = open({str(log)!r}, 'a')\n"
        "    log.write('up ')\n"
        "    yield {'word': 'kumquat'}\n"
        "    log.write('down')\n"
        "    log.close()\n"
    )
    task = {"id": "fix", "instruction": "[fix] Say ${word}.", "setup": {"fixture": "fixtures.py:secret_word"}, "checks": [{"type": "answer", "expected": "kumquat"}]}
    write_suite(suite, [task])
    results, _, _ = run(tmp_path, load_suite(suite), PerTaskModel({"[fix]": [action("final_answer", answer="kumquat")]}))
    [record] = results.records()
    start = next(e for e in read_events(Path(record["trace_path"])) if e["type"] == "run_start")
    assert start["task"] == "[fix] Say kumquat."
    assert record["passed"] and log.read_text() == "up down"


def test_python_task_module_tools_are_given_to_the_agent(tmp_path):
    _, tasks = resolve_suite("tools")
    task = next(t for t in tasks if t.id == "out-of-stock")
    script = [action("get_stock", sku="B-02"), action("final_answer", answer="B-02 is out of stock")]
    model = PerTaskModel({"out of stock": script})
    results, _, _ = run(tmp_path, [task], model)
    [record] = results.records()
    assert record["passed"], record
    steps = [e for e in read_events(Path(record["trace_path"])) if e["type"] == "step"]
    assert steps[0]["observation"]["text"].startswith("0")
    json.dumps(record)  # records stay JSON


@pytest.mark.slow
def test_a_task_timeout_shorter_than_the_model_call_stops_the_call_before_the_next_task(tmp_path, slow_chat_server):
    tasks = load_suite(write_suite(tmp_path / "suite", [{**task, "limits": {"timeout": 1}} for task in simple_tasks()]))
    model = OpenAIModel("m", base_url=slow_chat_server)
    started = time.monotonic()
    results, ran, _ = run(tmp_path, tasks, model, workers=1)
    assert ran == 2 and time.monotonic() - started < 4, "each task stopped at its 1 s timeout, not at the 10 s reply"
    first, second = SlowChatServer.requests
    assert first["gone"] is not None and first["gone"] <= second["arrived"], "the first task's request was closed before the next task began"
    for record in results.records():
        assert record["status"] == "timeout" and record["run_id"]
        events = read_events(Path(record["trace_path"]))
        assert events[-1]["type"] == "run_end" and events[-2]["cut_off"] is True


def test_with_reflect_a_lesson_from_run_1_appears_in_run_2s_prompt(tmp_path):
    from picoagent.memory.lessons import LESSONS_HEADER
    from picoagent.models.scripted import ScriptedModel

    tasks = load_suite(write_suite(tmp_path / "suite", simple_tasks()[:1]))
    lesson = "Count the lines with wc -l before answering."
    model = ScriptedModel([
        action("final_answer", answer="4"),  # run 1: a wrong guess
        json.dumps({"lesson": lesson}),  # its reflection
        action("shell", command="wc -l < notes.txt"),  # run 2
        action("final_answer", answer="3"),
    ])
    results, ran, _ = run(tmp_path, tasks, model, runs=2, reflect=True)
    first, second = sorted(results.records(), key=lambda r: r["run"])
    assert (first["passed"], first["lesson"], first["lessons_seen"]) == (False, lesson, 0)
    assert (second["passed"], second["lesson"], second["lessons_seen"]) == (True, None, 1)
    reflection_prompt = model.calls[1][-1]["content"]
    assert 'you answered "4", and that answer was wrong' in reflection_prompt and "expected" not in reflection_prompt
    task_turn = model.calls[2][-1]["content"]
    assert task_turn.startswith("[right] How many lines") and f"{LESSONS_HEADER}\n- {lesson}" in task_turn
    assert json.loads((tmp_path / "out" / "lessons.jsonl").read_text()) == {"task": "suite/right", "run": 0, "lesson": lesson}


def test_reflect_waits_for_the_earlier_run_of_the_same_task_even_with_workers(tmp_path):
    tasks = load_suite(write_suite(tmp_path / "suite", simple_tasks()))

    class Reflecting(PerTaskModel):
        def complete(self, messages, **kwargs):
            if "did not succeed" in messages[-1]["content"]:  # the lesson prompt
                return Completion(text=json.dumps({"lesson": "look first"}))
            return super().complete(messages, **kwargs)

    results, ran, _ = run(tmp_path, tasks, Reflecting(SIMPLE_SCRIPTS), runs=3, workers=2, reflect=True)
    wrong = sorted((r for r in results.records() if r["task"] == "wrong"), key=lambda r: r["run"])
    assert [r["lessons_seen"] for r in wrong] == [0, 1, 2]
    assert ran == 6


def test_a_critic_for_every_run_of_an_eval(tmp_path):
    tasks = load_suite(write_suite(tmp_path / "suite", simple_tasks()))
    results, _, _ = run(tmp_path, tasks, PerTaskModel(SIMPLE_SCRIPTS), critic="rules")
    records = {r["task"]: r for r in results.records()}
    assert records["right"]["review"] == "accepted" and records["right"]["passed"]
    assert records["wrong"]["status"] == "rejected", "4 appears in no output: rejected twice, the run ends rejected"


def test_each_run_is_announced_as_it_starts_before_its_record(tmp_path):
    tasks = load_suite(write_suite(tmp_path / "suite", simple_tasks()))
    events: list[tuple[str, str, int]] = []
    options = EvalOptions(model_spec="scripted", runs=2, workers=2)
    results = ResultsDir(tmp_path / "out", options.meta())
    run_eval(
        tasks,
        PerTaskModel(SIMPLE_SCRIPTS),
        options,
        results,
        on_start=lambda task, run: events.append(("start", task.id, run)),
        on_record=lambda record: events.append(("record", record["task"], record["run"])),
    )
    starts = [e[1:] for e in events if e[0] == "start"]
    assert sorted(starts) == [("right", 0), ("right", 1), ("wrong", 0), ("wrong", 1)]
    for kind, task, run in events:
        if kind == "record":
            assert events.index(("start", task, run)) < events.index(("record", task, run)), "announced before it finished"
