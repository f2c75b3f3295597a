"""Metrics with standard errors over runs, and the comparison of two results."""

from __future__ import annotations

import math

import pytest

from picoagent.evals.compare import compare_suites, compare_tasks
from picoagent.evals.metrics import estimate, summarize


def rec(task: str, run: int, passed: bool, *, suite="s", status="answered", steps=4, invalid=0) -> dict:
    return {"suite": suite, "task": task, "run": run, "passed": passed, "status": status, "steps": steps,
            "invalid_actions": invalid, "prompt_tokens": 1000, "completion_tokens": 50, "wall_s": 2.0, "checks": [], "error": None}


def test_one_run_has_no_standard_error():
    metrics = summarize([rec("a", 0, True), rec("b", 0, False, status="max_steps", invalid=2)])
    assert metrics["pass_rate"].mean == 0.5 and metrics["pass_rate"].se is None
    assert metrics["completion_rate"].mean == 0.5
    assert metrics["invalid_rate"].mean == pytest.approx(2 / 8)
    assert metrics["pass_rate"].format("pass_rate") == "50%"


def test_answers_from_the_last_call_are_counted_apart():
    records = [rec("a", 0, True), {**rec("b", 0, True), "last_call": "stuck"}, {**rec("c", 0, False, status="max_steps"), "last_call": "max_steps"}]
    metrics = summarize(records)
    assert metrics["completion_rate"].mean == pytest.approx(2 / 3)
    assert metrics["last_call_rate"].mean == pytest.approx(1 / 3), "only answered runs count, and records without the field are free answers"


def test_standard_error_is_over_the_runs():
    # Pass rates per run: 1.0, 0.5, 0.0 -> mean 0.5, sd 0.5, se 0.5 / sqrt(3).
    records = [rec("a", 0, True), rec("b", 0, True), rec("a", 1, True), rec("b", 1, False), rec("a", 2, False), rec("b", 2, False)]
    value = estimate(records, "pass_rate")
    assert value.mean == pytest.approx(0.5) and value.se == pytest.approx(0.5 / math.sqrt(3)) and value.runs == 3
    assert "±" in value.format("pass_rate")


def test_compare_flags_only_differences_beyond_two_standard_errors():
    def runs(rates: list[list[bool]], suite: str) -> list[dict]:
        return [rec(f"t{i}", k, ok, suite=suite) for k, run in enumerate(rates) for i, ok in enumerate(run)]

    a = runs([[True, False, False, False]] * 2 + [[False, True, False, False]], "x") + runs([[True, True]] * 3, "y")
    b = runs([[True, True, True, True]] * 3, "x") + runs([[True, True], [True, False], [True, True]], "y")
    verdicts = {row.name: row for row in compare_suites(a, b) if row.metric == "pass_rate"}
    assert verdicts["x"].diff == pytest.approx(0.75) and verdicts["x"].verdict == "beyond noise"
    assert verdicts["y"].verdict == "within noise"
    tasks = {row.name: row for row in compare_tasks(a, b)}
    assert tasks["x/t0"].diff == pytest.approx(1 / 3) and tasks["y/t0"].diff == 0


def test_compare_without_runs_or_with_missing_suites():
    rows = compare_suites([rec("a", 0, True)], [rec("a", 0, False), rec("b", 0, True, suite="z")])
    by = {(r.name, r.metric): r for r in rows}
    assert by[("s", "pass_rate")].verdict == "?"
    assert by[("z", "pass_rate")].verdict == "only in B" and by[("z", "pass_rate")].diff is None
