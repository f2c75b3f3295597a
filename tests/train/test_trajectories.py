"""Trajectories: reference steps replayed through the real loop; kept only when checks pass and the run went as planned."""

from __future__ import annotations

from pathlib import Path

import pytest

from picoagent.evals.results import read_records
from picoagent.evals.tasks import Task
from picoagent.train.factory import generate_tasks
from picoagent.train.trajectories import replay
from picoagent.trace.recorder import read_events


def task_with_steps(steps: list[dict], answer: str = "2") -> Task:
    return Task.model_validate(
        {
            "id": "count-fruit",
            "instruction": "How many lines does fruit.txt have?",
            "setup": {"files": {"fruit.txt": "apple\nbanana\n"}},
            "checks": [{"type": "numeric", "expected": 2}],
            "reference": {"steps": [*steps, {"thought": "wc said so.", "tool": "final_answer", "args": {"answer": answer}}]},
            "suite": "handmade",
        }
    )


def test_replayed_steps_get_real_observations_and_are_kept_when_checks_pass(tmp_path: Path) -> None:
    task = task_with_steps([{"thought": "Count the lines.", "tool": "shell", "args": {"command": "wc -l fruit.txt"}}])
    ran, skipped = replay([task], "json", tmp_path / "json")
    assert (ran, skipped) == (1, 0)
    (record,) = read_records(tmp_path / "json")
    assert record["passed"] and record["status"] == "answered"
    steps = [event for event in read_events(record["trace_path"]) if event["type"] == "step"]
    assert steps[0]["observation"]["text"] == "2 fruit.txt\n[exit code 0]"
    assert replay([task], "json", tmp_path / "json") == (0, 1), "a second replay resumes"


def test_a_run_off_plan_or_failing_its_checks_is_dropped(tmp_path: Path) -> None:
    unplanned_failure = task_with_steps([{"thought": "Count.", "tool": "shell", "args": {"command": "wc -l fruits.txt"}}])
    mistake_that_worked = task_with_steps([{"thought": "Count.", "tool": "shell", "args": {"command": "wc -l fruit.txt"}, "expect_error": True}])
    wrong_answer = task_with_steps([{"thought": "Count.", "tool": "shell", "args": {"command": "wc -l fruit.txt"}}], answer="3")
    for number, task in enumerate((unplanned_failure, mistake_that_worked, wrong_answer)):
        replay([task], "json", tmp_path / str(number))
    errors = [read_records(tmp_path / str(number))[0] for number in range(3)]
    assert not any(record["passed"] for record in errors)
    assert "off plan: step 1 failed against the plan" in errors[0]["error"]
    assert "off plan: step 1 succeeded against the plan" in errors[1]["error"]
    assert errors[2]["error"] is None and not errors[2]["checks"][0]["passed"]


@pytest.mark.slow  # a Jupyter kernel per run
def test_generated_tasks_replay_in_the_code_format_too(tmp_path: Path) -> None:
    tasks = generate_tasks(["files", "csv"], 2, seed=3)
    replay(tasks, "code", tmp_path / "code")
    records = read_records(tmp_path / "code")
    assert len(records) == 2 and all(record["passed"] for record in records), [r["error"] for r in records]
    first = next(event for event in read_events(records[0]["trace_path"]) if event["type"] == "step")
    assert "```python\nprint(shell(" in first["raw"]


@pytest.mark.slow
def test_replays_on_ray_keep_what_threads_keep(tmp_path: Path, ray_cluster: str) -> None:
    from picoagent.evals.ray_runner import RayRunner

    tasks = generate_tasks(None, 4, seed=3)
    replay(tasks, "json", tmp_path / "threads", workers=2)
    assert replay(tasks, "json", tmp_path / "ray", runner=RayRunner(ray_cluster, workers=2)) == (4, 0)
    kept = {path: {r["task"]: (r["passed"], r["status"], r["steps"], r["error"]) for r in read_records(tmp_path / path)} for path in ("threads", "ray")}
    assert kept["ray"] == kept["threads"] and any(passed for passed, *_ in kept["ray"].values())
    # The off-plan review read each trace, shipped back into the driver's directory.
    assert all(Path(r["trace_path"]).is_relative_to(tmp_path / "ray") for r in read_records(tmp_path / "ray"))
