"""The spinner shows the step and its seconds on a terminal, and nothing elsewhere."""

from __future__ import annotations

import io
import time

from rich.console import Console

from picoagent.spinner import StepSpinner


def shows(screen: io.StringIO, text: str) -> bool:
    """Whether `text` is drawn within 5 s (the spinner redraws about 12 times a second)."""
    deadline = time.monotonic() + 5
    while text not in screen.getvalue() and time.monotonic() < deadline:
        time.sleep(0.05)
    return text in screen.getvalue()


def test_the_spinner_counts_steps_and_seconds_on_a_terminal() -> None:
    screen = io.StringIO()
    with StepSpinner(Console(file=screen, force_terminal=True, width=80)) as spinner:
        spinner.line.step_started -= 37  # a model call that has taken 37 s so far
        spinner.line.run_started -= 37
        assert shows(screen, "step 1: working, 3")
        spinner.on_event("step", {"step": 1})
        assert shows(screen, "step 2: working, 0s (run 3")  # 37 s and what the test took
        spinner.on_event("run_end", {})
    assert spinner.status is None


def test_no_spinner_off_a_terminal() -> None:
    screen = io.StringIO()
    with StepSpinner(Console(file=screen, force_terminal=False)) as spinner:
        spinner.on_event("step", {"step": 1})
        time.sleep(0.2)
    assert screen.getvalue() == ""
