"""`picoagent train generate|dataset|fit|export`: from generated tasks to a tuned GGUF adapter."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from picoagent.errors import ConfigError
from picoagent.evals.cli import RAY_CPUS_HELP, RAY_HELP, RAY_WORKERS_HELP, OptionalRayAddress

console = Console()
train_app = typer.Typer(no_args_is_help=True, help="Train the embedded model on agent trajectories: generate, dataset, fit, export.")

BASE_HELP = "The base GGUF: local (the embedded default) or a path."


def _base_gguf(spec: str) -> Path:
    if spec == "local":
        from picoagent.models.weights import default_model_path

        return default_model_path()
    path = Path(spec.removeprefix("local:")).expanduser()
    if not path.is_file():
        raise ConfigError(f"base model not found: {path}")
    return path


def _require_train_extra(*modules: str) -> None:
    import importlib.util

    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        raise ConfigError(f"this needs the train extra ({', '.join(missing)} missing): pip install 'picoagent[train]'")


@train_app.command("generate", cls=OptionalRayAddress)
def generate(
    out: Path = typer.Option(..., "--out", "-o", help="Output directory: tasks/ (eval suites) and one results directory per format; the same one again resumes."),
    families: str = typer.Option("all", "--families", help="Comma-separated family names, or all."),
    count: int = typer.Option(100, "--count", "-n", min=1, help="Tasks to generate, spread evenly over the families."),
    formats: str = typer.Option("json", "--formats", help="Action formats to record trajectories in, comma-separated (json, code, text)."),
    seed: int = typer.Option(0, "--seed", help="Seed: the same seed gives the same tasks."),
    workers: int = typer.Option(2, "--workers", "-j", min=1, help="Trajectories replayed at once."),
    ray: Optional[str] = typer.Option(None, "--ray", metavar="[ADDRESS]", help=RAY_HELP),
    ray_workers: Optional[int] = typer.Option(None, "--ray-workers", min=1, help=RAY_WORKERS_HELP),
    ray_cpus: float = typer.Option(1.0, "--ray-cpus", min=0.01, help=RAY_CPUS_HELP),
) -> None:
    """Generate tasks and replay their reference steps through the real loop; keep runs whose checks pass."""
    from picoagent.actions import FORMAT_NAMES
    from picoagent.evals.runner import choose_runner
    from picoagent.train.factory import FAMILIES, generate_tasks, write_suites
    from picoagent.train.trajectories import replay

    chosen = None if families == "all" else [name for name in families.split(",") if name]
    unknown = sorted(set(chosen or []) - set(FAMILIES))
    if unknown:
        raise ConfigError(f"unknown families {', '.join(unknown)}: choose from {', '.join(sorted(FAMILIES))}")
    format_names = [name for name in formats.split(",") if name]
    if not format_names or any(name not in FORMAT_NAMES for name in format_names):
        raise ConfigError(f"--formats takes a comma-separated list of {', '.join(FORMAT_NAMES)}")
    runner = choose_runner(workers, ray, ray_workers, ray_cpus)
    tasks = generate_tasks(chosen, count, seed)
    write_suites(tasks, out / "tasks")
    for name in format_names:
        kept = failed = 0
        columns = (TextColumn(f"[bold]{name}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[kept]} kept"), TimeElapsedColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console) as progress:
            bar = progress.add_task(name, total=len(tasks), kept=0)

            def on_record(record: dict) -> None:
                nonlocal kept, failed
                kept += bool(record["passed"])
                failed += not record["passed"]
                progress.update(bar, advance=1, kept=kept)
                if not record["passed"]:
                    reason = record.get("error") or "; ".join(c["detail"] for c in record["checks"] if not c["passed"])
                    progress.console.print(f"[yellow]dropped[/yellow] {escape(record['suite'])}/{escape(record['task'])}: {escape(str(reason))[:200]}")

            ran, skipped = replay(tasks, name, out / name, runner=runner, on_record=on_record)
        console.print(f"{name}: replayed {ran} tasks ({skipped} already done); {kept} kept, {failed} dropped; results in {out / name}")


@train_app.command("dataset")
def dataset(
    sources: list[Path] = typer.Argument(..., help="Eval results directories (runs that passed), `train generate` output, runs directories or trace files."),
    out: Path = typer.Option(..., "--out", "-o", help="The JSONL file to write."),
    base: str = typer.Option("local", "--base", help=BASE_HELP + " Its tokenizer and template render the samples."),
    max_tokens: int = typer.Option(2048, "--max-tokens", min=64, help="Skip trajectories longer than this many tokens."),
    val_percent: int = typer.Option(10, "--val-percent", min=0, max=50, help="Share of task instances (per family) held out for validation."),
) -> None:
    """Turn traces into training samples: the exact prompt the backend renders, loss on the model's replies."""
    from picoagent.models.local import load_vocabulary
    from picoagent.train.dataset import build_dataset

    report = build_dataset(sources, out, load_vocabulary(_base_gguf(base)), max_tokens=max_tokens, val_percent=val_percent)
    for split in ("train", "val"):
        console.print(f"{split}: {report.samples[split]} samples, {report.tokens[split]} tokens, {report.target_tokens[split]} target tokens")
    for reason, count in sorted(report.skipped.items()):
        console.print(f"skipped {count}: {reason}")
    console.print(f"wrote {out}")


