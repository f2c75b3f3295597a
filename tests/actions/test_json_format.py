"""Parsing JSON actions from what models actually write."""

from __future__ import annotations

from pathlib import Path

import pytest

from picoagent.actions.base import ActionParseError
from picoagent.actions.json_format import JsonFormat
from picoagent.tools.builtin import builtin_tools
from picoagent.tools.registry import ToolRegistry


@pytest.fixture
def json_format(tmp_path: Path) -> JsonFormat:
    return JsonFormat(ToolRegistry(builtin_tools(tmp_path)))


@pytest.mark.parametrize(
    "text",
    [
        '{"thought": "t", "tool": "shell", "args": {"command": "ls"}}',
        '```json\n{"thought": "t", "tool": "shell", "args": {"command": "ls"}}\n```',
        'I will run ls. {"thought": "t", "tool": "shell", "args": {"command": "ls"}} Done.',
        '{"thought": "t", "action": "shell", "arguments": {"command": "ls"}}',
        '{"note": {"x": 1}} then {"thought": "t", "tool": "shell", "args": {"command": "ls"}}',
    ],
)
def test_parses_what_models_write(json_format: JsonFormat, text: str) -> None:
    call = json_format.parse(text)
    assert (call.tool, call.args) == ("shell", {"command": "ls"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no JSON object found"),
        ("just prose", "no JSON object found"),
        ('{"thought": "t", "tool": "shell", "args": {"command": "ls"', "invalid JSON"),
        ('{"thought": "t", "args": {}}', "tool: Field required"),
        ('{"thought": "t", "tool": "shell", "args": "ls"}', "args: Input should be a valid dictionary"),
    ],
)
def test_invalid_outputs_raise_a_repair_message(json_format: JsonFormat, text: str, message: str) -> None:
    with pytest.raises(ActionParseError, match=message):
        json_format.parse(text)


def test_schema_is_an_any_of_with_the_tool_name_as_constant(json_format: JsonFormat) -> None:
    schema = json_format.constraint().schema
    names = [variant["properties"]["tool"]["const"] for variant in schema["anyOf"]]
    assert names == ["shell", "read_file", "write_file", "edit_file", "final_answer"]
    first = schema["anyOf"][0]
    assert list(first["properties"]) == ["thought", "tool", "args"], "thoughts come first"
    assert first["properties"]["thought"]["maxLength"] > 0


def test_instructions_list_every_tool(json_format: JsonFormat) -> None:
    text = json_format.instructions()
    for name in ("shell(command: str)", "read_file(", "write_file(", "edit_file(", "final_answer(answer: str)"):
        assert name in text
