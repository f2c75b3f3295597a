"""Interfaces that serve picoagent to other programs (the MCP server; the HTTP API)."""
