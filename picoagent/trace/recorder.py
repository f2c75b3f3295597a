"""A run is a JSONL event log, one line per event, flushed as it happens.

A crash or SIGKILL loses at most the step in flight: each line is written and flushed
to the OS before the next model call starts.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from picoagent.safetext import clean_text

TRACE_NAME = "trace.jsonl"


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


class Recorder:
    def __init__(self, runs_dir: Path, run_id: str | None = None):
        self.run_id = run_id or new_run_id()
        self.run_dir = Path(runs_dir) / self.run_id
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.run_dir / TRACE_NAME
        self._file: TextIO | None = self.path.open("a", encoding="utf-8")
        # Whether the run itself began: `runs list` shows a run from its run_start event on.
        self.started = False
        # Called with each event once it is written (OpenTelemetry spans, picoagent/trace/otel.py).
        self.listeners: list[Callable[[dict[str, Any]], None]] = []

    def event(self, kind: str, **data: Any) -> None:
        if self._file is None:
            return
        self.started = self.started or kind == "run_start"
        event = {"type": kind, "time": time.time(), **data}
        self._file.write(_json_line(event) + "\n")
        self._file.flush()
        for listener in self.listeners:
            try:
                listener(event)
            except Exception:  # telemetry that fails must not end the run it observes
                pass

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def discard(self) -> None:
        """Remove the run's directory, for a run that never started; files anyone else put there stay."""
        self.close()
        self.path.unlink(missing_ok=True)
        for leftover in (self.run_dir / "workspace", self.run_dir):
            try:
                leftover.rmdir()
            except OSError:  # not empty, or not there
                pass


def _json_line(event: dict[str, Any]) -> str:
    """The event as one line of valid UTF-8 JSON, whatever a model or a tool put in it."""
    try:
        line = json.dumps(event, ensure_ascii=False, default=str)
    except (ValueError, RecursionError) as exc:  # an int too long to print, a structure too deep
        line = json.dumps({"type": event["type"], "time": event["time"], "unrecordable": f"{type(exc).__name__}: {exc}"})
    # Lone surrogates pass through json.dumps with ensure_ascii=False but cannot be written as UTF-8.
    return clean_text(line)


def read_events(path: Path) -> list[dict[str, Any]]:
    """Every complete event in a trace; a torn last line (killed mid-write) is skipped."""
    events = []
    with Path(path).open(encoding="utf-8") as file:
        for line in file:
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return events


def first_event(path: Path, kind: str) -> dict[str, Any] | None:
    """The first event of type `kind` in a trace, reading no further than it; None if none."""
    try:
        with Path(path).open(encoding="utf-8") as file:
            for line in file:
                try:
                    event = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if event.get("type") == kind:
                    return event
    except OSError:
        return None
    return None


def find_trace(runs_dir: Path, run_id: str) -> Path | None:
    """The trace of a run by id or unique id prefix."""
    exact = Path(runs_dir) / run_id / TRACE_NAME
    if exact.is_file():
        return exact
    matches = matching_traces(runs_dir, run_id)
    return matches[0] if len(matches) == 1 else None


def matching_traces(runs_dir: Path, prefix: str) -> list[Path]:
    """The traces of every run whose id starts with `prefix`, sorted by id."""
    if not prefix or not Path(runs_dir).is_dir():
        return []
    return sorted(p / TRACE_NAME for p in Path(runs_dir).iterdir() if p.name.startswith(prefix) and (p / TRACE_NAME).is_file())
def summarize_run(run_dir: Path) -> dict[str, Any] | None:
    """One run's id, start time, task, model, status and steps, from its trace; None without one."""
    trace = Path(run_dir) / TRACE_NAME
    if not trace.is_file():
        return None
    events = read_events(trace)
    start = next((e for e in events if e["type"] == "run_start"), {})
    end = next((e for e in events if e["type"] == "run_end"), None)
    return {
        "id": Path(run_dir).name,
        "started": start.get("time"),
        "task": start.get("task", ""),
        "model": start.get("model", ""),
        "status": end["result"]["status"] if end else "incomplete",
        "steps": sum(1 for e in events if e["type"] == "step"),
    }


def list_runs(runs_dir: Path) -> list[dict[str, Any]]:
    """A summary of every recorded run, newest first."""
    if not Path(runs_dir).is_dir():
        return []
    run_dirs = sorted(Path(runs_dir).iterdir(), key=os.path.getmtime, reverse=True)
    return [summary for run_dir in run_dirs if (summary := summarize_run(run_dir)) is not None]
