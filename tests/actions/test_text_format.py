"""Parsing ReAct text actions leniently, as small models write them."""

from __future__ import annotations

from pathlib import Path

import pytest

from picoagent.actions import make_format
from picoagent.actions.base import ActionParseError
from picoagent.actions.text_format import TextFormat
from picoagent.config import Config
from picoagent.tools.builtin import builtin_tools
from picoagent.tools.registry import ToolRegistry


@pytest.fixture
def text_format(tmp_path: Path) -> TextFormat:
    return make_format("text", ToolRegistry(builtin_tools(tmp_path)), workspace=tmp_path, config=Config(model="scripted"))


@pytest.mark.parametrize(
    ("text", "tool", "args"),
    [
        ('Thought: look\nAction: shell\nAction Input: {"command": "ls"}', "shell", {"command": "ls"}),
        ('**Thought:** look\n**Action:** `shell`\n**Action Input:** {"command": "ls"}', "shell", {"command": "ls"}),
        ('thought: look\naction: shell\naction_input: {"command": "ls"}', "shell", {"command": "ls"}),
        ('Thought: look\nAction: shell\nAction Input:\n```json\n{"command": "ls"}\n```', "shell", {"command": "ls"}),
        ("Thought: look\nAction: shell\nAction Input: ls -la | head", "shell", {"command": "ls -la | head"}),
        ('Thought: look\nAction: shell\nAction Input: "ls -la"', "shell", {"command": "ls -la"}),
        ('Action: shell("ls")', "shell", {"command": "ls"}),
        ('Thought: read\nAction: read_file\nAction Input: notes.txt', "read_file", {"path": "notes.txt"}),
        ("Thought: I know it.\nFinal Answer: 42", "final_answer", {"answer": "42"}),
        ('Thought: done\nAction: final_answer\nAction Input: {"answer": "42"}', "final_answer", {"answer": "42"}),
        (
            'Thought: a\nAction: shell\nAction Input: {"command": "ls"}\nObservation: a.txt\nThought: b\nAction: final_answer\nAction Input: {"answer": "x"}',
            "shell",
            {"command": "ls"},
        ),
        ('I will look.\nAction: shell\nAction Input: {"command": "pwd"}', "shell", {"command": "pwd"}),
        ('Thought: no input needed\nAction: mystery_tool', "mystery_tool", {}),
    ],
)
def test_parses_what_models_write(text_format: TextFormat, text: str, tool: str, args: dict) -> None:
    call = text_format.parse(text)
    assert (call.tool, call.args) == (tool, args)


def test_thought_comes_from_its_label_or_the_text_before_the_action(text_format: TextFormat) -> None:
    assert text_format.parse('Thought: check files\nAction: shell\nAction Input: {"command": "ls"}').thought == "check files"
    assert text_format.parse('I will check.\nAction: shell\nAction Input: {"command": "ls"}').thought == "I will check."


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no action"),
        ("Thought: I am thinking but never act.", "no action"),
        ("Thought: x\nAction: \nAction Input: {}", "no action"),
        ('Thought: x\nAction: shell\nAction Input: {"command": "ls"', "not valid JSON"),
        ("Thought: x\nAction: edit_file\nAction Input: a.txt old new", "must be a JSON object with its arguments: path, old_text"),
    ],
)
def test_malformed_actions_get_a_repair_message(text_format: TextFormat, text: str, message: str) -> None:
    with pytest.raises(ActionParseError, match=message):
        text_format.parse(text)


def test_grammar_pairs_each_tool_with_its_own_arguments(text_format: TextFormat) -> None:
    llama_cpp = pytest.importorskip("llama_cpp")
    grammar = text_format.constraint().grammar
    assert '"shell\\nAction Input: " shell-args' in grammar
    assert '"final_answer\\nAction Input: " final-answer-args' in grammar
    llama_cpp.LlamaGrammar.from_string(grammar, verbose=False)


def test_the_finishing_grammar_offers_only_the_final_tool(text_format: TextFormat) -> None:
    llama_cpp = pytest.importorskip("llama_cpp")
    grammar = text_format.constraint(finish=True).grammar
    assert 'action ::= "final_answer\\nAction Input: " final-answer-args\n' in grammar and "shell" not in grammar
    llama_cpp.LlamaGrammar.from_string(grammar, verbose=False)


def test_observations_read_as_react_observations(text_format: TextFormat) -> None:
    from picoagent.observation import Observation

    assert text_format.render_observation(Observation(text="a.txt")) == "Observation: a.txt"
    assert text_format.render_observation(Observation(text="no", is_error=True)) == "Observation (error): no"
