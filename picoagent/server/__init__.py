"""Interfaces that serve picoagent to other programs: `picoagent serve` (the HTTP API and the
web page; FastAPI and uvicorn, the `serve` extra) and `picoagent mcp serve` (the `mcp` extra).

Nothing here is imported by a plain run: the CLI imports each inside its command.
"""
