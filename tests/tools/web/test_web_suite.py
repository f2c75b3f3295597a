"""The web eval suite: its checks accept the reference answers, and each reference run solves its task through the harness."""

from __future__ import annotations

import json

import pytest

from picoagent.evals.checkers import run_check
from picoagent.evals.reference import verify
from picoagent.evals.runner import EvalOptions, run_one
from picoagent.evals.tasks import SUITES_DIR, import_file, resolve_suite
from tests.tools.web.conftest import SnapshotReadingModel

SUITE, TASKS = resolve_suite("web")
REFERENCE_RUNS = import_file(SUITES_DIR / "web" / "tasks.py").REFERENCE_RUNS


def test_the_suite_has_enough_tasks_each_with_a_reference_run():
    assert SUITE == "web" and len(TASKS) >= 8
    assert sorted(REFERENCE_RUNS) == sorted(task.id for task in TASKS)
    assert all(task.toolsets == ["web"] and task.setup.fixture for task in TASKS)


@pytest.mark.parametrize("task", TASKS, ids=lambda task: task.id)
def test_checks_pass_the_reference_answer_and_fail_a_wrong_one(task):
    verification = verify(task)
    assert verification.ok, (verification.error, verification.reference, verification.wrong)


@pytest.mark.slow
@pytest.mark.parametrize("task", TASKS, ids=lambda task: task.id)
def test_the_reference_run_solves_the_task_with_the_real_tools(task, tmp_path):
    outputs = [json.dumps({"thought": "reference step", "tool": tool, "args": args}) for tool, args in REFERENCE_RUNS[task.id]]
    model = SnapshotReadingModel(outputs)
    record = run_one(task, 0, model, EvalOptions(model_spec="scripted"), tmp_path / "runs")
    assert record["passed"], record
    assert record["steps"] == len(outputs)
    # The answer was on screen: the task's first check passes on what the tools showed the model.
    shown = "\n".join(message["content"] for message in model.calls[-1] if message["role"] == "user")
    assert "Error:" not in shown, shown[-3000:]
    first = run_check(task.checks[0], task, shown, tmp_path, {}, None)
    assert first.passed, (first.detail, shown[-3000:])
