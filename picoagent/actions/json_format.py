"""JSON actions: one schema-constrained object per step, thoughts first, then tool and args."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from picoagent.actions.base import ActionParseError, ToolCall
from picoagent.actions.jsonparse import first_json_object
from picoagent.actions.tool_executor import ToolExecutor
from picoagent.models.base import Constraint
from picoagent.observation import Observation
from picoagent.tools.registry import Tool, ToolRegistry, format_validation_error

THOUGHT_MAX = 300


class JsonActionEnvelope(BaseModel):
    """The shape every JSON action has; the arguments are validated by the tool's own model."""

    model_config = ConfigDict(extra="ignore")
    thought: str = Field(default="", max_length=THOUGHT_MAX * 3)
    tool: str = Field(max_length=64)
    args: dict[str, Any] = Field(default_factory=dict)


class JsonFormat:
    name = "json"

    def __init__(self, registry: ToolRegistry):
        self.registry = registry
        self._schema = self._build_schema(list(self.registry))
        final = registry.final_tool
        self._finish_schema = self._build_schema([final]) if final else None

    @staticmethod
    def _build_schema(tools: list[Tool]) -> dict[str, Any]:
        variants = []
        for tool in tools:
            variants.append(
                {
                    "type": "object",
                    "properties": {
                        "thought": {"type": "string", "maxLength": THOUGHT_MAX},
                        "tool": {"const": tool.name},
                        "args": tool.parameters_schema(),
                    },
                    "required": ["thought", "tool", "args"],
                    "additionalProperties": False,
                }
            )
        return {"anyOf": variants}

    def instructions(self) -> str:
        return (
            "You are an agent that completes tasks by calling tools, one call per reply.\n"
            'Reply with exactly one JSON object with the keys "thought", "tool" and "args", and nothing else.\n'
            "After each call you will see its result. When you know the answer, call final_answer.\n\n"
            f"Tools:\n{self.registry.prompt_text()}"
        )

    def constraint(self, *, finish: bool = False) -> Constraint:
        return Constraint(schema=self._finish_schema if finish and self._finish_schema else self._schema)

    def parse(self, text: str) -> ToolCall:
        try:
            data = first_json_object(text, preferred_keys=("tool", "action", "name"))
        except ValueError as exc:
            raise ActionParseError(
                f"Your reply was not a JSON action: {exc}. "
                'Reply with one JSON object: {"thought": "...", "tool": "<tool name>", "args": {...}}'
            ) from None
        # Models often say "action"/"arguments"; accept the common spellings rather than waste a step.
        for alias, canonical in (("action", "tool"), ("name", "tool"), ("arguments", "args"), ("action_input", "args")):
            if canonical not in data and alias in data:
                data[canonical] = data.pop(alias)
        try:
            envelope = JsonActionEnvelope.model_validate(data)
        except ValidationError as exc:
            raise ActionParseError(
                f"Your JSON action is invalid: {format_validation_error(exc)}. "
                f'It needs "thought", "tool" (one of: {", ".join(self.registry.names)}) and "args".'
            ) from None
        return ToolCall(thought=envelope.thought, tool=envelope.tool, args=envelope.args)

    def render_call(self, call: ToolCall) -> str:
        return json.dumps({"thought": call.thought, "tool": call.tool, "args": call.args}, ensure_ascii=False)

    def render_observation(self, observation: Observation) -> str:
        label = "Error" if observation.is_error else "Observation"
        return f"{label}:\n{observation.text}"

    def executor(self) -> ToolExecutor:
        return ToolExecutor(self.registry)
