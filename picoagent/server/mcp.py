"""`picoagent mcp serve`: picoagent as an MCP server (the `mcp` extra).

One tool, `run_task`, runs an agent on a task with the server's config and returns the
Result. Recorded runs are resources: `picoagent://runs` lists them, and each run's trace is
`picoagent://runs/{run_id}` (JSON lines, the same file `runs show` reads). The model is
loaded once and shared by the calls, which the embedded backend serializes.
"""

from __future__ import annotations

import io
import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

from picoagent.config import Config
from picoagent.errors import ConfigError, PicoagentError
from picoagent.trace.recorder import TRACE_NAME, find_trace, list_runs

RUNS_URI = "picoagent://runs"
INSTRUCTIONS = (
    "picoagent runs an LLM agent that works in a workspace with shell, file tools and Python. "
    "Call run_task with a task in plain words; read picoagent://runs/{run_id} for the full trace of a run."
)


def build_server(config: Config) -> Any:
    try:
        from mcp.server.mcpserver import MCPServer
        from mcp.server.mcpserver.exceptions import ToolError
        from mcp.server.mcpserver.resources import FileResource
    except ImportError:
        raise ConfigError("picoagent mcp serve needs the mcp package: pip install 'picoagent[mcp]'") from None
    from picoagent.agent.session import run_task as run_agent
    from picoagent.models import load_model

    server = MCPServer("picoagent", instructions=INSTRUCTIONS)
    model_lock = threading.Lock()
    loaded: dict[str, Any] = {}

    def model() -> Any:
        with model_lock:  # loaded on the first call, then shared
            if "model" not in loaded:
                loaded["model"] = load_model(config.model, n_ctx=config.context_tokens)
            return loaded["model"]

    def add_run_resource(run_id: str, task: str) -> None:
        trace = Path(config.runs_dir).resolve() / run_id / TRACE_NAME
        server.add_resource(FileResource(uri=f"{RUNS_URI}/{run_id}", name=run_id, description=task[:200], path=trace, mime_type="application/jsonl", encoding="utf-8"))

    @server.tool()
    def run_task(task: str, max_steps: int | None = None, actions: str | None = None) -> dict[str, Any]:
        """Run a picoagent agent on a task and return its result (status, answer, steps, usage, run_id).

        Args:
            task: What the agent should do, in plain words.
            max_steps: Stop after this many model calls (default: the server's setting).
            actions: Action format: json, code or text (default: the model's best).
        """
        overrides: dict[str, Any] = {}
        if max_steps is not None:
            overrides["max_steps"] = max_steps
        if actions is not None:
            overrides["actions"] = actions
        try:
            run_config = config.model_validate({**config.model_dump(), **overrides})
            result = run_agent(task, run_config, model=model())
        except (PicoagentError, ValueError) as exc:  # bad input: one line the client sees as a tool error
            raise ToolError(str(exc).splitlines()[0]) from None
        if result.run_id:
            add_run_resource(result.run_id, task)
        return result.to_dict()

    @server.resource(RUNS_URI, name="runs", description="Recorded runs, newest first: id, task, status, steps.", mime_type="application/json")
    def runs() -> str:
        return json.dumps(list_runs(config.runs_dir), ensure_ascii=False)

    @server.resource(f"{RUNS_URI}/{{run_id}}", name="run", description="A recorded run's trace (JSON lines).", mime_type="application/jsonl")
    def run_trace(run_id: str) -> str:
        trace = find_trace(config.runs_dir, run_id)
        if trace is None:
            raise ValueError(f"no run {run_id!r}")
        return trace.read_text(encoding="utf-8")

    for item in list_runs(config.runs_dir):
        add_run_resource(item["id"], item["task"])
    return server


def serve_stdio(config: Config) -> None:
    """Serve over stdin and stdout. File descriptor 1 is handed to the protocol alone: anything
    else that writes to it (a library, a child process that inherits it) goes to stderr."""
    server = build_server(config)
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=0)
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = io.TextIOWrapper(protocol, encoding="utf-8", line_buffering=True)
    server.run("stdio")
