"""The Python API: `from picoagent import Agent, tool`.

A thin layer over run_task, the same path the CLI takes: settings come from the keyword
arguments, then env, then the config files (load_config), and every run writes its trace.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from picoagent.config import Config, load_config
from picoagent.deadline import Deadline
from picoagent.tools.registry import Tool

if TYPE_CHECKING:
    from picoagent.agent.loop import Result
    from picoagent.models.base import Model


@overload
def tool(function: Callable[..., Any], /) -> Tool: ...
@overload
def tool(*, name: str | None = None) -> Callable[[Callable[..., Any]], Tool]: ...
def tool(function: Callable[..., Any] | None = None, /, *, name: str | None = None) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Make a typed function with a Google-style docstring into a tool: `@tool` or `@tool(name="max")`.

    The name, description and argument schema come from the function; a parameter without
    a type or a description is refused here, at definition. The tool stays callable as the function.
    """

    def make(target: Callable[..., Any]) -> Tool:
        return Tool.from_function(target, name=name)

    return make(function) if function is not None else make


@dataclass(frozen=True)
class Event:
    """One live event of a run: `run_start`, `sandbox`, `step`, `context_condensed`, `run_end`, ...

    `data` holds what the trace records for it (a step's thought, action and observation;
    run_end's result).
    """

    type: str
    data: dict[str, Any]


class Agent:
    """An agent with a model, tools and settings; each `run` is one task, recorded like a CLI run.

    model: a spec (`local`, `local:PATH.gguf`, `openai:NAME`, `scripted:FILE.json`) or a Model object.
    tools: your tools: functions decorated with @tool, plain typed and documented functions, or Tools.
    actions: json, code or text (default: the model's best).
    builtins: which built-in tools the run gets, by name (shell, read_file, write_file, edit_file);
        None gives all of them, [] none. final_answer is always there.
    toolsets: tool sets to switch on, such as "web".
    workspace: where the agent works (default: the current directory; "fresh" for a new empty folder).
    settings: any other Config field, such as max_steps=5 or sandbox="on".
    """

    def __init__(
        self,
        model: str | Model = "local",
        tools: Iterable[Tool | Callable[..., Any]] = (),
        *,
        actions: str | None = None,
        builtins: Iterable[str] | None = None,
        toolsets: Iterable[str] = (),
        workspace: str | Path | None = None,
        **settings: Any,
    ):
        unknown = sorted(set(settings) - set(Config.model_fields))
        if unknown:
            raise TypeError(f"Agent() got an unexpected setting {unknown[0]!r}; settings are the fields of picoagent.Config")
        self._model: Model | None = None if isinstance(model, str) else model
        flags = {
            **settings,
            "model": model if isinstance(model, str) else model.name,
            "actions": actions,
            "builtin_tools": None if builtins is None else list(builtins),
            "toolsets": list(toolsets) or None,
            "workspace": workspace,
        }
        self.config, self.sources = load_config(flags)
        if names := [item for item in tools if isinstance(item, str)]:
            raise TypeError(f"tools takes functions, not names like {names[0]!r}: name built-ins in builtins=[...] and tool sets in toolsets=[...]")
        self.tools = [item if isinstance(item, Tool) else Tool.from_function(item) for item in tools]

    @property
    def model(self) -> Model:
        """The model, loaded on first use and kept for later runs (the embedded one takes seconds to load)."""
        if self._model is None:
            from picoagent.models import load_model

            self._model = load_model(self.config.model, n_ctx=self.config.context_tokens, api_timeout_s=self.config.api_timeout_s)
        return self._model

    def run(self, task: str, *, on_event: Callable[[Event], None] | None = None, deadline: Deadline | None = None) -> Result:
        """Run `task` to its end and return its Result; `on_event` sees each event as it happens.

        A bad setting or task raises a PicoagentError; anything the model does is in the Result.
        """
        from picoagent.agent.session import run_task

        callback = None if on_event is None else (lambda kind, data: on_event(Event(kind, data)))
        return run_task(task, self.config, model=self.model, extra_tools=self.tools, on_event=callback, deadline=deadline)

    def stream(self, task: str) -> LiveRun:
        """Start `task` in the background; iterate the returned LiveRun for its events as they happen."""
        return LiveRun(self, task)


class LiveRun:
    """A run in progress: iterating it yields its Events live; afterwards `result` holds the Result.

    Leaving the loop early (break, an exception) cancels the run, which then ends as a timeout
    with its trace complete, and waits for it to finish cleaning up.
    """

    def __init__(self, agent: Agent, task: str):
        self.result: Result | None = None
        self._events: queue.SimpleQueue[Event | None] = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._finished = False
        self._deadline = Deadline(agent.config.max_wall_s)
        self._thread = threading.Thread(target=self._work, args=(agent, task), name="picoagent-run", daemon=True)
        self._thread.start()

    def _work(self, agent: Agent, task: str) -> None:
        try:
            self.result = agent.run(task, on_event=self._events.put, deadline=self._deadline)
        except BaseException as exc:  # handed to the reader, raised where it iterates
            self._error = exc
        finally:
            self._events.put(None)

    def __iter__(self) -> Iterator[Event]:
        """The events, once: a second loop over a finished run yields nothing."""
        if not self._finished:
            try:
                while (event := self._events.get()) is not None:
                    yield event
            finally:
                self._finished = True
                self.cancel()
                self._thread.join()
        if self._error is not None:
            raise self._error

    def cancel(self) -> None:
        """Stop the run at once (its model call and tool in flight too); it ends as a timeout."""
        if self._thread.is_alive():
            self._deadline.cancel()
