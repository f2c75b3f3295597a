"""`picoagent mcp serve` called by the mcp package's own client over stdio."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from tests.conftest import action


async def call_server(script: Path, runs_dir: Path, workspace: Path) -> dict:
    from mcp import Client, StdioServerParameters

    command = StdioServerParameters(
        command=sys.executable,
        args=["-m", "picoagent.cli", "mcp", "serve", "--model", f"scripted:{script}", "--runs-dir", str(runs_dir), "--sandbox", "off"],
        cwd=str(workspace),
    )
    async with Client(command) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        called = await client.call_tool("run_task", {"task": "Say hello into hello.txt", "max_steps": 3})
        bad = await client.call_tool("run_task", {"task": "  "})
        listed = (await client.list_resources()).resources
        index = await client.read_resource("picoagent://runs")
        result = json.loads(called.content[0].text)
        trace = await client.read_resource(f"picoagent://runs/{result['run_id']}")
        return {"tools": tools, "called": called, "result": result, "bad": bad, "listed": listed, "index": index, "trace": trace}


@pytest.mark.slow
def test_a_client_runs_a_task_and_reads_its_trace(tmp_path: Path, runs_dir: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text(json.dumps([action("shell", command="echo hello > hello.txt && echo done"), action("final_answer", answer="wrote hello.txt")]))
    out = asyncio.run(call_server(script, runs_dir, tmp_path))

    schema = out["tools"]["run_task"].input_schema
    assert schema["required"] == ["task"] and "max_steps" in schema["properties"]
    assert not out["called"].is_error
    result = out["result"]
    assert result["status"] == "answered" and result["answer"] == "wrote hello.txt" and result["steps"] == 2
    assert (runs_dir / result["run_id"] / "workspace" / "hello.txt").read_text() == "hello\n"
    # Bad input is a tool error with one readable line, and the server goes on serving.
    assert out["bad"].is_error and "the task is empty" in out["bad"].content[0].text
    # The run is a resource: listed, in the index, and its trace readable.
    assert f"picoagent://runs/{result['run_id']}" in [str(resource.uri) for resource in out["listed"]]
    assert json.loads(out["index"].contents[0].text)[0]["id"] == result["run_id"]
    events = [json.loads(line) for line in out["trace"].contents[0].text.splitlines()]
    assert [events[1]["type"], events[-1]["type"]] == ["run_start", "run_end"] and events[1]["task"] == "Say hello into hello.txt"
