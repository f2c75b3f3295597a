"""Every shipped task: its reference solution passes its checks and a wrong answer fails them."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from picoagent.evals.checkers import check_task
from picoagent.evals.reference import apply_reference, verify
from picoagent.evals.tasks import builtin_suites, resolve_suite
from picoagent.evals.workspace import prepared, run_command, snapshot

ALL_TASKS = [task for name in builtin_suites() for task in resolve_suite(name)[1]]


def test_suite_sizes():
    sizes = {name: len(resolve_suite(name)[1]) for name in builtin_suites()}
    assert sizes["terminal"] >= 25 and sizes["debug"] >= 8
    qa = resolve_suite("qa")[1]
    assert sum("shop.db" in t.instruction for t in qa) >= 10
    assert sum("docs/" in t.instruction for t in qa) >= 10
    assert any(".pdf" in t.instruction or "PDF" in t.instruction for t in qa)


@pytest.mark.slow  # builds every task's fixtures (git repos, databases, a web server): about 80 setups
@pytest.mark.parametrize("task", ALL_TASKS, ids=lambda t: t.key)
def test_reference_passes_and_wrong_answer_fails(task):
    outcome = verify(task)
    assert outcome.error is None, outcome.error
    assert all(r.passed for r in outcome.reference), [r.detail for r in outcome.reference if not r.passed]
    assert not all(r.passed for r in outcome.wrong), "a wrong answer in an untouched workspace passes"


@pytest.mark.slow
@pytest.mark.parametrize("task", [t for t in ALL_TASKS if t.suite == "debug"], ids=lambda t: t.key)
def test_debug_tasks_refuse_a_fix_that_edits_the_tests(task):
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp).resolve()
        with prepared(task, workspace):
            before = snapshot(task, workspace)
            assert run_command("git log --oneline | wc -l", workspace).stdout.strip() == "2"
            # "Fix" by emptying every test file: the tests pass, the unchanged check must not.
            for path in before:
                (workspace / path).write_text("")
            results = check_task(task, None, workspace, before)
            assert results[0].passed and not results[1].passed


def test_reference_answer_is_computed_not_copied():
    task = next(t for t in ALL_TASKS if t.key == "qa/report-headcount")
    with tempfile.TemporaryDirectory() as tmp:
        with prepared(task, Path(tmp)):
            assert task.reference.answer is None
            assert apply_reference(task, Path(tmp)) == "57"
