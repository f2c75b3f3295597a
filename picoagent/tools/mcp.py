"""MCP servers' tools as picoagent tools (`--mcp 'COMMAND ARGS'` or `--mcp URL`).

Each server is started over stdio (a command line) or reached over Streamable HTTP (an
http(s) URL) with the `mcp` package (the `mcp` extra). Its tools are registered with their
JSON Schemas turned into typed parameters, so the registry validates arguments, the json
format constrains them and code mode gets a Python function for each. The mcp client is
asynchronous: one event loop per server runs in a background thread, and tool calls are
sent to it from the run's thread. The server is shut down when the run's tools are closed.

The server is software the user chose to run, like a tool: it runs with the user's rights,
outside the sandbox that holds the model's commands.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import json
import keyword
import os
import re
import shlex
import threading
from collections.abc import Callable
from typing import Any, Literal

from picoagent.deadline import tool_timeout
from picoagent.errors import ConfigError
from picoagent.tools.registry import Tool, ToolRegistry, parse_docstring

# Seconds the server gets to end after its session closes.
SHUTDOWN_S = 5.0
JSON_TYPES: dict[str, Any] = {"string": str, "integer": int, "number": float, "boolean": bool, "object": dict[str, Any]}


class McpToolError(Exception):
    """The server ran the tool and reported an error (shown to the model as the tool failing)."""


def add_mcp_servers(specs: list[str], registry: ToolRegistry, *, timeout_s: float = 60.0) -> None:
    """Start or connect to each server and register its tools; each is closed with the registry."""
    for spec in specs:
        connection = McpConnection(spec, timeout_s=timeout_s)
        registry.add_cleanup(connection.close)
        for mcp_tool in connection.tools:
            registry.register(Tool.from_function(tool_function(connection, mcp_tool)))


def _target(spec: str) -> Any:
    """What mcp.Client connects to: a URL as is, a command line as stdio parameters."""
    from mcp import StdioServerParameters

    if re.match(r"https?://", spec):
        return spec
    try:
        words = shlex.split(spec)
    except ValueError as exc:
        raise ConfigError(f"--mcp {spec!r} is not a command line: {exc}") from None
    if not words:
        raise ConfigError("--mcp needs a command line or an http(s) URL")
    return StdioServerParameters(command=words[0], args=words[1:])


class McpConnection:
    """One MCP server, its tool listing, and calls to it from any thread."""

    def __init__(self, spec: str, *, timeout_s: float = 60.0):
        try:
            import mcp  # noqa: F401
        except ImportError:
            raise ConfigError("--mcp needs the mcp package: pip install 'picoagent[mcp]'") from None
        self.spec = spec
        self.timeout_s = timeout_s
        target = _target(spec)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"mcp {spec[:40]}", daemon=True)
        self._thread.start()
        self._client: Any = None
        self._closing: asyncio.Event | None = None
        listed: concurrent.futures.Future[list[Any]] = concurrent.futures.Future()
        self._session = asyncio.run_coroutine_threadsafe(self._hold(target, listed), self._loop)
        try:
            self.tools: list[Any] = listed.result(timeout_s)
        except BaseException as exc:
            self.close()
            reason = "it did not list its tools in time" if isinstance(exc, concurrent.futures.TimeoutError) else _reason(exc)
            raise ConfigError(f"cannot use the MCP server {spec!r}: {reason}") from None

    async def _hold(self, target: Any, listed: concurrent.futures.Future[list[Any]]) -> None:
        """Open the session, list the tools, and keep the session until close(): the mcp client's
        task groups must be entered and left by one task."""
        from mcp import Client

        self._closing = asyncio.Event()
        try:
            with open(os.devnull, "w") as quiet:  # a server's stderr chatter would garble the terminal
                if not isinstance(target, str):
                    from mcp.client.stdio import stdio_client

                    target = stdio_client(target, errlog=quiet)
                async with Client(target) as client:
                    self._client = client
                    listing = await client.list_tools()
                    listed.set_result(list(listing.tools))
                    await self._closing.wait()
        except BaseException as exc:
            if not listed.done():
                listed.set_exception(exc)
            if not isinstance(exc, Exception):
                raise

    def call(self, name: str, arguments: dict[str, Any]) -> str:
        """Call a tool and return its content as text; McpToolError if the server says it failed."""
        timeout = tool_timeout(self.timeout_s)
        if self._client is None:
            raise McpToolError(f"the MCP server {self.spec!r} is closed")
        request = self._client.call_tool(name, arguments, read_timeout_seconds=timeout)
        future = asyncio.run_coroutine_threadsafe(request, self._loop)
        try:
            result = future.result(timeout + 1.0)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise McpToolError(f"no reply within {timeout:g}s") from None
        text = result_text(result)
        if result.is_error:
            raise McpToolError(text)
        return text

    def close(self) -> None:
        """End the session (which stops a stdio server), then the event loop's thread."""
        if self._closing is not None:
            self._loop.call_soon_threadsafe(self._closing.set)
        try:
            self._session.result(SHUTDOWN_S)
        except BaseException:  # already failed at start, or a server slow to stop: the loop ends anyway
            pass
        self._client = None
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(SHUTDOWN_S)
        if not self._loop.is_running() and not self._loop.is_closed():
            self._loop.close()


