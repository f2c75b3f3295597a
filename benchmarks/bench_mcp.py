"""What an MCP server costs a run: start and tool listing, one tool call, shutdown.

Starts a one-tool MCP server (the `mcp` package's MCPServer, over stdio) through picoagent's
`--mcp` path, calls its tool through the tool registry as a run does, and closes it. Prints
medians over a few servers and many calls.

    .venv/bin/python benchmarks/bench_mcp.py
"""

from __future__ import annotations

import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

from picoagent.tools.mcp import add_mcp_servers
from picoagent.tools.registry import ToolRegistry

SERVERS = 5
CALLS = 100
SERVER = '''
from mcp.server.mcpserver import MCPServer
server = MCPServer("echo")

@server.tool()
def echo(text: str) -> str:
    """Return the text."""
    return text

server.run("stdio")
'''


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "echo_server.py"
        script.write_text(SERVER)
        spec = shlex.join([sys.executable, str(script)])
        starts, calls, closes = [], [], []
        for _ in range(SERVERS):
            registry = ToolRegistry()
            began = time.perf_counter()
            add_mcp_servers([spec], registry)
            starts.append(time.perf_counter() - began)
            for index in range(CALLS):
                began = time.perf_counter()
                observation = registry.call("echo", {"text": f"hello {index}"})
                calls.append(time.perf_counter() - began)
                assert observation.text == f"hello {index}", observation.text
            began = time.perf_counter()
            registry.close()
            closes.append(time.perf_counter() - began)
    print(f"server start and tool listing: median {statistics.median(starts):.2f} s over {SERVERS} servers")
    print(f"tool call through the registry: median {statistics.median(calls) * 1000:.1f} ms over {len(calls)} calls")
    print(f"shutdown: median {statistics.median(closes):.2f} s")


if __name__ == "__main__":
    main()
