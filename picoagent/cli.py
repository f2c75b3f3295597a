"""The command line: `picoagent run`, `chat`, `runs list|show`, `config show`, `serve`, `mcp serve`; eval and train in their packages."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from picoagent.config import load_config
from picoagent.errors import PicoagentError
from picoagent.evals.cli import eval_app
from picoagent.train.cli import train_app
from picoagent.trace.display import EventPrinter, guess_note
from picoagent.trace.recorder import find_trace, list_runs, matching_traces, read_events

if TYPE_CHECKING:
    from picoagent.agent.loop import Result

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False, help="A local-first engine for LLM agents.")
runs_app = typer.Typer(no_args_is_help=True, help="Read recorded runs.")
app.add_typer(runs_app, name="runs")
app.add_typer(eval_app, name="eval")
app.add_typer(train_app, name="train")
config_app = typer.Typer(no_args_is_help=True, help="Settings: flags beat env, env beats picoagent.toml, which beats ~/.config/picoagent/config.toml.")
app.add_typer(config_app, name="config")
mcp_app = typer.Typer(no_args_is_help=True, help="picoagent as an MCP server (MCP servers' tools: --mcp on run and chat).")
app.add_typer(mcp_app, name="mcp")

console = Console()
err_console = Console(stderr=True)

MCP_HELP = "An MCP server whose tools the agent gets: 'COMMAND ARGS' (started over stdio) or an http(s) URL (repeatable)."
OTEL_HELP = "Send OpenTelemetry spans of runs, steps, model and tool calls over OTLP (also on when OTEL_EXPORTER_OTLP_ENDPOINT is set)."


def _version(show: bool) -> None:
    if show:
        from picoagent import __version__

        print(f"picoagent {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """A local-first engine for LLM agents."""


def _read_task(task: str) -> str:
    """The task, or with `-` the whole of stdin (bytes that are not UTF-8 become U+FFFD)."""
    if task != "-":
        return task
    if sys.stdin.isatty():
        err_console.print("[dim]reading the task from stdin; end it with Ctrl-D[/dim]")
    return sys.stdin.buffer.read().decode("utf-8", errors="replace")


@app.command()
def run(
    task: str = typer.Argument(..., help="What the agent should do; - reads it from stdin."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show each step live."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="local | local:PATH.gguf | openai:NAME | scripted:FILE.json (env PICOAGENT_MODEL)"),
    actions: Optional[str] = typer.Option(None, "--actions", "-a", help="Action format: code (Python in a kernel; default over the OpenAI API), json (default for the embedded model), text (ReAct), plan (a plan step, then a caller writes the arguments) or dag (parallel tool calls)."),
    caller_model: Optional[str] = typer.Option(None, "--caller-model", help="With --actions plan: the model that writes each step's arguments (default: the run's model)."),
    workspace: Optional[str] = typer.Option(None, "--workspace", "-w", help="Where the agent works: a folder, or 'fresh' for a new empty one per run (default: the current directory)."),
    builtins: Optional[str] = typer.Option(None, "--builtins", help="Built-in tools to give the agent, comma-separated (shell, read_file, write_file, edit_file; default all), or 'none'."),
    max_steps: Optional[int] = typer.Option(None, "--max-steps", help="Stop after this many model calls (default 20)."),
    max_seconds: Optional[float] = typer.Option(None, "--max-seconds", help="Stop after this much wall time (default 900)."),
    context_tokens: Optional[int] = typer.Option(None, "--context-tokens", help="Context window for the embedded model and budget for the transcript (default 8192)."),
    examples: Optional[int] = typer.Option(None, "--examples", help="Worked examples shown before the task (default: 2 for the embedded model, 0 over the API)."),
    tools: list[str] = typer.Option([], "--tools", "-t", help="Extra tool sets to switch on, e.g. --tools web (repeatable)."),
    runs_dir: Optional[Path] = typer.Option(None, "--runs-dir", help="Where run traces go (env PICOAGENT_RUNS_DIR)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
    sandbox: Optional[str] = typer.Option(None, "--sandbox", help="auto (default: bubblewrap wherever it works), on (or fail) or off (env PICOAGENT_SANDBOX)."),
    api_timeout: Optional[float] = typer.Option(None, "--api-timeout", help="Seconds to wait for an OpenAI-compatible server's reply (default 120)."),
    mcp: list[str] = typer.Option([], "--mcp", help=MCP_HELP),
    otel: bool = typer.Option(False, "--otel", help=OTEL_HELP),
    critic: Optional[str] = typer.Option(None, "--critic", help="Review each answer before accepting it: off (default), rules (no model), model (the run's model) or model:SPEC (env PICOAGENT_CRITIC)."),
) -> None:
    """Run an agent on TASK. Exit code 0: answered; 1: no answer; 2: bad input; 3: a guessed answer; 4: the critic rejected the answer.

    Settings not given as flags come from env (PICOAGENT_<SETTING>), then picoagent.toml here,
    then ~/.config/picoagent/config.toml: see `picoagent config show`.
    """
    from picoagent.agent.session import run_task
    from picoagent.spinner import StepSpinner

    task = _read_task(task)
    flags = {
        "model": model,
        "actions": actions,
        "workspace": workspace,
        "builtin_tools": None if builtins is None else [name.strip() for name in builtins.split(",") if name.strip() not in ("", "none")],
        "max_steps": max_steps,
        "max_wall_s": max_seconds,
        "context_tokens": context_tokens,
        "examples": examples,
        "toolsets": [name for item in tools for name in item.split(",") if name] or None,
        "runs_dir": runs_dir,
        "sandbox": sandbox,
        "api_timeout_s": api_timeout,
        "caller_model": caller_model,
        "critic": critic,
        "mcp": mcp or None,
        "otel": otel or None,
    }
    config, _ = load_config(flags)
    printer = EventPrinter(err_console if as_json else console) if verbose else None
    spinner = StepSpinner(err_console)

    def on_event(kind: str, data: dict) -> None:
        if kind == "sandbox":  # always, the first line: where the agent works and which isolation it got
            err_console.print(f"[dim]workspace {escape(data['workspace'])} · {escape(data['description'])}[/dim]", soft_wrap=True)
        elif printer is not None:
            printer(kind, data)
        spinner.on_event(kind, data)

    with spinner:
        result = run_task(task, config, on_event=on_event)
    if as_json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
    elif not verbose:
        if result.ok:
            console.print(result.answer, soft_wrap=True)
        if result.guessed:
            err_console.print(f"[yellow]guessed[/yellow]: {escape(guess_note(result.last_call))}  (run {result.run_id})", soft_wrap=True)
        elif not result.ok:
            err_console.print(f"[yellow]{result.status}[/yellow]: {escape(result.error or 'no answer')}  (run {result.run_id})", soft_wrap=True)
    raise typer.Exit(exit_code(result))


# Exit codes of `picoagent run` (the README lists them); 2 is a bad option or input, 130 Ctrl-C.
EXIT_ANSWERED, EXIT_NO_ANSWER, EXIT_GUESSED, EXIT_REJECTED = 0, 1, 3, 4


def exit_code(result: Result) -> int:
    if result.guessed:
        return EXIT_GUESSED
    if result.ok:
        return EXIT_ANSWERED
    return EXIT_REJECTED if result.status == "rejected" else EXIT_NO_ANSWER


def _runs_dir(flag: Path | None) -> Path:
    """Where runs are recorded: the flag, else env, else a config file, else ~/.picoagent/runs."""
    return load_config({"runs_dir": flag})[0].runs_dir


RUN_STATUSES = ("answered", "rejected", "max_steps", "max_tokens", "timeout", "stuck", "invalid_output", "context_full", "model_error", "incomplete")


@app.command()
def serve(
    host: Optional[str] = typer.Option(None, "--host", help="Address to listen on (default 127.0.0.1; any other needs a token)."),
    port: Optional[int] = typer.Option(None, "--port", help="Port to listen on (default 8765)."),
    token: Optional[str] = typer.Option(None, "--token", help="Token every request must carry (env PICOAGENT_SERVE_TOKEN)."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Runs in flight at once (default 2); more wait in a queue."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Default model for runs (env PICOAGENT_MODEL)."),
    runs_dir: Optional[Path] = typer.Option(None, "--runs-dir", help="Where run traces go (env PICOAGENT_RUNS_DIR)."),
    evals_dir: Optional[Path] = typer.Option(None, "--evals-dir", help="Where eval results are read from (default ./eval-results; env PICOAGENT_EVALS_DIR)."),
) -> None:
    """Serve the HTTP API (OpenAPI at /docs) and the web page: start runs, watch them live, rate them, read evals."""
    from picoagent.server.serve import serve as start_server

    options = {"serve_host": host, "serve_port": port, "serve_token": token, "serve_workers": workers, "model": model, "runs_dir": runs_dir, "evals_dir": evals_dir}
    config, _ = load_config(options)
    def ready(url: str, sandbox: str) -> None:
        err_console.print(f"picoagent serving on {url}  (runs in {config.runs_dir}, evals in {config.evals_dir})", soft_wrap=True)
        err_console.print(f"[dim]{escape(sandbox)}[/dim]", soft_wrap=True)

    start_server(config, on_ready=ready)


@app.command()
def chat(
    confirm: bool = typer.Option(False, "--confirm", help="Ask before each shell command or code block runs: y / n / edit / always."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="local | local:PATH.gguf | openai:NAME | scripted:FILE.json (env PICOAGENT_MODEL)"),
    actions: Optional[str] = typer.Option(None, "--actions", "-a", help="Action format: json, code (one Python kernel for the whole chat) or text."),
    workspace: Optional[str] = typer.Option(None, "--workspace", "-w", help="Where the agent works for the whole chat: a folder, or 'fresh' for a new empty one (default: the current directory)."),
    max_steps: Optional[int] = typer.Option(None, "--max-steps", help="Model calls per task (default 20)."),
    max_seconds: Optional[float] = typer.Option(None, "--max-seconds", help="Wall time per task, time spent waiting for approval included (default 900)."),
    context_tokens: Optional[int] = typer.Option(None, "--context-tokens", help="Context window for the embedded model and budget for the transcript (default 8192)."),
    examples: Optional[int] = typer.Option(None, "--examples", help="Worked examples shown before the first task."),
    tools: list[str] = typer.Option([], "--tools", "-t", help="Extra tool sets to switch on, e.g. --tools web (repeatable)."),
    runs_dir: Optional[Path] = typer.Option(None, "--runs-dir", help="Where run traces go (env PICOAGENT_RUNS_DIR)."),
    sandbox: Optional[str] = typer.Option(None, "--sandbox", help="auto, on or off (env PICOAGENT_SANDBOX)."),
    mcp: list[str] = typer.Option([], "--mcp", help=MCP_HELP),
    otel: bool = typer.Option(False, "--otel", help=OTEL_HELP),
) -> None:
    """Chat: one task per line; follow-ups continue in the same workspace and conversation."""
    from picoagent.chat import chat as run_chat

    flags = {
        "model": model,
        "actions": actions,
        "workspace": workspace,
        "max_steps": max_steps,
        "max_wall_s": max_seconds,
        "context_tokens": context_tokens,
        "examples": examples,
        "toolsets": [name for item in tools for name in item.split(",") if name] or None,
        "runs_dir": runs_dir,
        "sandbox": sandbox,
        "mcp": mcp or None,
        "otel": otel or None,
    }
    run_chat(load_config(flags)[0], confirm=confirm, console=console)


@mcp_app.command("serve")
def mcp_serve(
    model: Optional[str] = typer.Option(None, "--model", "-m", help="The model every run_task call uses (env PICOAGENT_MODEL)."),
    actions: Optional[str] = typer.Option(None, "--actions", "-a", help="Default action format: json, code or text."),
    workspace: str = typer.Option("fresh", "--workspace", "-w", help="Where runs work: 'fresh' (default: a new empty folder per run, since a client cannot see this server's directory) or a folder."),
    max_steps: Optional[int] = typer.Option(None, "--max-steps", help="Default model calls per task (default 20)."),
    max_seconds: Optional[float] = typer.Option(None, "--max-seconds", help="Wall time per task (default 900)."),
    runs_dir: Optional[Path] = typer.Option(None, "--runs-dir", help="Where run traces go, served as resources (env PICOAGENT_RUNS_DIR)."),
    sandbox: Optional[str] = typer.Option(None, "--sandbox", help="auto, on or off (env PICOAGENT_SANDBOX)."),
    mcp: list[str] = typer.Option([], "--mcp", help=MCP_HELP),
    otel: bool = typer.Option(False, "--otel", help=OTEL_HELP),
) -> None:
    """Serve picoagent over MCP (stdio): a run_task tool, and recorded runs as resources."""
    from picoagent.server.mcp import serve_stdio

    flags = {
        "model": model,
        "actions": actions,
        "workspace": workspace,
        "max_steps": max_steps,
        "max_wall_s": max_seconds,
        "runs_dir": runs_dir,
        "sandbox": sandbox,
        "mcp": mcp or None,
        "otel": otel or None,
    }
    serve_stdio(load_config(flags)[0])


@runs_app.command("list")
def runs_list(
    runs_dir: Optional[Path] = typer.Option(None, "--runs-dir", help="Where run traces are (env PICOAGENT_RUNS_DIR)."),
    limit: int = typer.Option(30, "--limit", "-n", help="Show at most this many runs."),
    status: list[str] = typer.Option([], "--status", "-s", help=f"Only runs that ended so (repeatable): {', '.join(RUN_STATUSES)}."),
    as_json: bool = typer.Option(False, "--json", help="Print the runs as a JSON list."),
) -> None:
    """List recorded runs, newest first."""
    wanted = {name for item in status for name in item.split(",") if name}
    if unknown := sorted(wanted - set(RUN_STATUSES)):
        raise PicoagentError(f"unknown status {unknown[0]!r}: use one of {', '.join(RUN_STATUSES)}")
    where = _runs_dir(runs_dir)
    runs = [item for item in list_runs(where) if not wanted or item["status"] in wanted][:limit]
    if as_json:
        print(json.dumps(runs, ensure_ascii=False))
        return
    if not runs:
        err_console.print(f"no runs{' with that status' if wanted else ''} in {escape(str(where))}")
        return
    # Fits 80 columns: the id (which holds the start time) is never cut, since it is copied
    # into `runs show`; the model and the task get what is left, cut with an ellipsis.
    widths = {
        "id": max((len(item["id"]) for item in runs), default=2),
        "status": max((len(item["status"]) for item in runs), default=6),
        "steps": 5,
        "model": min(max((len(item["model"]) for item in runs), default=5), 14),
    }
    gaps = 2 * len(widths)  # one space of padding and one of border between columns
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
    for name, width in widths.items():
        table.add_column(name, no_wrap=True, overflow="ellipsis", width=width, justify="right" if name == "steps" else "left")
    table.add_column("task", no_wrap=True, overflow="ellipsis", width=max(console.width - sum(widths.values()) - gaps, 10))
    for item in runs:
        table.add_row(item["id"], item["status"], str(item["steps"]), escape(item["model"]), escape(" ".join(item["task"].split())))
    console.print(table)


@runs_app.command("show")
def runs_show(
    run_id: str = typer.Argument(..., help="Run id (or a unique prefix)."),
    runs_dir: Optional[Path] = typer.Option(None, "--runs-dir", help="Where run traces are (env PICOAGENT_RUNS_DIR)."),
    as_json: bool = typer.Option(False, "--json", help="Print the raw events as JSON lines."),
) -> None:
    """Show a recorded run step by step."""
    where = _runs_dir(runs_dir)
    trace = find_trace(where, run_id)
    if trace is None:
        matches = matching_traces(where, run_id)
        if len(matches) > 1:
            names = ", ".join(path.parent.name for path in matches[:3])
            raise PicoagentError(f"run id {run_id!r} is ambiguous: it starts {len(matches)} runs ({names}{', ...' if len(matches) > 3 else ''})")
        raise PicoagentError(f"no run {run_id!r} in {where}")
    events = read_events(trace)
    if as_json:
        for event in events:
            print(json.dumps(event, ensure_ascii=False))
        return
    printer = EventPrinter(console)
    for event in events:
        printer(event["type"], event)
    if not any(event["type"] == "run_end" for event in events):
        console.print("[yellow]incomplete: the run ended without a result (killed or still running)[/yellow]")


@config_app.command("show")
def config_show(as_json: bool = typer.Option(False, "--json", help="Print {setting: {value, source}} as JSON.")) -> None:
    """Print the effective settings, each with where it came from, as TOML that picoagent.toml takes."""
    from picoagent.config import PROJECT_FILE, user_config_file

    config, sources = load_config()
    values = config.model_dump(mode="json")
    if as_json:
        print(json.dumps({key: {"value": values[key], "source": sources[key]} for key in values}, ensure_ascii=False))
        return
    print(f"# files read, weakest first: {user_config_file()}, ./{PROJECT_FILE} (where they exist)")
    for key, value in values.items():
        line = f"# {key} is not set" if value is None else f"{key} = {json.dumps(value, ensure_ascii=False)}"
        print(f"{line}  # {sources[key]}")


class Interrupted(BaseException):
    """Ctrl-C. Not a KeyboardInterrupt: Typer turns that into a silent exit 130 before main() sees it."""


def _interrupt(signum: int, frame: object) -> None:
    raise Interrupted


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM unwinds like an exit, so that the step in flight kills what it started."""
    raise SystemExit(128 + signum)


def main() -> None:
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        app()
    except PicoagentError as exc:
        err_console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        sys.exit(2)
    except Interrupted:
        err_console.print("[red]interrupted[/red]")
        sys.exit(130)


if __name__ == "__main__":
    main()
