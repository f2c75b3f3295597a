"""Tool calls from a kernel reach the engine's registry over the bridge's socket (a real socket, no kernel)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from picoagent.exec.tool_bridge import ToolBridge
from picoagent.tools.builtin import builtin_tools
from picoagent.tools.registry import ToolRegistry


@pytest.fixture
def registry(tmp_path: Path) -> ToolRegistry:
    return ToolRegistry(builtin_tools(tmp_path))


@pytest.fixture
def bridge(registry: ToolRegistry):
    bridge = ToolBridge(registry.call)
    yield bridge
    bridge.close()


def send(bridge: ToolBridge, request: dict) -> dict:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(str(bridge.socket_path))
        connection.sendall(json.dumps(request).encode() + b"\n")
        return json.loads(connection.makefile("rb").readline())


def test_a_call_runs_the_tool_and_is_recorded(bridge: ToolBridge, tmp_path: Path) -> None:
    reply = send(bridge, {"token": bridge.token, "tool": "write_file", "args": {"path": "a.txt", "content": "hi"}})
    assert reply == {"is_error": False, "text": "wrote 2 characters to a.txt", "final": False}
    assert (tmp_path / "a.txt").read_text() == "hi"
    calls, answer = bridge.take()
    assert [call["tool"] for call in calls] == ["write_file"] and answer is None
    assert bridge.take() == ([], None), "take() hands each call over once"


def test_errors_are_the_registrys_own_observations(bridge: ToolBridge, registry: ToolRegistry) -> None:
    reply = send(bridge, {"token": bridge.token, "tool": "read_file", "args": {"path": 3}})
    assert reply["is_error"]
    assert reply["text"] == registry.call("read_file", {"path": 3}).text
    calls, _ = bridge.take()
    assert "error" in calls[0]


def test_a_wrong_token_is_refused_and_nothing_runs(bridge: ToolBridge, tmp_path: Path) -> None:
    reply = send(bridge, {"token": "guess", "tool": "write_file", "args": {"path": "b.txt", "content": "x"}})
    assert reply["is_error"] and "wrong token" in reply["text"]
    assert not (tmp_path / "b.txt").exists()
    assert bridge.take() == ([], None)


def test_final_answer_is_recorded_once(bridge: ToolBridge) -> None:
    first = send(bridge, {"token": bridge.token, "tool": "final_answer", "args": {"answer": "42"}})
    send(bridge, {"token": bridge.token, "tool": "final_answer", "args": {"answer": "43"}})
    assert first["final"]
    calls, answer = bridge.take()
    assert answer == "42" and len(calls) == 2


def test_close_removes_the_socket(registry: ToolRegistry) -> None:
    bridge = ToolBridge(registry.call)
    path = bridge.socket_path
    bridge.close()
    assert not path.exists() and not path.parent.exists()
