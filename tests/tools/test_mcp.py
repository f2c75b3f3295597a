"""MCP servers' tools in picoagent runs, against a real MCP server over stdio (tests/tools/mcp_stock_server.py)."""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

import pytest

from picoagent.agent.session import run_task
from picoagent.config import Config
from picoagent.errors import ConfigError
from picoagent.models.scripted import ScriptedModel
from picoagent.trace.recorder import read_events
from tests.conftest import action

SERVER = Path(__file__).with_name("mcp_stock_server.py")


def server_spec(pid_file: Path) -> str:
    return shlex.join([sys.executable, str(SERVER), str(pid_file)])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_an_agent_run_calls_the_servers_tools_with_their_schemas(config: Config, tmp_path: Path) -> None:
    pid_file = tmp_path / "server.pid"
    config = config.model_copy(update={"mcp": [server_spec(pid_file)], "sandbox": "off"})
    model = ScriptedModel(
        [
            action("stock_count", item="widget"),
            action("stock_count", item="sprocket"),  # the server reports an error
            action("tags", items=["a", "b", "c"], limit=2),
            action("final_answer", answer="42"),
        ]
    )
    result = run_task("How many widgets are in stock?", config, model=model)
    assert result.ok and result.answer == "42"

    observations = [event["observation"] for event in read_events(result.trace_path) if event["type"] == "step"]
    assert observations[0] == {"text": "42 units of widget in main", "is_error": False, "tool_calls": observations[0]["tool_calls"]}
    assert observations[1]["is_error"] and "stock_count" in observations[1]["text"]
    assert observations[2]["text"] == "#a,#b"
    # The prompt describes the tools with the server's own words, and the schema constrains their arguments.
    system = model.calls[0][0]["content"]
    assert "stock_count(item: str, warehouse: str | None = None)" in system and "The item's name, e.g. widget." in system
    schema = json.dumps(model.constraints[0].schema)
    assert '"const": "tags"' in schema and '"items": {"type": "string"}' in schema
    # The server was shut down with the run.
    assert not alive(int(pid_file.read_text()))


def test_a_server_that_cannot_start_is_a_config_error_and_no_run(config: Config) -> None:
    config = config.model_copy(update={"mcp": ["/nonexistent/mcp-server --flag"], "sandbox": "off"})
    with pytest.raises(ConfigError, match="cannot use the MCP server '/nonexistent/mcp-server --flag'"):
        run_task("x", config, model=ScriptedModel([action("final_answer", answer="x")]))
    assert list(config.runs_dir.iterdir()) == []


@pytest.mark.slow
def test_code_mode_calls_the_servers_tool_from_python(config: Config, tmp_path: Path) -> None:
    pid_file = tmp_path / "server.pid"
    config = config.model_copy(update={"mcp": [server_spec(pid_file)], "actions": "code", "sandbox": "off"})
    code = "Let me look it up.\n```python\ncount = stock_count('gadget', warehouse='north')\nprint(count)\n```"
    model = ScriptedModel([code, "Done.\n```python\nfinal_answer(count.split()[0])\n```"])
    result = run_task("How many gadgets are in stock in the north warehouse?", config, model=model)
    assert result.ok and result.answer == "7", result.error
    step = next(event for event in read_events(result.trace_path) if event["type"] == "step")
    assert "7 units of gadget in north" in step["observation"]["text"]
    assert not alive(int(pid_file.read_text()))


@pytest.mark.slow
def test_an_embedded_model_run_with_an_mcp_server(config: Config, tmp_path: Path) -> None:
    """Gemma 3 270M with the stock server's tools: it decodes under a grammar that includes them
    and the run ends with a complete trace and the server stopped. (It picks shell, not the
    stock tool, for every phrasing tried: see docs/interfaces.md.)"""
    pid_file = tmp_path / "server.pid"
    config = config.model_copy(update={"mcp": [server_spec(pid_file)], "model": "local", "max_steps": 2, "sandbox": "off"})
    result = run_task('How many units of widget are in stock? Call stock_count with item "widget".', config)
    events = read_events(result.trace_path)
    assert events[0]["tools"][-2:] == ["stock_count", "tags"]
    steps = [event for event in events if event["type"] == "step"]
    assert "stock_count(item: str, warehouse: str | None = None)" in steps[0]["messages"][0]["content"]
    assert all("action" in step for step in steps), "the grammar keeps every action well-formed"
    for step in steps:
        if step["action"]["tool"] == "stock_count":
            assert "units of" in step["observation"]["text"] or step["observation"]["is_error"]
    assert events[-1]["type"] == "run_end"
    assert not alive(int(pid_file.read_text()))
