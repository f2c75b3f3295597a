"""Tools: typed Python functions the agent can call."""

from picoagent.tools.registry import Tool, ToolDefinitionError, ToolRegistry

__all__ = ["Tool", "ToolDefinitionError", "ToolRegistry"]
