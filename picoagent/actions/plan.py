"""Planner and caller: the model says what to do next and with which tool; a caller writes the arguments.

A small model asked for a whole tool call at once must choose the tool, write its
arguments and know when it is done, all in one reply. Here each reply of the run's model
(the planner) is a plan step `{thought, task, tool}`, where `task` says in one sentence
what to do now. The executor then asks a caller model (the same weights by default) for
that one tool's arguments, from a short prompt: a constant instruction prefix, the tool's
description, a few solved (task, arguments) pairs for that tool, the last observation and
the step's task. The tool's JSON Schema constrains the caller (a grammar on the embedded
backend, `response_format` over the API); arguments that still fail validation get a
repair message and another try, up to Config.caller_attempts.

The planner's transcript stays append-only (the loop's Context); the caller's prompt
starts with the same system text every time, so its prefix stays in the KV cache. On the
embedded backend the default caller is a second llama.cpp context on the same weights, so
planner and caller each keep their own cache instead of evicting each other's.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from picoagent.actions.base import Action, ActionParseError, PlanStep, ToolCall
from picoagent.actions.jsonparse import first_json_object
from picoagent.config import Config
from picoagent.deadline import Deadline, applied
from picoagent.errors import ConfigError, ModelError
from picoagent.memory.examples import Example, ExampleLibrary, ExampleStep, default_library
from picoagent.models.base import DEADLINE_REACHED, Constraint, Message, Model, Usage
from picoagent.observation import Observation
from picoagent.safetext import clean_text
from picoagent.tools.registry import Tool, ToolRegistry, format_validation_error

THOUGHT_MAX = 300
TASK_MAX = 300
# Characters of the last observation the caller sees: enough for a path list or a number.
CALLER_OBSERVATION_CHARS = 1200
# Solved (task, arguments) pairs for the chosen tool shown to the caller.
CALLER_EXAMPLES = 2
# The embedded caller's own context: its prompt is short by design.
CALLER_CONTEXT_TOKENS = 4096
FINAL_TASK = "Give the final answer: "

CALLER_INSTRUCTIONS = (
    "You write the arguments of one tool call. You are given the tool, solved examples, "
    "the result of the previous step, and the task of this step.\n"
    "Reply with one JSON object holding the tool's arguments, and nothing else. "
    "Use the exact file names, words and numbers of the task."
)


class PlanStepReply(BaseModel):
    """A planner reply as parsed; the tool name is checked against the registry after."""

    model_config = ConfigDict(extra="ignore")
    thought: str = Field(default="", max_length=THOUGHT_MAX * 3)
    task: str = Field(min_length=1, max_length=TASK_MAX * 3)
    tool: str = Field(max_length=64)


def step_task(call: ToolCall, final_tool: str | None) -> str:
    """The one-sentence task a planner would write for this call (worked examples show it).

    A final answer's task carries the answer itself, so the caller only has to copy it.
    """
    if call.tool == final_tool and call.args:
        return FINAL_TASK + " ".join(str(value) for value in call.args.values())
    return call.thought


class PlanFormat:
    name = "plan"

    def __init__(self, registry: ToolRegistry, *, config: Config, caller: Model | None = None, caller_examples: int = CALLER_EXAMPLES):
        self.registry = registry
        self.config = config
        self.caller = caller
        self.caller_examples = caller_examples
        final = registry.final_tool
        self._final_name = final.name if final else None
        self._schema = self._build_schema(registry.names)
        self._finish_schema = self._build_schema([final.name]) if final else None

    @staticmethod
    def _build_schema(tool_names: list[str]) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                "thought": {"type": "string", "maxLength": THOUGHT_MAX},
                "task": {"type": "string", "minLength": 1, "maxLength": TASK_MAX},
                "tool": {"enum": tool_names},
            },
            "required": ["thought", "task", "tool"],
            "additionalProperties": False,
        }

    def instructions(self) -> str:
        tools = "\n".join(f"- {tool.signature_text}: {tool.description}" for tool in self.registry)
        final = (
            f'When you know the answer, choose {self._final_name} with the task "{FINAL_TASK}<the answer>".\n' if self._final_name else ""
        )
        return (
            "You are an agent that completes tasks one step at a time.\n"
            'Reply with exactly one JSON object with the keys "thought", "task" and "tool", and nothing else. '
            '"task" says in one sentence what to do now with that tool, naming the files, words and numbers it needs: '
            "a helper writes the tool's arguments from that sentence alone.\n"
            f"After each step you will see its result. {final}\n"
            f"Tools:\n{tools}"
        )

    def constraint(self, *, finish: bool = False) -> Constraint:
        return Constraint(schema=self._finish_schema if finish and self._finish_schema else self._schema)

    def parse(self, text: str) -> PlanStep:
        try:
            data = first_json_object(text, preferred_keys=("task", "tool"))
        except ValueError as exc:
            raise ActionParseError(
                f"Your reply was not a plan step: {exc}. "
                'Reply with one JSON object: {"thought": "...", "task": "<what to do now>", "tool": "<tool name>"}'
            ) from None
        try:
            reply = PlanStepReply.model_validate(data)
        except ValidationError as exc:
            raise ActionParseError(
                f"Your plan step is invalid: {format_validation_error(exc)}. "
                f'It needs "thought", "task" (one sentence) and "tool" (one of: {", ".join(self.registry.names)}).'
            ) from None
        if reply.tool not in self.registry:
            raise ActionParseError(f"Unknown tool {reply.tool!r}. Choose one of: {', '.join(self.registry.names)}.")
        return PlanStep(thought=reply.thought, task=reply.task.strip(), tool=reply.tool)

    def render_call(self, call: ToolCall) -> str:
        return json.dumps({"thought": call.thought, "task": step_task(call, self._final_name), "tool": call.tool}, ensure_ascii=False)

    def render_observation(self, observation: Observation) -> str:
        label = "Error" if observation.is_error else "Observation"
        return f"{label}:\n{observation.text}"

    def executor(self) -> PlanExecutor:
        if self.caller is None:
            raise ConfigError("the plan format needs a caller model")
        return PlanExecutor(self)

    # The caller's side.

    def caller_prompt(self, step: PlanStep, tool: Tool, last_observation: str | None) -> list[Message]:
        """The caller's messages: the constant instructions first (a cached prefix), then this step."""
        parts = [f"Tool:\n{tool.prompt_text()}"]
        # Only pairs for this very tool are eligible: select() keeps examples whose tools are all available.
        solved = _caller_library(self._final_name).select(step.task, self.caller_examples, tools=[tool.name])
        if solved:
            parts.append("Examples:\n" + "\n".join(f"Task: {ex.task}\nArguments: {json.dumps(ex.steps[0].args, ensure_ascii=False)}" for ex in solved))
        if last_observation:
            shown = last_observation if len(last_observation) <= CALLER_OBSERVATION_CHARS else last_observation[:CALLER_OBSERVATION_CHARS] + " […]"
            parts.append(f"Result of the previous step:\n{shown}")
        parts.append(f"Task: {step.task}\nArguments:")
        return [{"role": "system", "content": CALLER_INSTRUCTIONS}, {"role": "user", "content": "\n\n".join(parts)}]


