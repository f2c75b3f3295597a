"""picoagent: a local-first engine for LLM agents, built for small open-weight models.

    from picoagent import Agent, tool

The names below are imported on first use, so that `import picoagent` and `picoagent --help`
stay fast (benchmarks/bench_import.py).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that defines it
_EXPORTS = {
    "Agent": "picoagent.api",
    "Event": "picoagent.api",
    "LiveRun": "picoagent.api",
    "tool": "picoagent.api",
    "Tool": "picoagent.tools.registry",
    "Result": "picoagent.agent.loop",
    "Config": "picoagent.config",
    "PicoagentError": "picoagent.errors",
}

__all__ = [*_EXPORTS, "__version__"]

if TYPE_CHECKING:
    from picoagent.agent.loop import Result
    from picoagent.api import Agent, Event, LiveRun, tool
    from picoagent.config import Config
    from picoagent.errors import PicoagentError
    from picoagent.tools.registry import Tool


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'picoagent' has no attribute {name!r}")
    return getattr(import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
