"""Runs tool-call actions through the registry."""

from __future__ import annotations

from picoagent.actions.base import Action, ToolCall
from picoagent.deadline import Deadline, applied
from picoagent.observation import Observation
from picoagent.tools.registry import ToolRegistry


class ToolExecutor:
    def __init__(self, registry: ToolRegistry):
        self.registry = registry

    def execute(self, action: Action, *, deadline: Deadline | None = None) -> Observation:
        if not isinstance(action, ToolCall):
            return Observation(text="This format runs tool calls only.", is_error=True)
        with applied(deadline):
            return self.registry.call(action.tool, action.args)

    def close(self) -> None:
        pass
