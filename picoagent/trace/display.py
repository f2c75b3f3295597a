"""Human-readable rendering of run events, live (-v) and from a trace (runs show)."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax

SHOWN_OBSERVATION = 1500


LIMIT_NAMES = {"max_steps": "the step limit", "stuck": "a repeated action"}


def guess_note(last_call: str | None) -> str:
    """Why an answer counts as a guess: the model gave it only when forced (see Result.guessed)."""
    return f"the model gave this answer only when forced to, after {LIMIT_NAMES.get(last_call or '', 'a limit')}; no critic accepted it"


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
        wait_s = timings.get("wait_s") or 0.0
        waited = f" after waiting {wait_s:.1f}s for the model" if wait_s >= 0.05 else ""
        self.console.rule(
            f"step {step['step']}  [dim]{usage.get('prompt_tokens', 0)}+{usage.get('completion_tokens', 0)} tokens, "
            f"{(timings.get('total_s') or 0):.1f}s{waited}[/dim]",
            align="left",
        )
        if step.get("last_call"):
            reason = LIMIT_NAMES.get(step["last_call"], "a limit")
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
        elif action["kind"] == "plan_step":
            self.print_plan_step(action, step.get("observation") or {})
        elif action["kind"] == "dag":
            self.print_dag(action, step.get("observation") or {})
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
        if review := step.get("review"):
            self.print_review(review)

    def print_review(self, review: dict[str, Any]) -> None:
        critic = escape(review.get("critic", "critic"))
        if review.get("accept") is None:
            self.console.print(f"[yellow]critic ({critic}) gave no verdict, the answer stands:[/yellow] {escape(review.get('error') or '')}")
        elif review["accept"]:
            self.console.print(f"[green]critic ({critic}) accepted the answer[/green]")
        else:
            self.console.print(f"[red]critic ({critic}) rejected the answer:[/red] {escape(review.get('critique', ''))}")

    def print_plan_step(self, action: dict[str, Any], observation: dict[str, Any]) -> None:
        """The planner's step, then what the caller wrote for it (each try, when it needed repairs)."""
        self.console.print(f"[bold]plan:[/bold] {escape(action['task'])} [dim]with[/dim] [bold magenta]{escape(action['tool'])}[/bold magenta]")
        caller = next((call.get("caller") for call in observation.get("tool_calls", []) if call.get("caller")), None)
        if caller is None:
            return
        replies = caller.get("replies", [])
        for reply in replies[:-1] if "args" in caller else []:
            self.console.print(f"[dim]caller wrote (invalid, repaired):[/dim] {escape(_clip(reply, 300))}")
        usage = caller.get("usage") or {}
        cost = f"{usage.get('prompt_tokens', 0)}+{usage.get('completion_tokens', 0)} tokens, {len(replies)} tries"
        if "args" in caller:
            args = json.dumps(caller["args"], ensure_ascii=False)
            self.console.print(f"[bold magenta]{escape(action['tool'])}[/bold magenta] {escape(_clip(args, 600))}  [dim]caller {escape(caller.get('model', ''))}, {cost}[/dim]")
        else:
            self.console.print(f"[red]caller failed:[/red] {escape(caller.get('error', ''))}  [dim]{cost}[/dim]")

    def print_dag(self, action: dict[str, Any], observation: dict[str, Any]) -> None:
        """A DAG batch: each call with its dependencies and a bar of when it ran within the batch."""
        records = {record.get("id"): record for record in observation.get("tool_calls", [])}
        span = max((record.get("end_s") or 0.0 for record in records.values()), default=0.0) or 1.0
        width = 24
        for call in action.get("calls", []):
            record = records.get(call["id"], {})
            args = json.dumps(record.get("args", call.get("args", {})), ensure_ascii=False)
            after = f" after {','.join(map(str, call['after']))}" if call.get("after") else ""
            if record.get("skipped"):
                timeline = "[yellow]skipped[/yellow]"
            elif "start_s" in record:
                begin, end = int(record["start_s"] / span * width), max(int(record["end_s"] / span * width), int(record["start_s"] / span * width) + 1)
                timeline = f"[dim]|{' ' * begin}{'█' * (end - begin)}{' ' * (width - end)}|[/dim] {record['start_s']:.2f}-{record['end_s']:.2f}s"
            else:
                timeline = "[dim]not run[/dim]"
            self.console.print(f"[{call['id']}] [bold magenta]{escape(call['tool'])}[/bold magenta] {escape(_clip(args, 200))}{after}  {timeline}")

    def print_result(self, result: dict[str, Any]) -> None:
        usage = result["usage"]
        guessed = result.get("guessed", False)
        style = "green" if result["status"] == "answered" and not guessed else "yellow"
        self.console.rule(f"[{style}]{result['status']}{' (guessed)' if guessed else ''}[/{style}]", align="left")
        if result.get("answer") is not None:
            label = {"rejected": "rejected answer"}.get(result["status"], "guessed answer" if guessed else "answer")
            self.console.print(f"[bold]{label}:[/bold] {escape(result['answer'])}")
        if guessed:
            self.console.print(f"[yellow]guessed: {escape(guess_note(result.get('last_call')))}[/yellow]")
        if result.get("error"):
            self.console.print(f"[yellow]{escape(result['error'])}[/yellow]")
        reviewed = f", critic: {result['review']}" if result.get("review") else ""
        self.console.print(
            f"[dim]{result['steps']} steps{reviewed}, {usage['prompt_tokens']} prompt + {usage['completion_tokens']} completion tokens, "
            f"{result['wall_s']:.1f}s, run {result.get('run_id')}[/dim]"
        )