@cache
def _caller_library(final_tool: str | None) -> ExampleLibrary:
    """Every step of the worked-example library as a (task sentence, arguments) pair for the caller."""
    pairs = [
        Example(task=step_task(step.call(), final_tool), steps=(ExampleStep(thought=step.thought, tool=step.tool, args=step.args),))
        for example in default_library().examples
        for step in example.steps
    ]
    return ExampleLibrary(pairs)


class PlanExecutor:
    """Asks the caller for the step's arguments, repairing invalid ones, then runs the tool."""

    def __init__(self, plan_format: PlanFormat):
        self.format = plan_format
        self.registry = plan_format.registry
        self.caller: Model = plan_format.caller  # type: ignore[assignment]
        self.attempts = plan_format.config.caller_attempts
        self.max_tokens = plan_format.config.step_max_tokens
        self.last_observation: str | None = None

    def execute(self, action: Action, *, deadline: Deadline | None = None) -> Observation:
        if not isinstance(action, PlanStep):
            return Observation(text="This format runs plan steps only.", is_error=True)
        tool = self.registry.get(action.tool)
        if tool is None:  # parse() checks this; a hand-made action may not have been parsed
            return Observation(text=f"Unknown tool {action.tool!r}. Choose one of: {', '.join(self.registry.names)}.", is_error=True)
        args, record, usage = self._write_arguments(action, tool, deadline or Deadline())
        if args is None:
            text = (
                f"The arguments for {tool.name} could not be written: {record['error']}. "
                "Say the task more precisely (exact names and values), or choose another tool."
            )
            observation = Observation(text=text, is_error=True, tool_calls=[{"tool": tool.name, "caller": record, "error": text}])
        else:
            with applied(deadline):
                observation = self.registry.call(tool.name, args)
            observation.tool_calls[0]["caller"] = record
        observation.model_usage = usage
        self.last_observation = observation.text
        return observation

    def _write_arguments(self, step: PlanStep, tool: Tool, deadline: Deadline) -> tuple[dict[str, Any] | None, dict[str, Any], Usage]:
        """The caller's valid arguments (or None), what it did for the trace, and the tokens it used."""
        messages = self.format.caller_prompt(step, tool, self.last_observation)
        record: dict[str, Any] = {"model": self.caller.name, "messages": list(messages), "replies": []}
        usage = Usage()
        constraint = Constraint(schema=tool.parameters_schema())
        error = "no reply"
        for _ in range(self.attempts):
            try:
                completion = self.caller.complete(messages, constraint=constraint, max_tokens=self.max_tokens, deadline=deadline)
            except ModelError as exc:
                error = f"the caller model failed: {exc}"
                break
            usage.add(completion.usage)
            text = clean_text(completion.text)
            record["replies"].append(text)
            if completion.finish_reason == DEADLINE_REACHED:
                error = "the time limit came while the caller was writing them"
                break
            try:
                args = first_json_object(text)
                tool.args_model.model_validate(args)
            except ValueError as exc:  # pydantic's ValidationError is a ValueError too
                error = format_validation_error(exc) if isinstance(exc, ValidationError) else f"not a JSON object ({exc})"
                messages = [
                    *messages,
                    {"role": "assistant", "content": text},
                    {"role": "user", "content": f"Those arguments are invalid: {error}. Reply with the corrected JSON object only.\nArguments:"},
                ]
                continue
            record["args"] = args
            record["usage"] = usage.to_dict()
            return args, record, usage
        record["error"] = error
        record["usage"] = usage.to_dict()
        return None, record, usage

    def close(self) -> None:
        pass


def caller_model(config: Config, model: Model) -> Model:
    """The model that writes a plan step's arguments: --caller-model, else the run's own.

    On the embedded backend the run's own weights get a second context, so the planner's
    append-only transcript and the caller's constant prefix each stay in a KV cache.
    """
    from picoagent.models import load_model
    from picoagent.models.local import LocalModel

    if config.caller_model:
        return load_model(config.caller_model, n_ctx=CALLER_CONTEXT_TOKENS)
    if isinstance(model, LocalModel):
        return model.sibling(n_ctx=CALLER_CONTEXT_TOKENS)
    return model
