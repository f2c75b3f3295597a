"""Action formats: how the model expresses an action. Chosen by name."""

from __future__ import annotations

from pathlib import Path

from picoagent.actions.base import (
    Action,
    ActionFormat,
    ActionParseError,
    CodeAction,
    DagPlan,
    Executor,
    PlanStep,
    ToolCall,
)
from picoagent.config import Config
from picoagent.errors import ConfigError
from picoagent.exec.sandbox import Sandbox
from picoagent.models.base import Model
from picoagent.tools.registry import ToolRegistry

__all__ = ["Action", "ActionFormat", "ActionParseError", "CodeAction", "DagPlan", "Executor", "PlanStep", "ToolCall", "FORMAT_NAMES", "make_format"]

FORMAT_NAMES = ("json", "code", "text", "plan", "dag")


def make_format(
    name: str, registry: ToolRegistry, *, workspace: Path, config: Config, sandbox: Sandbox | None = None, model: Model | None = None
) -> ActionFormat:
    """The format `name` for one run. `plan` asks a caller model for each step's arguments:
    Config.caller_model, else `model` (the run's own)."""
    if config.caller_model and name != "plan":
        raise ConfigError(f"--caller-model writes the arguments of plan steps: use it with --actions plan, not {name}")
    if name == "json":
        from picoagent.actions.json_format import JsonFormat

        return JsonFormat(registry)
    if name == "code":
        from picoagent.actions.code_format import CodeFormat

        return CodeFormat(registry, workspace=workspace, config=config, sandbox=sandbox)
    if name == "text":
        from picoagent.actions.text_format import TextFormat

        return TextFormat(registry)
    if name == "plan":
        from picoagent.actions.plan import PlanFormat, caller_model

        return PlanFormat(registry, config=config, caller=caller_model(config, model) if model is not None else None, caller_examples=_caller_examples(config))
    if name == "dag":
        from picoagent.actions.dag import DagFormat

        return DagFormat(registry, config=config)
    raise ConfigError(f"unknown action format {name!r}: use one of {', '.join(FORMAT_NAMES)}")


def _caller_examples(config: Config) -> int:
    """Solved argument pairs the plan format's caller sees: none when worked examples are off."""
    from picoagent.actions.plan import CALLER_EXAMPLES

    return CALLER_EXAMPLES if config.examples is None else min(config.examples, CALLER_EXAMPLES)
