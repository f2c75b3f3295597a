"""Loading suites: YAML and Python task files, validation errors, suite names."""

from __future__ import annotations

import pytest

from picoagent.errors import ConfigError
from picoagent.evals.tasks import builtin_suites, load_suite, load_tasks, resolve_suite
from tests.evals.conftest import write_suite

TASK = {"id": "one", "instruction": "say 1", "checks": [{"type": "numeric", "expected": 1}]}


def test_a_file_may_hold_one_task_or_a_list(tmp_path):
    suite = tmp_path / "mine"
    write_suite(suite, [TASK, {**TASK, "id": "two"}])
    (suite / "single.yml").write_text("id: three\ninstruction: say 3\nchecks: [{type: numeric, expected: 3}]\n")
    tasks = load_suite(suite)
    assert [t.key for t in tasks] == ["mine/three", "mine/one", "mine/two"]
    assert tasks[1].limits.max_steps == 15 and tasks[1].limits.timeout == 300


@pytest.mark.parametrize(
    ("task", "message"),
    [
        ({**TASK, "chekcs": []}, "chekcs"),
        ({**TASK, "checks": []}, "checks"),
        ({**TASK, "checks": [{"type": "nope"}]}, "checks.0"),
        ({**TASK, "id": "Bad Id"}, "id"),
        ({**TASK, "limits": {"max_steps": 0}}, "limits.max_steps"),
    ],
)
def test_mistakes_in_a_task_file_are_readable_errors(tmp_path, task, message):
    with pytest.raises(ConfigError, match=message):
        load_suite(write_suite(tmp_path / "s", [task]))


def test_duplicate_ids_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="defined twice"):
        load_suite(write_suite(tmp_path / "s", [TASK, TASK]))


def test_python_modules_without_tasks_are_helpers(tmp_path):
    suite = write_suite(tmp_path / "s", [TASK])
    (suite / "helpers.py").write_text("VALUE = 1\n")
    (suite / "more.py").write_text("TASKS = [{'id': 'py', 'instruction': 'x', 'checks': [{'type': 'python', 'function': lambda a, w: True}], 'tools': lambda w: []}]\n")
    assert [t.id for t in load_suite(suite)] == ["py", "one"]


def test_suites_resolve_by_name_directory_or_file(tmp_path):
    assert {"terminal", "debug", "qa", "tools"} <= set(builtin_suites())
    assert resolve_suite("terminal")[0] == "terminal"
    suite = write_suite(tmp_path / "mine", [TASK])
    assert resolve_suite(str(suite))[0] == "mine"
    assert [t.id for t in resolve_suite(str(suite / "tasks.yaml"))[1]] == ["one"]
    with pytest.raises(ConfigError, match="no suite 'nosuch'"):
        resolve_suite("nosuch")


def test_task_filter(tmp_path):
    assert [t.key for t in load_tasks(["terminal", "qa"], ["qa/report-*"])] == ["qa/report-headcount", "qa/report-new-office"]
    with pytest.raises(ConfigError, match="no task matches"):
        load_tasks(["terminal"], ["zzz*"])
