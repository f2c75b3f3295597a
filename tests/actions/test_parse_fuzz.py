"""Model output is untrusted: every parser either returns an action or raises ActionParseError, quickly."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from picoagent.actions import make_format
from picoagent.actions.base import ActionParseError
from picoagent.config import Config
from picoagent.tools.builtin import builtin_tools
from picoagent.tools.registry import ToolRegistry

FORMATS = ("json", "code", "text")

# Pieces that steer inputs towards the parsers' interesting paths: braces, strings, labels, fences.
PIECES = [
    "{", "}", "[", "]", '"', ":", ",", "\\", "\n", " ", "`", "```", "```python\n", "```bash\n", "\n```",
    "Thought: ", "Action: ", "Action Input: ", "Final Answer: ", "Observation: ", "**Action:**",
    '{"thought": "t", "tool": "shell", "args": {"command": "ls"}}', '"tool"', '"args"', '"shell"',
    "shell(", "final_answer(", ")", "print(1)", "x = 1", "import os", "\x00", "\ud800", "\udcff",
    "1e999", "9" * 5000, "-" * 50, "(" * 50, "{" * 200, "[" * 200, "\u200b", "é", "\r",
]  # fmt: skip
replies = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=60).map("".join)


@pytest.fixture(scope="module")
def parsers(tmp_path_factory: pytest.TempPathFactory) -> dict:
    workspace = tmp_path_factory.mktemp("ws")
    registry = ToolRegistry(builtin_tools(workspace))
    config = Config(model="scripted")
    return {name: make_format(name, registry, workspace=workspace, config=config).parse for name in FORMATS}


def parse_all(parsers: dict, text: str) -> None:
    for parse in parsers.values():
        try:
            parse(text)
        except ActionParseError:
            pass


@settings(max_examples=10_000, deadline=timedelta(seconds=1), suppress_health_check=list(HealthCheck), database=None)
@given(text=replies)
@pytest.mark.slow
def test_ten_thousand_replies_parse_or_raise_action_parse_error(parsers: dict, text: str) -> None:
    parse_all(parsers, text)


@settings(max_examples=300, deadline=timedelta(seconds=1), suppress_health_check=list(HealthCheck), database=None)
@given(text=replies)
def test_replies_parse_or_raise_action_parse_error(parsers: dict, text: str) -> None:
    parse_all(parsers, text)


ADVERSARIAL = {
    "open braces": "{" * 262_144,
    "open brackets": '{"a": ' + "[" * 262_144,
    "nested keys": '{"a": ' * 50_000,
    "closed nesting": "{" * 100_000 + "}" * 100_000,
    "unclosed strings": '{"' * 100_000,
    "fences": "```\n" * 100_000,
    "labels": "Action: shell\n" * 20_000,
    "parentheses": "print(" * 100_000,
    "minus signs": "-" * 200_000 + "1",
}


@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.parametrize("case", ADVERSARIAL)
def test_huge_adversarial_replies_are_handled_in_bounded_time(parsers: dict, name: str, case: str) -> None:
    started = time.perf_counter()
    try:
        parsers[name](ADVERSARIAL[case])
    except ActionParseError:
        pass
    assert time.perf_counter() - started < 2.0


def test_deep_json_is_refused_but_objects_beside_it_are_found(parsers: dict) -> None:
    action = parsers["json"]('{"x": ' * 10_000 + ' {"thought": "t", "tool": "shell", "args": {"command": "ls"}}')
    assert (action.tool, action.args) == ("shell", {"command": "ls"})
    with pytest.raises(ActionParseError, match="nests deeper"):
        parsers["json"]('{"thought": "t", "tool": "shell", "args": ' + "[" * 100 + "]" * 100 + "}")
