"""Set up one run: workspace, tools, action format, recorder; then run the loop."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from picoagent.actions import make_format
from picoagent.agent.critic import make_critic
from picoagent.agent.loop import Agent, Result
from picoagent.config import Config
from picoagent.deadline import Deadline
from picoagent.errors import ConfigError, PicoagentError
from picoagent.exec.processes import ProcessLimits
from picoagent.exec.sandbox import choose_sandbox
from picoagent.memory.examples import default_library
from picoagent.models import Model, load_model
from picoagent.safetext import clean_text
from picoagent.tools.builtin import builtin_tools
from picoagent.tools.registry import Tool, ToolRegistry
from picoagent.tools.toolsets import add_toolsets
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
    return EMBEDDED_EXAMPLES if model.name.startswith("local:") else 0


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
    if not task or not task.strip():
        raise ConfigError("the task is empty: say what the agent should do")
    task = clean_text(task)  # bytes that are not UTF-8 reach us from argv as lone surrogates
    # Before anything is recorded: `--sandbox on` where none can be had is a config error.
    # Only the web tool set needs the network; its browser runs outside the sandbox.
    sandbox = choose_sandbox(config.sandbox, network="web" in config.toolsets, tmp_mb=config.max_file_mb)
    model = model or load_model(config.model, n_ctx=config.context_tokens)
    critic = make_critic(config.critic, model, n_ctx=config.context_tokens)  # before the run is recorded: a bad spec leaves none
    try:
        recorder = Recorder(config.runs_dir, run_id)
    except OSError as exc:
        raise ConfigError(f"cannot record runs in {config.runs_dir}: {exc.strerror or exc}") from None
    registry: ToolRegistry | None = None
    try:
        workspace = _workspace(Path(config.workspace) if config.workspace else recorder.run_dir / "workspace")
        shell_limits = ProcessLimits(
            memory_mb=config.shell_memory_mb, cpu_s=config.shell_cpu_s, max_processes=config.shell_max_processes, max_file_mb=config.max_file_mb
        )
        tools = builtin_tools(
            workspace, shell_timeout_s=config.shell_timeout_s, output_limit=config.output_limit_chars, shell_limits=shell_limits, sandbox=sandbox.sandbox
        )
        registry = ToolRegistry([*tools, *extra_tools], output_limit=config.output_limit_chars)
        own_tools = [name for name in registry.names if name not in {tool.name for tool in tools}]  # the task's own
        add_toolsets(config.toolsets, registry, workspace, config)
        action_format = make_format(
            config.actions or default_action_format(model), registry, workspace=workspace, config=config, sandbox=sandbox.sandbox
        )
        recorder.event("workspace", path=str(workspace), tools=registry.names, sandbox=sandbox.mode, isolation=sandbox.description)
        if on_event is not None:  # once the run is set up, so a setup error stays the only line
            on_event("sandbox", {"mode": sandbox.mode, "description": sandbox.description})
        count = default_example_count(model) if config.examples is None else config.examples
        examples = default_library().select(task, count, tools=registry.names, own_tools=own_tools)
        agent = Agent(model, action_format, config, recorder=recorder, on_event=on_event, examples=examples, critic=critic, lessons=lessons)
        return agent.run(task.strip(), deadline=deadline)
    except PicoagentError:
        if not recorder.started:  # a bad option: no run happened, so none is listed
            recorder.discard()
        raise
    finally:
        if registry is not None:
            registry.close()
        recorder.close()


def _workspace(path: Path) -> Path:
    """The workspace directory, created if missing; a one-line error if it cannot be one."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ConfigError(f"the workspace {path} exists and is not a directory") from None
    except OSError as exc:
        raise ConfigError(f"cannot use {path} as the workspace: {exc.strerror or exc}") from None
    return path.resolve()
