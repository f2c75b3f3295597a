"""ReAct text actions: `Thought: / Action: / Action Input:` with JSON arguments, parsed leniently."""

from __future__ import annotations

import json
import re
from typing import Any

from picoagent.actions.base import ActionParseError, ToolCall
from picoagent.actions.jsonparse import first_json_object
from picoagent.actions.tool_executor import ToolExecutor
from picoagent.models.base import Constraint
from picoagent.models.grammar import PRIMITIVES, schema_rules
from picoagent.observation import Observation
from picoagent.safetext import clean_text
from picoagent.tools.registry import ToolRegistry

THOUGHT_MAX = 400

# A label at the start of a line, tolerating markdown decoration (**Action:**, > Thought:, ### Action:).
LABEL = re.compile(r"^[ \t>*_#]*(thought|action[ _]input|action|final[ _]answer)[ \t*_]*:[ \t*_]*", re.IGNORECASE | re.MULTILINE)
# Models keep going and invent the result; nothing after an invented observation is theirs to act on.
INVENTED_OBSERVATION = re.compile(r"^[ \t>*_#]*observation[ \t*_]*:", re.IGNORECASE | re.MULTILINE)
FENCE_EDGES = re.compile(r"^```[\w-]*\n?|\n?```$")
IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


def _sections(text: str) -> tuple[str, dict[str, tuple[int, str]]]:
    """The text before the first label, and each label's position and text (first occurrence of each)."""
    matches = list(LABEL.finditer(text))
    sections: dict[str, tuple[int, str]] = {}
    for index, match in enumerate(matches):
        label = re.sub(r"[ _]+", " ", match.group(1).lower())
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        sections.setdefault(label, (match.start(), text[match.end() : end].strip()))
    preamble = text[: matches[0].start()].strip() if matches else text.strip()
    return preamble, sections


class TextFormat:
    name = "text"

    def __init__(self, registry: ToolRegistry):
        self.registry = registry

    def instructions(self) -> str:
        final = self.registry.final_tool
        finish = (
            f'Action: {final.name}\nAction Input: {{"{next(iter(final.args_model.model_fields))}": "<the answer>"}}\n'
            if final and final.args_model.model_fields
            else ""
        )
        return (
            "You are an agent that completes tasks by calling tools, one call per reply, in this format:\n"
            "Thought: <your reasoning about what to do next>\n"
            "Action: <tool name>\n"
            "Action Input: <the arguments as a JSON object>\n"
            "Then stop: the tool's result comes back to you as Observation: <result>.\n"
            + (f"When you know the answer, reply:\nThought: I know the answer.\n{finish}" if finish else "")
            + f"\nTools:\n{self.registry.prompt_text()}"
        )

    def constraint(self, *, finish: bool = False) -> Constraint:
        final = self.registry.final_tool
        rules: dict[str, str] = {}
        actions = []
        for tool in [final] if finish and final is not None else self.registry:
            args_rule = schema_rules(tool.parameters_schema(), f"{tool.name}-args", rules)
            actions.append(f'"{tool.name}\\nAction Input: " {args_rule}')
        lines = [
            'root ::= "Thought: " thought "\\nAction: " action',
            f"thought ::= [^\\n]{{1,{THOUGHT_MAX}}}",
            f"action ::= {' | '.join(actions)}",
            *(f"{name} ::= {body}" for name, body in rules.items()),
            *(f"{name} ::= {body}" for name, body in PRIMITIVES.items()),
        ]
        return Constraint(grammar="\n".join(lines) + "\n")

    def parse(self, text: str) -> ToolCall:
        if invented := INVENTED_OBSERVATION.search(text):
            text = text[: invented.start()]
        preamble, sections = _sections(text)
        thought = sections.get("thought", (0, preamble))[1]
        action_at, action = sections.get("action", (len(text), None))
        final_at, final = sections.get("final answer", (len(text), None))
        if final is not None and final_at < action_at and (tool := self.registry.final_tool) is not None:
            return ToolCall(thought=thought, tool=tool.name, args=self._arguments(tool.name, final))
        if not action or not (name := IDENTIFIER.match(action.strip("`*'\" "))):
            raise ActionParseError(
                "Your reply has no action. Reply in this format:\n"
                'Thought: <reasoning>\nAction: <tool name>\nAction Input: {"<argument>": <value>}'
            )
        tool_name = name.group(0)
        raw_input = sections.get("action input", (0, None))[1]
        if raw_input is None:  # Action: shell("ls") with the input inline
            inline = action.strip("`*'\" ")[name.end() :].strip()
            raw_input = inline[1:-1] if inline.startswith("(") and inline.endswith(")") else ""
        return ToolCall(thought=thought, tool=tool_name, args=self._arguments(tool_name, raw_input))

    def _arguments(self, tool_name: str, raw: str) -> dict[str, Any]:
        """The arguments in an Action Input: a JSON object, or the bare value of a one-argument tool."""
        raw = FENCE_EDGES.sub("", raw.strip()).strip()
        if not raw:
            return {}
        if raw.startswith("{"):
            try:
                return first_json_object(raw)
            except ValueError as exc:
                raise ActionParseError(f"The Action Input for {tool_name} is not valid JSON: {exc}. Write it as one JSON object.") from None
        tool = self.registry.get(tool_name)
        parameters = list(tool.args_model.model_fields) if tool else []
        required = [name for name, field in tool.args_model.model_fields.items() if field.is_required()] if tool else []
        target = required[0] if len(required) == 1 else parameters[0] if len(parameters) == 1 else None
        if target is None:
            raise ActionParseError(
                f"The Action Input for {tool_name} must be a JSON object with its arguments"
                + (f": {', '.join(parameters)}." if parameters else ".")
            )
        value: Any = raw
        if raw.startswith('"'):  # a JSON string: unquote and unescape it
            try:
                value = clean_text(json.loads(raw))
            except ValueError:
                pass
        return {target: value}

    def render_call(self, call: ToolCall) -> str:
        return f"Thought: {call.thought}\nAction: {call.tool}\nAction Input: {json.dumps(call.args, ensure_ascii=False)}"

    def render_observation(self, observation: Observation) -> str:
        label = "Observation (error)" if observation.is_error else "Observation"
        return f"{label}: {observation.text}"

    def executor(self) -> ToolExecutor:
        return ToolExecutor(self.registry)
