"""Set up one run: workspace, tools, action format, recorder; then run the loop."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from picoagent.actions import ActionFormat, Executor, make_format
from picoagent.actions.approval import ApprovingExecutor, Approver
from picoagent.agent.critic import make_critic
from picoagent.agent.loop import Agent, Result
from picoagent.config import Config
from picoagent.deadline import Deadline
from picoagent.errors import ConfigError, PicoagentError
from picoagent.exec.processes import ProcessLimits
from picoagent.exec.sandbox import choose_sandbox
from picoagent.memory.context import Context
from picoagent.memory.examples import default_library
from picoagent.models import Model, load_model
from picoagent.safetext import clean_text
from picoagent.tools.builtin import builtin_tools
from picoagent.tools.registry import Tool, ToolRegistry
from picoagent.tools.mcp import add_mcp_servers
from picoagent.tools.toolsets import add_toolsets
from picoagent.trace.otel import SpanBuilder, otel_tracer
from picoagent.trace.recorder import Recorder

EMBEDDED_EXAMPLES = 2


def default_action_format(model: Model) -> str:
    """The format for this kind of model (figures in docs/codeact.md).

    Models behind an API write Python well and one code block replaces several tool calls,
    so they get CodeAct. The embedded 270M model solved none of the benchmark tasks in any
    format; it keeps JSON, whose every argument is schema-checked while it generates.
    """
    return "code" if model.name.startswith("openai:") else "json"


def default_example_count(model: Model) -> int:
    """Worked examples for this kind of model (figures in docs/evals.md).

    The embedded 270M model copies its prompt: solved tasks like its own turn copied
    placeholders into adapted commands. Models behind an API follow instructions without
    them, so they do not pay for the extra prompt; a scripted model replays its outputs.
    """
    if not model.name.startswith("local:"):
        return 0
    # An adapter from `picoagent train` (the default model's included) learned from trajectories
    # whose prompts held no worked examples: it needs none, and they would cost prompt tokens.
    return 0 if "+adapter:" in model.name else EMBEDDED_EXAMPLES


def run_task(
    task: str,
    config: Config,
    *,
    model: Model | None = None,
    extra_tools: Iterable[Tool | Callable[..., Any]] = (),
    on_event: Callable[[str, dict[str, Any]], None] | None = None,
    deadline: Deadline | None = None,
    run_id: str | None = None,
    lessons: Sequence[str] = (),
) -> Result:
    """Run one task end to end and return its Result; the trace goes under config.runs_dir.

    `deadline` replaces the one the run would make from config.max_wall_s, so that the caller
    can cancel the run; `run_id` names the trace in advance (the eval harness records both);
    `lessons` are shown after the task (lessons from earlier failed attempts, `eval --reflect`).
    """
    task = _checked_task(task)
    with Session(config, model=model, extra_tools=extra_tools, on_event=on_event) as session:
        return session.run(task, deadline=deadline, run_id=run_id, lessons=lessons)


class Session:
    """What the runs of one session share: model, workspace, tools, action format and executor.

    `run_task` is a session of one run. `picoagent chat` runs each follow-up task in the same
    session, so it sees the same files (and, in code mode, the same kernel) and continues the
    previous run's transcript. Each run still gets its own trace. `approve`, when given, sees
    each shell command or code block before it runs (picoagent/actions/approval.py).
    """

    def __init__(
        self,
        config: Config,
        *,
        model: Model | None = None,
        extra_tools: Iterable[Tool | Callable[..., Any]] = (),
        on_event: Callable[[str, dict[str, Any]], None] | None = None,
        on_text: Callable[[str], None] | None = None,
        approve: Approver | None = None,
    ):
        self.config = config
        self.on_event = on_event
        self.on_text = on_text
        self.approve = approve
        self._extra_tools = list(extra_tools)
        # Before anything is recorded: `--sandbox on` where none can be had is a config error.
        # Only the web tool set needs the network; its browser runs outside the sandbox.
        self.sandbox = choose_sandbox(config.sandbox, network="web" in config.toolsets, tmp_mb=config.max_file_mb)
        # Spans of each run from its trace's events (picoagent/trace/otel.py).
        self._tracer = otel_tracer() if config.otel else None
        self.model = model or load_model(config.model, n_ctx=config.context_tokens, api_timeout_s=config.api_timeout_s)
        self.critic = make_critic(config.critic, self.model, n_ctx=config.context_tokens)  # before a run is recorded: a bad spec leaves none
        self.workspace: Path | None = None
        self.registry: ToolRegistry | None = None
        self._format: ActionFormat | None = None
        self._executor: Executor | None = None
        self._context: Context | None = None  # the last run's transcript, which the next one continues
        self._own_tools: list[str] = []  # tools the caller gave, which worked examples must not hide
        self.runs: list[str] = []

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _set_up(self, recorder: Recorder) -> None:
        """Workspace, tools, format and executor, on the first run (its directory holds the default workspace)."""
        config = self.config
        fresh = config.workspace in (None, "fresh")
        self.workspace = _workspace(recorder.run_dir / "workspace" if fresh else Path(config.workspace))
        shell_limits = ProcessLimits(
            memory_mb=config.shell_memory_mb, cpu_s=config.shell_cpu_s, max_processes=config.shell_max_processes, max_file_mb=config.max_file_mb
        )
        tools = builtin_tools(
            self.workspace,
            shell_timeout_s=config.shell_timeout_s,
            output_limit=config.output_limit_chars,
            shell_limits=shell_limits,
            sandbox=self.sandbox.sandbox,
            only=config.builtin_tools,
        )
        self.registry = ToolRegistry([*tools, *self._extra_tools], output_limit=config.output_limit_chars)
        self._own_tools = [name for name in self.registry.names if name not in {tool.name for tool in tools}]  # the caller's own
        add_toolsets(config.toolsets, self.registry, self.workspace, config)
        add_mcp_servers(config.mcp, self.registry, timeout_s=config.mcp_timeout_s)
        self._format = make_format(
            config.actions or default_action_format(self.model), self.registry, workspace=self.workspace, config=config, sandbox=self.sandbox.sandbox, model=self.model
        )
        executor = self._format.executor()
        self._executor = ApprovingExecutor(executor, self.approve) if self.approve else executor

    def run(self, task: str, *, deadline: Deadline | None = None, run_id: str | None = None, lessons: Sequence[str] = ()) -> Result:
        """Run `task`; after the first run, as a follow-up that continues the last transcript.
        `lessons` are shown after the task (lessons from earlier failed attempts, `eval --reflect`)."""
        task = _checked_task(task)
        try:
            recorder = Recorder(self.config.runs_dir, run_id)
        except OSError as exc:
            raise ConfigError(f"cannot record runs in {self.config.runs_dir}: {exc.strerror or exc}") from None
        if self._tracer is not None:
            recorder.listeners.append(SpanBuilder(self._tracer))
        try:
            first = self._format is None
            if first:
                self._set_up(recorder)
            assert self._format is not None and self.registry is not None
            follows = {"follows": self.runs[-1]} if self.runs else {}
            recorder.event(
                "workspace", path=str(self.workspace), tools=self.registry.names, sandbox=self.sandbox.mode, isolation=self.sandbox.description, **follows
            )
            if first and self.on_event is not None:  # once the session is set up, so a setup error stays the only line
                self.on_event("sandbox", {"mode": self.sandbox.mode, "description": self.sandbox.description, "workspace": str(self.workspace)})
            # A follow-up's prompt already holds the first run's worked examples.
            count = default_example_count(self.model) if self.config.examples is None else self.config.examples
            examples = default_library().select(task, count, tools=self.registry.names, own_tools=self._own_tools) if self._context is None else []
            agent = Agent(
                self.model,
                self._format,
                self.config,
                recorder=recorder,
                on_event=self.on_event,
                examples=examples,
                executor=self._executor,
                on_text=self.on_text,
                critic=self.critic,
                lessons=lessons,
            )
            result = agent.run(task.strip(), deadline=deadline, previous=self._context)
            self._context = agent.context
            self.runs.append(recorder.run_id)
            return result
        except PicoagentError:
            if not recorder.started:  # a bad option: no run happened, so none is listed
                recorder.discard()
            raise
        finally:
            recorder.close()

    def close(self) -> None:
        """End the executor (kernel) and the tools' resources (browser, MCP servers)."""
        try:
            if self._executor is not None:
                self._executor.close()
        finally:
            self._executor = None
            if self.registry is not None:
                self.registry.close()


def _checked_task(task: str) -> str:
    if not task or not task.strip():
        raise ConfigError("the task is empty: say what the agent should do")
    return clean_text(task)  # bytes that are not UTF-8 reach us from argv as lone surrogates


def _workspace(path: Path) -> Path:
    """The workspace directory, created if missing; a one-line error if it cannot be one."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ConfigError(f"the workspace {path} exists and is not a directory") from None
    except OSError as exc:
        raise ConfigError(f"cannot use {path} as the workspace: {exc.strerror or exc}") from None
    return path.resolve()
