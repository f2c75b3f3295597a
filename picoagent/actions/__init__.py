"""Action formats: how the model expresses an action. Chosen by name."""

from __future__ import annotations

from pathlib import Path

from picoagent.actions.base import (
    Action,
    ActionFormat,
    ActionParseError,
    CodeAction,
    Executor,
    ToolCall,
)
from picoagent.config import Config
from picoagent.errors import ConfigError
from picoagent.exec.sandbox import Sandbox
from picoagent.tools.registry import ToolRegistry

__all__ = ["Action", "ActionFormat", "ActionParseError", "CodeAction", "Executor", "ToolCall", "FORMAT_NAMES", "make_format"]

FORMAT_NAMES = ("json", "code", "text")


def make_format(name: str, registry: ToolRegistry, *, workspace: Path, config: Config, sandbox: Sandbox | None = None) -> ActionFormat:
    if name == "json":
        from picoagent.actions.json_format import JsonFormat

        return JsonFormat(registry)
    if name == "code":
        from picoagent.actions.code_format import CodeFormat

        return CodeFormat(registry, workspace=workspace, config=config, sandbox=sandbox)
    if name == "text":
        from picoagent.actions.text_format import TextFormat

        return TextFormat(registry)
    raise ConfigError(f"unknown action format {name!r}: use one of {', '.join(FORMAT_NAMES)}")
