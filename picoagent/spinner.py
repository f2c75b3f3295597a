"""A spinner with the step and the elapsed time while a run works, so a long model call is not silence."""

from __future__ import annotations

import sys
import time
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text


class _Line:
    """The spinner's text, worked out afresh at every refresh so that the seconds keep counting."""

    def __init__(self) -> None:
        self.run_started = self.step_started = time.monotonic()
        self.step = 1

    def __rich__(self) -> Text:
        now = time.monotonic()
        return Text(f"step {self.step}: working, {now - self.step_started:.0f}s (run {now - self.run_started:.0f}s)", style="dim")


class StepSpinner:
    """Shown on a terminal only; feed it the run's events. Use as a context manager."""

    def __init__(self, console: Console):
        self.line = _Line()
        # What is printed to stdout meanwhile goes above the spinner when both share the terminal;
        # stdout sent to a file or a pipe is left alone.
        shared = sys.stdout.isatty()
        self.status: Live | None = None
        if console.is_terminal:
            self.status = Live(Spinner("dots", self.line), console=console, transient=True, redirect_stdout=shared, redirect_stderr=False)

    def on_event(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "step":  # that step is done: the next one starts now
            self.line.step = data["step"] + 1
            self.line.step_started = time.monotonic()
        elif kind == "run_end":
            self.stop()

    def stop(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None

    def __enter__(self) -> StepSpinner:
        if self.status is not None:
            self.status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
