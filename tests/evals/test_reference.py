"""Reference solutions made of steps: replayed with the built-in tools, mistakes marked and required to fail."""

from __future__ import annotations

import pytest

from picoagent.errors import ConfigError
from picoagent.evals.reference import step_failed, verify
from picoagent.evals.tasks import ReferenceStep, load_suite
from picoagent.exec.shell import reports_failure
from picoagent.observation import Observation
from tests.evals.conftest import write_suite


def shell(command: str, **extra) -> dict:
    return {"thought": "run it", "tool": "shell", "args": {"command": command}, **extra}


def answer(text: str) -> dict:
    return {"thought": "done", "tool": "final_answer", "args": {"answer": text}}


def task(steps: list[dict], expected: str = "3") -> dict:
    return {
        "id": "counting",
        "instruction": "How many lines does tally.txt have?",
        "setup": {"files": {"tally.txt": "a\nb\nc\n"}},
        "checks": [{"type": "numeric", "expected": float(expected)}],
        "reference": {"steps": steps},
    }


def verified(tmp_path, steps, expected="3"):
    [loaded] = load_suite(write_suite(tmp_path / "suite", [task(steps, expected)]))
    return verify(loaded)


def test_steps_replay_with_the_real_tools_and_answer_through_final_answer(tmp_path):
    steps = [
        {"thought": "look", "tool": "read_file", "args": {"path": "tally.txt"}},
        shell("wc -l < tally.txt"),
        answer("3"),
    ]
    outcome = verified(tmp_path, steps)
    assert outcome.ok and outcome.error is None
    assert not verified(tmp_path, [shell("wc -l < tally.txt"), answer("4")]).ok, "a wrong final answer fails the checks"


def test_a_marked_mistake_that_fails_is_fine_and_the_repair_answers(tmp_path):
    steps = [shell("wc -l < tallies.txt", expect_error=True), shell("ls"), shell("wc -l < tally.txt"), answer("3")]
    assert verified(tmp_path, steps).ok
    # An error observation (a tool that raised) counts as failing too, not only an exit code.
    steps = [{"thought": "read", "tool": "read_file", "args": {"path": "tallies.txt"}, "expect_error": True}, shell("wc -l < tally.txt"), answer("3")]
    assert verified(tmp_path, steps).ok


def test_an_unmarked_failing_step_is_a_setup_error_naming_task_and_step(tmp_path):
    outcome = verified(tmp_path, [shell("ls"), shell("wc -l < tallies.txt"), answer("3")])
    assert not outcome.ok
    assert "suite/counting: reference step 2 (shell) failed" in outcome.error and "No such file" in outcome.error
    outcome = verified(tmp_path, [{"thought": "edit", "tool": "edit_file", "args": {"path": "tally.txt", "old_text": "zzz", "new_text": "y"}}, answer("3")])
    assert "reference step 1 (edit_file) failed" in outcome.error


def test_a_marked_mistake_that_succeeds_is_a_setup_error(tmp_path):
    outcome = verified(tmp_path, [shell("wc -l < tally.txt", expect_error=True), answer("3")])
    assert "reference step 1 (shell) is marked expect_error but succeeded" in outcome.error


def test_unknown_tools_and_bad_arguments_fail_the_replay(tmp_path):
    assert "Unknown tool" in verified(tmp_path, [{"thought": "x", "tool": "teleport", "args": {}}, answer("3")]).error
    assert "Invalid arguments" in verified(tmp_path, [shell("x" * 700), answer("3")]).error


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ({"steps": [shell("ls")]}, "last reference step"),
        ({"steps": [answer("1"), answer("2")]}, "last reference step"),
        ({"steps": [shell("ls"), answer("1")], "commands": ["ls"]}, "either steps or commands"),
        ({"steps": [{"thought": "t" * 301, "tool": "final_answer", "args": {"answer": "1"}}]}, "thought"),
    ],
)
def test_malformed_step_references_are_readable_errors(tmp_path, reference, message):
    with pytest.raises(ConfigError, match=message):
        load_suite(write_suite(tmp_path / "s", [{**task([]), "reference": reference}]))


@pytest.mark.parametrize(
    ("text", "failed"),
    [
        ("3\n[exit code 0]", False),
        ("(no output)\n[exit code 0]", False),
        ("wc: x: No such file or directory\n[exit code 1]", True),
        ("(no output)\n[exit code 124]", True),
        ("(no output)\n[timed out after 30s; the command and its children were killed]", True),
        ("(no output)\n[stopped after 0.4s: the run's time limit was reached; the command and its children were killed]", True),
        ("a line that says [exit code 1] in the middle\n[exit code 0]", False),
    ],
)
def test_what_counts_as_a_failed_step(text, failed):
    assert reports_failure(text) is failed
    assert step_failed(ReferenceStep(thought="t", tool="shell", args={}), Observation(text=text)) is failed
    # Only the shell reports exit codes in its text; another tool's output that ends the same way is data.
    assert step_failed(ReferenceStep(thought="t", tool="read_file", args={}), Observation(text=text)) is False
    assert step_failed(ReferenceStep(thought="t", tool="read_file", args={}), Observation(text=text, is_error=True)) is True
