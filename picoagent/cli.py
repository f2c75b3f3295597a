"""The command line: `picoagent run`, `picoagent runs list|show`."""

from __future__ import annotations

import json
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from picoagent.config import Config, default_runs_dir
from picoagent.errors import PicoagentError
from picoagent.evals.cli import eval_app
from picoagent.train.cli import train_app
from picoagent.trace.display import EventPrinter, guess_note
from picoagent.trace.recorder import find_trace, list_runs, read_events

if TYPE_CHECKING:
    from picoagent.agent.loop import Result

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False, help="A local-first engine for LLM agents.")
runs_app = typer.Typer(no_args_is_help=True, help="Read recorded runs.")
app.add_typer(runs_app, name="runs")
app.add_typer(eval_app, name="eval")
app.add_typer(train_app, name="train")

console = Console()
err_console = Console(stderr=True)


@app.command()
def run(
    task: str = typer.Argument(..., help="What the agent should do."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show each step live."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="local | local:PATH.gguf | openai:NAME | scripted:FILE.json (env PICOAGENT_MODEL)"),
    actions: Optional[str] = typer.Option(None, "--actions", "-a", help="Action format: code (Python in a kernel; default over the OpenAI API), json (default for the embedded model) or text (ReAct)."),
    workspace: Optional[Path] = typer.Option(None, "--workspace", "-w", help="Working directory for the agent (default: a fresh one per run)."),
    max_steps: int = typer.Option(20, "--max-steps", help="Stop after this many model calls."),
    max_seconds: float = typer.Option(900.0, "--max-seconds", help="Stop after this much wall time."),
    context_tokens: int = typer.Option(8192, "--context-tokens", help="Context window for the embedded model and budget for the transcript."),
    examples: Optional[int] = typer.Option(None, "--examples", help="Worked examples shown before the task (default: 2 for the embedded model, 0 over the API)."),
    tools: list[str] = typer.Option([], "--tools", "-t", help="Extra tool sets to switch on, e.g. --tools web (repeatable)."),
    runs_dir: Optional[Path] = typer.Option(None, "--runs-dir", help="Where run traces go (env PICOAGENT_RUNS_DIR)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
    sandbox: Optional[str] = typer.Option(None, "--sandbox", help="auto (default: bubblewrap wherever it works), on (or fail) or off (env PICOAGENT_SANDBOX)."),
    critic: Optional[str] = typer.Option(None, "--critic", help="Review each answer before accepting it: off (default), rules (no model), model (the run's model) or model:SPEC (env PICOAGENT_CRITIC)."),
) -> None:
    """Run an agent on TASK. Exit code 0: answered; 1: no answer; 2: bad input; 3: a guessed answer; 4: the critic rejected the answer."""
    from picoagent.agent.session import run_task

    try:
        overrides = {"max_steps": max_steps, "max_wall_s": max_seconds, "context_tokens": context_tokens, "workspace": workspace, "actions": actions, "examples": examples, "toolsets": [name for item in tools for name in item.split(",") if name]}
        if model:
            overrides["model"] = model
        if runs_dir:
            overrides["runs_dir"] = runs_dir
        if sandbox:
            overrides["sandbox"] = sandbox
        if critic:
            overrides["critic"] = critic
        config = Config(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise PicoagentError(f"invalid option {first['loc'][0]}: {first['msg']}") from None
    printer = EventPrinter(err_console if as_json else console) if verbose else None

    def on_event(kind: str, data: dict) -> None:
        if kind == "sandbox":  # always, one line: which isolation this run got
            err_console.print(f"[dim]{escape(data['description'])}[/dim]", soft_wrap=True)
        elif printer is not None:
            printer(kind, data)

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


@runs_app.command("list")
def runs_list(
    runs_dir: Optional[Path] = typer.Option(None, "--runs-dir", help="Where run traces are (env PICOAGENT_RUNS_DIR)."),
    limit: int = typer.Option(30, "--limit", "-n", help="Show at most this many runs."),
) -> None:
    """List recorded runs, newest first."""
    table = Table("started", "status", "steps", "model", "task")
    table.add_column("id", no_wrap=True)  # ids are copied into `runs show`: never wrap them
    for item in list_runs(runs_dir or default_runs_dir())[:limit]:
        started = datetime.fromtimestamp(item["started"]).strftime("%Y-%m-%d %H:%M") if item["started"] else "?"
        task = item["task"] if len(item["task"]) <= 60 else item["task"][:57] + "..."
        table.add_row(started, item["status"], str(item["steps"]), item["model"], escape(task), item["id"])
    console.print(table)


@runs_app.command("show")
def runs_show(
    run_id: str = typer.Argument(..., help="Run id (or a unique prefix)."),
    runs_dir: Optional[Path] = typer.Option(None, "--runs-dir", help="Where run traces are (env PICOAGENT_RUNS_DIR)."),
    as_json: bool = typer.Option(False, "--json", help="Print the raw events as JSON lines."),
) -> None:
    """Show a recorded run step by step."""
    trace = find_trace(runs_dir or default_runs_dir(), run_id)
    if trace is None:
        raise PicoagentError(f"no run {run_id!r} in {runs_dir or default_runs_dir()}")
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
