"""`picoagent eval SUITE...`, `picoagent eval compare A B`, `picoagent eval verify SUITE...`.

`eval` is a command group whose default command is `run`: `picoagent eval terminal` means
`picoagent eval run terminal`. A suite directory that happens to be called `compare` or
`verify` is given as `./compare`.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Optional

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from typer.core import TyperCommand, TyperGroup

from picoagent.errors import ConfigError

console = Console()


class _RunByDefault(TyperGroup):
    """Treat `eval ARGS` as `eval run ARGS` unless ARGS starts with a subcommand or --help."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


eval_app = typer.Typer(
    cls=_RunByDefault,
    no_args_is_help=True,
    help="Run task suites and compare results. `picoagent eval SUITE...` is short for `picoagent eval run SUITE...`.",
)


RAY_HELP = "Run on Ray: alone (or `local`), a local instance on 127.0.0.1; auto, HOST:PORT or ray://HOST:PORT join a cluster. Needs the ray extra."


class OptionalRayAddress(TyperCommand):
    """`--ray` with no value (last, or before another option) means `--ray local`: Typer's
    options always take their value."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        args = list(args)
        for index, arg in enumerate(args):
            if arg == "--":
                break
            if arg == "--ray" and (index + 1 == len(args) or args[index + 1].startswith("-")):
                args.insert(index + 1, "local")
                break
        return super().parse_args(ctx, args)

RAY_WORKERS_HELP = "Ray workers (actors), each loading the model once (default: --workers)."
RAY_CPUS_HELP = "CPUs Ray reserves for each worker."


def default_out(suites: list[str], model: str, actions: str | None, critic: str = "off", reflect: bool = False) -> Path:
    names = "+".join(Path(s).name or s for s in suites)
    extras = ("" if critic == "off" else f"-critic-{critic}") + ("-reflect" if reflect else "")
    slug = re.sub(r"[^A-Za-z0-9_.+-]+", "_", f"{names}-{model}-{actions or 'default'}{extras}")
    return Path("eval-results") / slug


@eval_app.command("run", cls=OptionalRayAddress)
def run(
    suites: list[str] = typer.Argument(..., help="Built-in suite names (terminal, debug, qa, tools), suite directories or task files."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="local | local:PATH.gguf | openai:NAME | scripted:FILE.json (env PICOAGENT_MODEL)"),
    actions: Optional[str] = typer.Option(None, "--actions", "-a", help="Action format: json, code, text, plan or dag (default: the model's best)."),
    runs: int = typer.Option(1, "--runs", "-k", min=1, help="Runs per task; K > 1 gives standard errors."),
    workers: int = typer.Option(1, "--workers", "-j", min=1, help="Tasks at once; they share one loaded model."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Results directory; the same one again resumes (default: eval-results/SUITES-MODEL-ACTIONS)."),
    tasks: list[str] = typer.Option([], "--task", "-t", help="Only tasks whose id or suite/id matches this glob (repeatable)."),
    max_steps: Optional[int] = typer.Option(None, "--max-steps", min=1, help="Cap every task's step limit."),
    timeout: Optional[float] = typer.Option(None, "--timeout", min=1, help="Cap every task's time limit, in seconds."),
    examples: Optional[int] = typer.Option(None, "--examples", min=0, max=8, help="Worked examples shown before each task (default: 2 for the embedded model, 0 over the API)."),
    judge: Optional[str] = typer.Option(None, "--judge", help="Model spec for LLM-judge checks; off by default (judge checks then fail as skipped)."),
    sandbox: Optional[str] = typer.Option(None, "--sandbox", help="auto (default: bubblewrap wherever it works), on (or fail) or off (env PICOAGENT_SANDBOX)."),
    ray: Optional[str] = typer.Option(None, "--ray", metavar="[ADDRESS]", help=RAY_HELP),
    ray_workers: Optional[int] = typer.Option(None, "--ray-workers", min=1, help=RAY_WORKERS_HELP),
    ray_cpus: float = typer.Option(1.0, "--ray-cpus", min=0.01, help=RAY_CPUS_HELP),
    critic: Optional[str] = typer.Option(None, "--critic", help="Review each answer: off (default), rules, model or model:SPEC (env PICOAGENT_CRITIC)."),
    reflect: bool = typer.Option(False, "--reflect", help="After a failed run the model writes a lesson; the task's next run sees it (use with --runs K)."),
) -> None:
    """Run every task of the suites K times; results are appended as they finish."""
    from picoagent.actions import FORMAT_NAMES
    from picoagent.config import Config
    from picoagent.evals.report import write_reports
    from picoagent.evals.results import ResultsDir, record_key
    from picoagent.evals.runner import EvalOptions, LoadModel, choose_runner, run_eval
    from picoagent.evals.tasks import load_tasks
    from pydantic import ValidationError

    from picoagent.exec.sandbox import choose_sandbox
    from picoagent.models import load_model, portable_spec

    try:
        config = Config(**({"model": model} if model else {}), **({"sandbox": sandbox} if sandbox else {}), **({"critic": critic} if critic else {}))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"invalid option {first['loc'][0]}: {first['msg']}") from None
    # Web tasks get the network; the line says what the others get.
    console.print(f"[dim]{escape(choose_sandbox(config.sandbox, network=False).description)}[/dim]")
    if actions and actions not in FORMAT_NAMES:
        raise ConfigError(f"unknown action format {actions!r}: use one of {', '.join(FORMAT_NAMES)}")
    if ray is not None and reflect:
        raise ConfigError("--reflect runs on this machine's threads: drop --ray")
    runner = choose_runner(workers, ray, ray_workers, ray_cpus)
    if max(workers, ray_workers or 0) > 1 and config.model.startswith("scripted"):
        raise ConfigError("a scripted model replays one stream of outputs: use --workers 1 with it")
    task_list = load_tasks(suites, tasks or None)
    options = EvalOptions(model_spec=config.model, actions=actions, runs=runs, workers=workers, max_steps=max_steps, timeout=timeout, examples=examples, sandbox=config.sandbox, critic=config.critic, reflect=reflect)
    out = out or default_out(suites, config.model, actions, config.critic, reflect)
    results = ResultsDir(out, {**options.meta(), "judge": judge, "suites": sorted({t.suite for t in task_list})})
    if ray is None:  # one model object for all threads; the embedded model serializes its calls itself
        options.judge = load_model(judge, n_ctx=config.context_tokens) if judge else None
        models = load_model(config.model, n_ctx=config.context_tokens)
    else:  # each Ray worker loads its own
        options.judge = LoadModel(portable_spec(judge), config.context_tokens) if judge else None
        models = LoadModel(portable_spec(config.model), config.context_tokens)

    wanted = {(t.key, k) for t in task_list for k in range(runs)}
    finished = results.finished() & wanted
    earlier = [r for r in results.records() if record_key(r) in finished]
    passed = sum(bool(r["passed"]) for r in earlier)
    columns = (TextColumn("[bold]eval"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[passed]} passed"), TimeElapsedColumn(), TextColumn("{task.fields[running]}"))
    with Progress(*columns, console=console) as progress:
        bar = progress.add_task("eval", total=len(wanted), completed=len(earlier), passed=passed, running="")
        running: list[str] = []  # what is in flight, oldest first; the bar names the newest
        lock = threading.Lock()

        def show_running() -> None:
            more = f" (+{len(running) - 1})" if len(running) > 1 else ""
            progress.update(bar, running=escape(f"running {running[-1]}{more}") if running else "")

        def on_start(task, run: int) -> None:
            with lock:
                running.append(task.key if runs == 1 else f"{task.key} #{run + 1}")
                show_running()

        def on_record(record: dict) -> None:
            nonlocal passed
            passed += bool(record["passed"])
            with lock:
                name = f"{record['suite']}/{record['task']}" + ("" if runs == 1 else f" #{record['run'] + 1}")
                if name in running:
                    running.remove(name)
                show_running()
            progress.update(bar, advance=1, passed=passed)
            if record["status"] == "error":
                progress.console.print(f"[red]error[/red] {escape(record['suite'])}/{escape(record['task'])}: {escape(str(record['error']))}")

        ran, skipped = run_eval(task_list, models, options, results, runner=runner, on_record=on_record, on_start=on_start)
    console.print(f"ran {ran} task runs, skipped {skipped} already finished; results in {results.file}")
    records = [r for r in results.records() if record_key(r) in wanted]
    print_summary(records)
    md_path, html_path = write_reports(results.path, records, results.meta)
    console.print(f"reports: {md_path}  {html_path}")


def print_summary(records: list[dict]) -> None:
    from picoagent.evals.metrics import METRICS
    from picoagent.evals.report import SUITE_COLUMNS, suite_rows

    table = Table("suite", "tasks", *(METRICS[m][0] for m in SUITE_COLUMNS))
    for suite, count, metrics in suite_rows(records):
        table.add_row(suite, str(count), *(metrics[m].format(m) for m in SUITE_COLUMNS))
    console.print(table)


@eval_app.command("compare")
def compare(
    results_a: Path = typer.Argument(..., help="Results directory (or results.jsonl) A, the baseline."),
    results_b: Path = typer.Argument(..., help="Results directory (or results.jsonl) B, compared against A."),
    all_tasks: bool = typer.Option(False, "--all-tasks", help="List every task, not only those whose pass rate differs."),
) -> None:
    """Side by side per suite and per task; B minus A, and whether it exceeds 2 standard errors."""
    from picoagent.evals.compare import compare_suites, compare_tasks
    from picoagent.evals.metrics import METRICS
    from picoagent.evals.results import read_records

    a, b = read_records(results_a), read_records(results_b)
    suites = Table("suite", "metric", "A", "B", "B - A", "noise", title=f"A = {results_a}   B = {results_b}")
    for row in compare_suites(a, b):
        suites.add_row(row.name, METRICS[row.metric][0], row.a.format(row.metric) if row.a else "-", row.b.format(row.metric) if row.b else "-", row.format_diff(), row.verdict)
    console.print(suites)
    tasks = Table("task", "A pass", "B pass", "B - A", "noise")
    for row in compare_tasks(a, b):
        if all_tasks or row.diff != 0:
            tasks.add_row(row.name, row.a.format("pass_rate") if row.a else "-", row.b.format("pass_rate") if row.b else "-", row.format_diff(), row.verdict)
    console.print(tasks if tasks.row_count else "no task's pass rate differs")


@eval_app.command("verify")
def verify(
    suites: list[str] = typer.Argument(..., help="Built-in suite names, suite directories or task files."),
    tasks: list[str] = typer.Option([], "--task", "-t", help="Only tasks whose id or suite/id matches this glob (repeatable)."),
) -> None:
    """Check the checkers: each reference solution must pass, a wrong answer must fail. No model needed."""
    from picoagent.evals.reference import verify as verify_task
    from picoagent.evals.tasks import load_tasks

    failures = 0
    for task in load_tasks(suites, tasks or None):
        outcome = verify_task(task)
        if outcome.ok:
            console.print(f"[green]ok[/green]   {escape(task.key)}")
            continue
        failures += 1
        problems = [outcome.error] if outcome.error else []
        problems += [f"reference: {c.type}: {c.detail}" for c in outcome.reference if not c.passed and not c.skipped]
        if not outcome.error and all(c.passed or c.skipped for c in outcome.wrong):
            problems.append("a wrong answer in an untouched workspace passes every check")
        console.print(f"[red]FAIL[/red] {escape(task.key)}: {escape('; '.join(problems))}")
    if failures:
        raise typer.Exit(1)
