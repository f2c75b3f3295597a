"""Named sets of tools a run can switch on (`--tools web`), beyond the built-ins.

A tool set is a function that adds its tools to a run's registry (and registers any
cleanup, e.g. closing a browser). Sets that touch the network are off by default.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from pathlib import Path

from picoagent.config import Config
from picoagent.errors import ConfigError
from picoagent.tools.registry import ToolRegistry

# name -> "module:function"; the function takes (registry, workspace, config).
TOOLSETS: dict[str, str] = {
    "web": "picoagent.tools.web.toolset:install_web_tools",
}


def add_toolsets(names: list[str], registry: ToolRegistry, workspace: Path, config: Config) -> None:
    for name in names:
        target = TOOLSETS.get(name)
        if target is None:
            known = ", ".join(sorted(TOOLSETS)) or "none"
            raise ConfigError(f"unknown tool set {name!r}: available sets are {known}")
        module_name, _, function_name = target.partition(":")
        install: Callable[[ToolRegistry, Path, Config], None] = getattr(import_module(module_name), function_name)
        install(registry, workspace, config)
