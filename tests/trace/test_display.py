"""How a recorded step is shown, live and in `runs show`."""

from __future__ import annotations

from rich.console import Console

from picoagent.trace.display import EventPrinter


def test_a_step_cut_off_at_the_deadline_is_shown_as_such_not_as_an_invalid_action() -> None:
    console = Console(record=True, width=120)
    step = {
        "step": 3, "raw": '{"thought": "write the sto', "usage": {}, "timings": {"total_s": 1.2},
        "cut_off": True, "error": "the time limit came during the model call; no action was run",
    }
    EventPrinter(console)("step", step)
    text = console.export_text()
    assert "model output, cut off" in text and "write the sto" in text
    assert "no action was run" in text and "invalid action" not in text
