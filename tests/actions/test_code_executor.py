"""Code actions in a real kernel, with the run's tools callable from the code."""

from __future__ import annotations

from pathlib import Path

import pytest

from picoagent.actions.base import CodeAction, ToolCall
from picoagent.actions.code_executor import CodeExecutor
from picoagent.exec.kernel import KernelLimits
from picoagent.tools.builtin import builtin_tools
from picoagent.tools.registry import Tool, ToolRegistry

pytestmark = pytest.mark.slow


def count_words(text: str) -> dict[str, int]:
    """Count how often each word occurs.

    Args:
        text: The text to count words in.
    """
    counts: dict[str, int] = {}
    for word in text.split():
        counts[word] = counts.get(word, 0) + 1
    return counts


def total(*numbers: float, scale: float = 1.0) -> float:
    """Add numbers up.

    Args:
        *numbers: The numbers to add.
        scale: What to multiply the sum by.
    """
    return sum(numbers) * scale


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("workspace")


@pytest.fixture(scope="module")
def executor(workspace: Path):
    registry = ToolRegistry([*builtin_tools(workspace), count_words, total, Tool.from_function(total, name="sum")])
    executor = CodeExecutor(registry, workspace, KernelLimits(timeout_s=10.0))
    yield executor
    executor.close()


def run(executor: CodeExecutor, code: str):
    return executor.execute(CodeAction(thought="", code=code))


def test_a_tool_called_from_code_returns_its_value_and_is_recorded(executor: CodeExecutor, workspace: Path) -> None:
    (workspace / "notes.txt").write_text("alpha\nbeta\n")
    observation = run(executor, "text = read_file('notes.txt')\nprint(text.splitlines()[-1])")
    assert observation.text == "beta" and not observation.is_error
    assert [(call["tool"], call["args"]["path"]) for call in observation.tool_calls] == [("read_file", "notes.txt")]


def test_tools_that_return_data_give_python_values(executor: CodeExecutor) -> None:
    observation = run(executor, "counts = count_words('a b a')\ncounts['a'], type(counts).__name__")
    assert observation.text == "Out: (2, 'dict')"


def test_many_calls_in_one_block_are_all_recorded(executor: CodeExecutor) -> None:
    observation = run(executor, "for i in range(3):\n    write_file(f'f{i}.txt', str(i))\nsorted(shell('ls f*.txt').split()[:3])")
    assert [call["tool"] for call in observation.tool_calls] == ["write_file"] * 3 + ["shell"]
    assert observation.text == "Out: ['f0.txt', 'f1.txt', 'f2.txt']"


def test_a_failing_tool_raises_tool_error_with_the_registrys_message(executor: CodeExecutor) -> None:
    observation = run(executor, "read_file('missing.txt')")
    assert observation.is_error
    assert "ToolError: Tool 'read_file' failed: FileNotFoundError: no such file: missing.txt" in observation.text
    assert "<picoagent-tools>" not in observation.text, "the bridge's frames are hidden"
    assert observation.tool_calls[0]["error"].startswith("Tool 'read_file' failed")
    caught = run(executor, "try:\n    read_file(path=3)\nexcept ToolError as error:\n    print('caught:', error)")
    assert caught.text.startswith("caught: Invalid arguments for 'read_file': path: Input should be a valid string")


def test_final_answer_ends_the_block_and_converts_values_to_text(executor: CodeExecutor) -> None:
    observation = run(executor, "try:\n    final_answer(6 * 7)\nexcept Exception:\n    pass\nprint('not reached')")
    assert observation.final_answer == "42"
    assert [call["tool"] for call in observation.tool_calls] == ["final_answer"]


def test_images_are_saved_in_the_workspace_and_named_in_the_observation(executor: CodeExecutor, workspace: Path) -> None:
    pytest.importorskip("PIL")
    observation = run(executor, "from PIL import Image\nImage.new('RGB', (4, 4), 'blue')")
    assert observation.files == ["outputs/image-1.png"]
    assert (workspace / "outputs" / "image-1.png").read_bytes().startswith(b"\x89PNG")
    assert "[image saved to outputs/image-1.png]" in observation.text


def test_no_output_says_how_to_see_values(executor: CodeExecutor) -> None:
    assert run(executor, "quiet = 1").text.startswith("(no output: print()")


def test_tool_call_actions_are_refused(executor: CodeExecutor) -> None:
    observation = executor.execute(ToolCall(thought="", tool="shell", args={"command": "ls"}))
    assert observation.is_error and "code blocks only" in observation.text


def test_varargs_tools_and_aliases_of_builtin_names_work_in_code(executor: CodeExecutor) -> None:
    observation = run(executor, "print(total(1, 2, 3, scale=2), sum_(4, 5), sum([1, 1]))")
    assert observation.text == "12.0 9.0 2", "the tool sum is sum_; Python's sum stays itself"
    assert [(call["tool"], call["args"]) for call in observation.tool_calls] == [
        ("total", {"numbers": [1, 2, 3], "scale": 2}),
        ("sum", {"numbers": [4, 5], "scale": 1.0}),
    ]
