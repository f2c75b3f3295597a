"""Finding the code in what models write, and the grammar that shapes it for the embedded model."""

from __future__ import annotations

from pathlib import Path

import pytest

from picoagent.actions import make_format
from picoagent.actions.base import ActionParseError, CodeAction
from picoagent.actions.code_format import CodeFormat
from picoagent.config import Config
from picoagent.errors import ConfigError
from picoagent.tools.builtin import builtin_tools
from picoagent.tools.registry import Tool, ToolRegistry


@pytest.fixture
def code_format(tmp_path: Path) -> CodeFormat:
    registry = ToolRegistry(builtin_tools(tmp_path))
    return make_format("code", registry, workspace=tmp_path, config=Config(model="scripted"))


@pytest.mark.parametrize(
    ("text", "thought", "code"),
    [
        ("I list files.\n```python\nprint(1)\n```", "I list files.", "print(1)"),
        ("```py\nx = 1\nprint(x)\n```\nThat prints 1.", "", "x = 1\nprint(x)"),
        ("Untagged.\n```\nprint(2)\n```", "Untagged.", "print(2)"),
        ("Never closed.\n```python\nprint(3)\n", "Never closed.", "print(3)"),
        ("Two blocks.\n```python\na = 1\n```\nthen\n```python\nb = 2\n```", "Two blocks.", "a = 1"),
        ("Forgot to close.\n```python\na = 1\n```python\nb = 2\n```", "Forgot to close.", "a = 1"),
        ("Block then invented output.\n```python\nprint(4)\n```\nOutput:\n```\n4\n```", "Block then invented output.", "print(4)"),
        ("Empty first.\n```python\n```\n```python\nprint(5)\n```", "Empty first.\n```python\n```", "print(5)"),
        ('final_answer("done")', "", 'final_answer("done")'),
        ("Inline: ```python print(6)```", "Inline:", "print(6)"),
        ("  ```Python\n    indented = 1\n  ```", "", "    indented = 1"),
    ],
)
def test_parses_what_models_write(code_format: CodeFormat, text: str, thought: str, code: str) -> None:
    action = code_format.parse(text)
    assert isinstance(action, CodeAction)
    assert (action.thought, action.code) == (thought, code)


def test_a_shell_block_runs_as_a_bash_cell(code_format: CodeFormat) -> None:
    action = code_format.parse("Look around.\n```bash\nls -la\nwc -l *.csv\n```")
    assert action.code == "%%bash\nls -la\nwc -l *.csv"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no Python code block"),
        ("I think the answer is 42.", "no Python code block"),
        ("The answer", "no Python code block"),
        ("```python\n\n```", "empty or not Python"),
        ("```json\n{\"a\": 1}\n```", "empty or not Python"),
    ],
)
def test_replies_without_code_get_a_repair_message(code_format: CodeFormat, text: str, message: str) -> None:
    with pytest.raises(ActionParseError, match=message) as error:
        code_format.parse(text)
    assert "```python" in str(error.value), "the message shows the expected shape"


def test_instructions_show_tools_as_python_functions(code_format: CodeFormat) -> None:
    text = code_format.instructions()
    assert "def read_file(path: str, start_line: int = 1, end_line: int | None = None) -> str:" in text
    assert "def final_answer(answer: str)" in text
    assert "call final_answer(answer)" in text


def test_grammar_is_valid_gbnf_and_ends_at_the_closing_fence(code_format: CodeFormat) -> None:
    llama_cpp = pytest.importorskip("llama_cpp")
    grammar = code_format.constraint().grammar
    assert grammar.startswith('root ::= thought "```python\\n"') and 'line{1,60} "```"' in grammar
    llama_cpp.LlamaGrammar.from_string(grammar, verbose=False)  # raises on a malformed grammar


def test_the_finishing_grammar_is_one_final_answer_call_with_a_string_literal(code_format: CodeFormat) -> None:
    # Not `final_answer(answer)` (NameError) nor two arguments (TypeError): the last call answers.
    llama_cpp = pytest.importorskip("llama_cpp")
    grammar = code_format.constraint(finish=True).grammar
    assert grammar.startswith('root ::= thought "```python\\n" "final_answer(\\"" literal{0,400} "\\")\\n" "```"')
    llama_cpp.LlamaGrammar.from_string(grammar, verbose=False)


def test_observations_are_labelled_by_outcome(code_format: CodeFormat) -> None:
    from picoagent.observation import Observation

    assert code_format.render_observation(Observation(text="4")) == "Output:\n4"
    assert code_format.render_observation(Observation(text="boom", is_error=True)) == "Error:\nboom"


def largest(*numbers: float) -> float:
    """The largest of some numbers.

    Args:
        *numbers: The numbers to compare.
    """
    return max(numbers)


def test_tools_named_like_python_builtins_get_an_alias_in_code(tmp_path: Path) -> None:
    from picoagent.actions.base import ToolCall

    registry = ToolRegistry([Tool.from_function(largest, name="max"), *builtin_tools(tmp_path)])
    code_format = CodeFormat(registry, workspace=tmp_path, config=Config())
    assert "def max_(*numbers: float) -> float:" in code_format.instructions()
    assert "def max(" not in code_format.instructions()
    assert code_format.render_call(ToolCall(thought="t", tool="max", args={"numbers": [1, 2]})).endswith("print(max_([1, 2]))\n```")


def test_two_tools_with_the_same_alias_are_refused(tmp_path: Path) -> None:
    registry = ToolRegistry([Tool.from_function(largest, name="max"), Tool.from_function(largest, name="max_")])
    with pytest.raises(ConfigError, match=r"'max' and 'max_' would both be the Python function max_\(\)"):
        CodeFormat(registry, workspace=tmp_path, config=Config())