@train_app.command("fit")
def fit(
    data: Path = typer.Argument(..., help="A dataset from `picoagent train dataset`."),
    out: Path = typer.Option(..., "--out", "-o", help="Adapter directory (peft format); checkpoints go inside it."),
    base: str = typer.Option("local", "--base", help=BASE_HELP),
    epochs: float = typer.Option(2.0, "--epochs", min=0.01),
    lora_r: int = typer.Option(16, "--lora-r", min=1),
    lora_alpha: float = typer.Option(32.0, "--lora-alpha", min=0.0),
    learning_rate: float = typer.Option(2e-4, "--lr", min=0.0),
    batch: int = typer.Option(4, "--batch", min=1, help="Trajectories per optimizer step."),
    micro_batch: Optional[int] = typer.Option(None, "--micro-batch", min=1, help="Trajectories per forward pass, padded (default: 1 on a CPU, 16 on CUDA)."),
    max_seq: int = typer.Option(2048, "--max-seq", min=64, help="Tokens per trajectory; longer ones are cut."),
    device: str = typer.Option("auto", "--device", help="auto (CUDA when present), cpu or cuda."),
    precision: str = typer.Option("auto", "--precision", help="bf16 or fp32 matrix products (auto: bf16 on CUDA and on CPUs with native bf16)."),
    seed: int = typer.Option(0, "--seed"),
    threads: Optional[int] = typer.Option(None, "--threads", min=1, help="CPU threads (default: one per core; 1 holds up best on a busy machine)."),
    max_steps: Optional[int] = typer.Option(None, "--max-steps", min=1, help="Stop after this many optimizer steps."),
    save_every: int = typer.Option(20, "--save-every", min=1, help="Optimizer steps between checkpoints."),
    eval_every: int = typer.Option(50, "--eval-every", min=1, help="Optimizer steps between validation losses."),
    resume: bool = typer.Option(False, "--resume", help="Continue from the checkpoint in --out."),
    init: Optional[Path] = typer.Option(None, "--init", help="Start from this adapter's weights (a fresh optimizer): more training on new data. An adapter directory or a LoRA GGUF, such as the shipped one."),
) -> None:
    """LoRA fine-tuning of the base on a dataset; Ctrl-C saves a checkpoint that --resume continues."""
    _require_train_extra("torch", "transformers", "peft")
    from picoagent.train.fit import FitOptions, Progress as FitProgress, fit as run_fit

    options = FitOptions(epochs=epochs, lora_r=lora_r, lora_alpha=lora_alpha, learning_rate=learning_rate, batch=batch, micro_batch=micro_batch, max_seq=max_seq, device=device, precision=precision, threads=threads, seed=seed, max_steps=max_steps, save_every=save_every, eval_every=eval_every)
    base_path = _base_gguf(base)
    console.print(f"loading {base_path.name} (the first time about a minute; then cached)")
    columns = (TextColumn("[bold]fit"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[status]}"), TimeElapsedColumn(), TextColumn("left {task.fields[left]}"))
    with Progress(*columns, console=console) as progress:
        bar = progress.add_task("fit", total=None, status="", left="?")

        def on_progress(update: FitProgress) -> None:
            status = f"loss {update.loss:.3f}  {update.sequence_tokens_per_s:.0f} tok/s"
            minutes, seconds = divmod(int(update.eta_s), 60)
            if update.val_loss is not None:
                progress.console.print(f"step {update.step}: validation loss {update.val_loss:.3f}")
            elif not console.is_terminal and update.step % 10 == 0:  # a log file gets a line now and then instead of a bar
                console.print(f"step {update.step}/{update.total_steps}: {status}, {minutes}:{seconds:02d} left")
            progress.update(bar, total=update.total_steps, completed=update.step, status=status, left=f"{minutes}:{seconds:02d}")

        report = run_fit(data, out, base_path, options, resume=resume, init=init, on_progress=on_progress)
    val = f", validation loss {report['val_losses'][-1][1]:.3f}" if report["val_losses"] else ""
    console.print(
        f"trained {report['steps']} steps in {report['wall_s']:.0f} s ({report['sequence_tokens_per_s']:.0f} tokens/s on {report['device']}, {report['precision']}); "
        f"final loss {report['final_train_loss']:.3f}{val}; adapter in {out}"
    )


@train_app.command("export")
def export(
    adapter: Path = typer.Argument(..., help="An adapter directory from `picoagent train fit`."),
    out: Path = typer.Option(..., "--out", "-o", help="The GGUF to write."),
    base: str = typer.Option("local", "--base", help=BASE_HELP + " The adapter is checked against it."),
    merge: bool = typer.Option(False, "--merge", help="Write a whole model with the adapter merged in (adapted weights as Q8_0) instead of an adapter."),
) -> None:
    """Write a llama.cpp LoRA adapter GGUF (run it with --model local+adapter:FILE.gguf), or a merged model."""
    _require_train_extra("gguf", "safetensors")
    from picoagent.train.export import export_adapter, export_merged

    if merge:
        written = export_merged(adapter, out, _base_gguf(base))
        console.print(f"wrote {out}: {written['merged']} weights merged, {written['bytes'] / 1e6:.0f} MB; run it with --model local:{out}")
        return
    written = export_adapter(adapter, out, _base_gguf(base))
    console.print(f"wrote {out}: {written['tensors']} tensors, rank {written['rank']}, {written['bytes'] / 1e6:.1f} MB; run it with --model local+adapter:{out}")
