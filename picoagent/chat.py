"""`picoagent chat`: follow-up tasks in one terminal session, with approval before commands run.

Each task is a run of one Session (picoagent/agent/session.py): the same workspace, tools
and, in code mode, kernel; each prompt continues the last one. The model's text streams as
it is generated where the backend can stream. With `--confirm`, each shell command and code
block waits for y / n / edit / always; a refusal is what the model sees as the observation.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax

from picoagent.actions.approval import describe, with_source
from picoagent.actions.base import Action, CodeAction
from picoagent.agent.session import Session
from picoagent.config import Config
from picoagent.trace.display import EventPrinter

PROMPT = "> "
CHOICES = "[y]es / [n]o / [e]dit / [a]lways? "


class TerminalApprover:
    """Asks before each command or code block: y runs it, n refuses, e edits it, a stops asking."""

    def __init__(self, console: Console, read: Callable[[str], str] = input):
        self.console = console
        self.read = read
        self.always = False

    def __call__(self, action: Action) -> Action | None:
        if self.always:
            return action
        what, source = describe(action)
        shown = Syntax(source, "python" if isinstance(action, CodeAction) else "bash", theme="ansi_dark", word_wrap=True)
        self.console.print(Panel(shown, title=f"run this {what}?", title_align="left", border_style="yellow"))
        while True:
            try:
                answer = self.read(CHOICES).strip().lower()
            except EOFError:  # input closed: nothing more will be approved
                answer = "n"
            if answer in ("y", "yes"):
                return action
            if answer in ("n", "no"):
                self.console.print(f"[yellow]refused: the model is told the user refused this {what}[/yellow]")
                return None
            if answer in ("a", "always"):
                self.always = True
                return action
            if answer in ("e", "edit"):
                edited = self._edit(source, what)
                if edited.strip():
                    return with_source(action, edited)
                self.console.print("[yellow]empty: nothing to run[/yellow]")

    def _edit(self, source: str, what: str) -> str:
        """The edited source: in $VISUAL or $EDITOR when set, else typed here (one line prefilled)."""
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if editor:
            with tempfile.NamedTemporaryFile("w+", suffix=".py" if what == "code block" else ".sh", delete=False) as file:
                file.write(source)
            try:
                subprocess.run([*shlex.split(editor), file.name], check=False)
                with open(file.name, encoding="utf-8") as edited:
                    return edited.read()
            finally:
                os.unlink(file.name)
        if "\n" not in source:
            return _read_prefilled(self.read, "edit: ", source)
        self.console.print(f"[dim]type the new {what}; an empty line ends it[/dim]")
        lines = []
        while line := self.read("... "):
            lines.append(line)
        return "\n".join(lines)


def _read_prefilled(read: Callable[[str], str], prompt: str, text: str) -> str:
    """One line of input that starts as `text`, editable with readline where there is one."""
    try:
        import readline
    except ImportError:
        return read(prompt) or text
    readline.set_startup_hook(lambda: readline.insert_text(text))
    try:
        return read(prompt)
    finally:
        readline.set_startup_hook()


class ChatView:
    """Shows the session's runs: streamed model text, then each step's observation and the answer."""

    def __init__(self, console: Console):
        self.console = console
        self.printer = EventPrinter(console)
        self._line_open = False  # streamed text not yet ended with a newline
        self._step_streamed = False  # this step's action was shown as it was generated
        self.workspace: Callable[[], Any] = lambda: None

    def on_text(self, piece: str) -> None:
        self.console.print(piece, end="", style="dim", markup=False, highlight=False, soft_wrap=True)
        self._line_open = self._step_streamed = True

    def end_stream(self) -> None:
        if self._line_open:
            self.console.print()
            self._line_open = False

    def on_event(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "sandbox":
            self.console.print(f"[dim]{escape(data['description'])}; workspace {escape(str(self.workspace()))}[/dim]", soft_wrap=True)
        elif kind == "step":
            self.end_stream()
            if not self._step_streamed:  # nothing was shown while it was generated: show the action
                self.printer.print_step(data)
            elif (data.get("observation") or {}).get("final_answer") is None:  # the answer comes with run_end
                self.printer.print_observation(data)
            self._step_streamed = False
        elif kind == "run_end":
            result = data["result"]
            if result["status"] == "answered":
                self.console.print(f"[bold green]answer:[/bold green] {escape(result['answer'] or '')}")
            else:
                self.console.print(f"[yellow]{result['status']}[/yellow]: {escape(result.get('error') or 'no answer')}")
            self.console.print(f"[dim]{result['steps']} steps, {result['wall_s']:.1f}s, run {result.get('run_id')}[/dim]")


def chat(config: Config, *, confirm: bool, console: Console, read: Callable[[str], str] = input) -> None:
    """Read tasks until end of input (Ctrl-D) or `exit`; each continues the conversation."""
    try:
        import readline  # noqa: F401  line editing and history for input()
    except ImportError:
        pass
    view = ChatView(console)
    approver = TerminalApprover(console, read) if confirm else None
    # The approval question comes after streamed text: end that line first.
    approve = None if approver is None else (lambda action: (view.end_stream(), approver(action))[1])
    with Session(config, on_event=view.on_event, on_text=view.on_text, approve=approve) as session:
        view.workspace = lambda: session.workspace
        console.print("[dim]picoagent chat: a task per line; follow-ups continue the same workspace. Ctrl-D or `exit` ends.[/dim]")
        while True:
            try:
                task = read(PROMPT)
            except EOFError:
                console.print()
                return
            if task.strip() in ("exit", "quit"):
                return
            if task.strip():
                session.run(task)
