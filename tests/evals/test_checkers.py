"""Each checker passes what it should and fails what it should."""

from __future__ import annotations

from pathlib import Path

import pytest

from picoagent.evals.checkers import check_task, normalize, numbers_in
from picoagent.evals.tasks import Task
from picoagent.evals.workspace import snapshot
from picoagent.models.scripted import ScriptedModel


def make_task(*checks: dict) -> Task:
    return Task.model_validate({"id": "t", "instruction": "do it", "checks": list(checks), "suite": "s"})


def passed(task: Task, answer: str | None, workspace: Path, judge=None) -> bool:
    return all(r.passed for r in check_task(task, answer, workspace, snapshot(task, workspace), judge))


def test_normalize_and_numbers():
    assert normalize('  "Porto."  ') == "porto"
    assert numbers_in("total: 12,500 EUR and -3.5") == [12500.0, -3.5]


@pytest.mark.parametrize(
    ("match", "answer", "ok"),
    [
        ("normalized", "Porto.", True),
        ("normalized", "It is Porto", False),
        ("exact", "Porto.", False),
        ("contains", "The city is Porto.", True),
        ("contains", "Portobello", False),
    ],
)
def test_answer_matching(tmp_path, match, answer, ok):
    assert passed(make_task({"type": "answer", "expected": "Porto", "match": match}), answer, tmp_path) is ok


@pytest.mark.parametrize(("answer", "ok"), [("7", True), ("7 lines", True), ("7.0000001", True), ("8", False), ("1 2 3 4 5 6 7 8", False), ("seven", False), (None, False)])
def test_numeric(tmp_path, answer, ok):
    assert passed(make_task({"type": "numeric", "expected": 7, "tolerance": 0.001}), answer, tmp_path) is ok


def test_regex(tmp_path):
    task = make_task({"type": "regex", "pattern": r"^\d{4}-\d{2}$"})
    assert passed(task, "2024-03", tmp_path) and not passed(task, "March 2024", tmp_path)


def test_file_equals_ignores_trailing_whitespace_only(tmp_path):
    task = make_task({"type": "file", "path": "out.txt", "equals": "a\nb\n", "not_contains": "c"})
    assert not passed(task, None, tmp_path)  # missing
    (tmp_path / "out.txt").write_text("a  \nb")
    assert passed(task, None, tmp_path)
    (tmp_path / "out.txt").write_text("a\nb\nc\n")
    assert not passed(task, None, tmp_path)


def test_command_exit_code(tmp_path):
    task = make_task({"type": "command", "run": "test -f flag", "exit_code": 0})
    assert not passed(task, None, tmp_path)
    (tmp_path / "flag").touch()
    assert passed(task, None, tmp_path)


def test_unchanged_compares_with_the_state_after_setup(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("assert True\n")
    task = make_task({"type": "unchanged", "paths": ["tests/test_a.py"]})
    before = snapshot(task, tmp_path)
    assert all(r.passed for r in check_task(task, None, tmp_path, before))
    (tmp_path / "tests" / "test_a.py").write_text("pass\n")
    result = check_task(task, None, tmp_path, before)[0]
    assert not result.passed and "tests/test_a.py" in result.detail


def test_python_check_may_return_a_detail_and_may_crash(tmp_path):
    ok = Task.model_validate({"id": "p", "instruction": "x", "checks": [{"type": "python", "function": lambda a, w: (a == "yes", "said " + str(a))}]})
    assert passed(ok, "yes", tmp_path) and not passed(ok, "no", tmp_path)
    crashing = Task.model_validate({"id": "p", "instruction": "x", "checks": [{"type": "python", "function": lambda a, w: 1 / 0}]})
    [result] = check_task(crashing, "yes", tmp_path, {})
    assert not result.passed and "ZeroDivisionError" in result.detail


def test_judge_is_off_by_default_and_marked_when_used(tmp_path):
    task = make_task({"type": "judge", "rubric": "mentions a fruit"})
    [skipped] = check_task(task, "a kumquat", tmp_path, {})
    assert skipped.skipped and not skipped.passed
    judge = ScriptedModel(['{"reason": "kumquat is a fruit", "verdict": "pass"}', '{"reason": "no", "verdict": "fail"}', "garbage"])
    assert passed(task, "a kumquat", tmp_path, judge)
    assert "a kumquat" in judge.calls[0][0]["content"] and "mentions a fruit" in judge.calls[0][0]["content"]
    assert not passed(task, "a rock", tmp_path, judge)
    assert not passed(task, "a rock", tmp_path, judge)  # unparsable verdict fails
