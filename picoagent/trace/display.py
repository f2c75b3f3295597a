"""Human-readable rendering of run events, live (-v) and from a trace (runs show)."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax

SHOWN_OBSERVATION = 1500


def _clip(text: str, limit: int = SHOWN_OBSERVATION) -> str:
    return text if len(text) <= limit else text[:limit] + f"\n… ({len(text) - limit} more characters)"


class EventPrinter:
    """Prints each step as it happens: thought, action, observation, then the result."""

    def __init__(self, console: Console):
        self.console = console

    def __call__(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "run_start":
            self.console.print(f"[bold]task[/bold] {escape(data['task'])}  [dim]model={data['model']} actions={data['actions']}[/dim]")
            for example in data.get("examples", []):
                self.console.print(f"[dim]worked example shown: {escape(example)}[/dim]")
        elif kind == "step":
            self.print_step(data)
        elif kind == "context_condensed":
            self.console.print("[dim]context: old observations condensed to fit the budget[/dim]")
        elif kind == "run_end":
            self.print_result(data["result"])

    def print_step(self, step: dict[str, Any]) -> None:
        usage, timings = step.get("usage", {}), step.get("timings", {})
        self.console.rule(
            f"step {step['step']}  [dim]{usage.get('prompt_tokens', 0)}+{usage.get('completion_tokens', 0)} tokens, "
            f"{(timings.get('total_s') or 0):.1f}s[/dim]",
            align="left",
        )
        if step.get("last_call"):
            reason = "the step limit" if step["last_call"] == "max_steps" else "a repeated action"
            self.console.print(f"[yellow]after {reason}, the model was asked once more, for the final answer only[/yellow]")
        action = step.get("action")
        if step.get("cut_off"):
            self.console.print(Panel(escape(_clip(step.get("raw", ""))), title="model output, cut off", border_style="yellow"))
            self.console.print(f"[yellow]{escape(step.get('error', ''))}[/yellow]")
            return
        if action is None:
            self.console.print(Panel(escape(_clip(step.get("raw", ""))), title="model output", border_style="red"))
            self.console.print(f"[red]invalid action:[/red] {escape(step.get('error', ''))}")
            return
        if action.get("thought"):
            self.console.print(f"[italic cyan]thought:[/italic cyan] {escape(action['thought'])}")
        if action["kind"] == "code":
            self.console.print(Syntax(action["code"], "python", theme="ansi_dark", line_numbers=False))
        else:
            args = json.dumps(action.get("args", {}), ensure_ascii=False)
            self.console.print(f"[bold magenta]{escape(action['tool'])}[/bold magenta] {escape(_clip(args, 600))}")
        self.print_observation(step)

    def print_observation(self, step: dict[str, Any]) -> None:
        """What the step's action produced, or why it produced nothing."""
        observation = step.get("observation")
        if observation:
            style = "red" if observation.get("is_error") else "green"
            self.console.print(Panel(escape(_clip(observation["text"])), title="observation", border_style=style, title_align="left"))
        elif step.get("error"):
            self.console.print(f"[red]{escape(step['error'])}[/red]")

    def print_result(self, result: dict[str, Any]) -> None:
        usage = result["usage"]
        style = "green" if result["status"] == "answered" else "yellow"
        self.console.rule(f"[{style}]{result['status']}[/{style}]", align="left")
        if result.get("answer") is not None:
            self.console.print(f"[bold]answer:[/bold] {escape(result['answer'])}")
        if result.get("error"):
            self.console.print(f"[yellow]{escape(result['error'])}[/yellow]")
        self.console.print(
            f"[dim]{result['steps']} steps, {usage['prompt_tokens']} prompt + {usage['completion_tokens']} completion tokens, "
            f"{result['wall_s']:.1f}s, run {result.get('run_id')}[/dim]"
        )