def result_text(result: Any) -> str:
    """A tool result's content blocks as the model sees them: text as is, other blocks named."""
    parts = []
    for block in result.content:
        if getattr(block, "type", None) == "text":
            parts.append(block.text)
        elif getattr(block, "type", None) in ("image", "audio"):
            parts.append(f"[{block.type} ({block.mime_type}) not shown]")
        else:
            parts.append(json.dumps(block.model_dump(mode="json", exclude_none=True), ensure_ascii=False))
    if not parts and result.structured_content is not None:
        parts.append(json.dumps(result.structured_content, ensure_ascii=False))
    return "\n".join(parts)


def _python_type(schema: dict[str, Any]) -> Any:
    """The Python type the registry turns back into (about) this JSON Schema."""
    if "enum" in schema and schema["enum"]:
        return Literal[tuple(schema["enum"])]  # type: ignore[misc]
    kind = schema.get("type")
    if kind == "array":
        return list[_python_type(schema.get("items") or {})]  # type: ignore[misc]
    return JSON_TYPES.get(kind, Any) if isinstance(kind, str) else Any


def _identifier(name: str) -> str:
    cleaned = re.sub(r"\W", "_", name)
    return f"_{cleaned}" if not cleaned or cleaned[0].isdigit() or keyword.iskeyword(cleaned) else cleaned


def _one_line(text: str) -> str:
    return " ".join(text.split())


def tool_function(connection: McpConnection, mcp_tool: Any) -> Callable[..., str]:
    """A Python function with the MCP tool's name, description and typed parameters, which calls it.

    The registry derives the tool from it as from any function. Optional parameters the model
    leaves out are not sent, so the server applies its own defaults.
    """
    schema = mcp_tool.input_schema or {}
    properties: dict[str, Any] = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    name = _identifier(mcp_tool.name)
    # Servers written in Python often describe their arguments in the description's Args section.
    description, documented = parse_docstring(mcp_tool.description or "")
    parameters, arg_lines, wire_names = [], [], {}
    for wire_name in sorted(properties, key=lambda p: p not in required):  # required first, as Python wants
        prop = properties[wire_name] if isinstance(properties[wire_name], dict) else {}
        python_name = _identifier(wire_name)
        wire_names[python_name] = wire_name
        annotation = _python_type(prop)
        default: Any = inspect.Parameter.empty
        if wire_name not in required:
            annotation, default = annotation | None, None
        parameters.append(inspect.Parameter(python_name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default, annotation=annotation))
        text = prop.get("description") or documented.get(wire_name) or prop.get("title") or wire_name.replace("_", " ")
        arg_lines.append(f"    {python_name}: {_one_line(text)}")
    description = description or f"The {mcp_tool.name} tool of the MCP server {connection.spec}."

    def call(**kwargs: Any) -> str:
        arguments = {wire_names[key]: value for key, value in kwargs.items() if value is not None or wire_names[key] in required}
        return connection.call(mcp_tool.name, arguments)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = description + ("\n\nArgs:\n" + "\n".join(arg_lines) if arg_lines else "")
    call.__signature__ = inspect.Signature(parameters, return_annotation=str)  # type: ignore[attr-defined]
    call.__annotations__ = {p.name: p.annotation for p in parameters} | {"return": str}
    return call


def _reason(exc: BaseException) -> str:
    """One line for why a server could not be used (anyio wraps errors in exception groups)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]
