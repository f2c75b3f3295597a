"""A run is a JSONL event log, one line per event, flushed as it happens.

A crash or SIGKILL loses at most the step in flight: each line is written and flushed
to the OS before the next model call starts.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path
from typing import Any, TextIO

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

    def event(self, kind: str, **data: Any) -> None:
        if self._file is None:
            return
        line = json.dumps({"type": kind, "time": time.time(), **data}, ensure_ascii=False, default=str)
        self._file.write(line + "\n")
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


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


def find_trace(runs_dir: Path, run_id: str) -> Path | None:
    """The trace of a run by id or unique id prefix."""
    exact = Path(runs_dir) / run_id / TRACE_NAME
    if exact.is_file():
        return exact
    if not Path(runs_dir).is_dir():
        return None
    matches = [p / TRACE_NAME for p in Path(runs_dir).iterdir() if p.name.startswith(run_id) and (p / TRACE_NAME).is_file()]
    return matches[0] if len(matches) == 1 else None


def list_runs(runs_dir: Path) -> list[dict[str, Any]]:
    """A summary of every recorded run, newest first."""
    runs = []
    if not Path(runs_dir).is_dir():
        return runs
    for run_dir in sorted(Path(runs_dir).iterdir(), key=os.path.getmtime, reverse=True):
        trace = run_dir / TRACE_NAME
        if not trace.is_file():
            continue
        events = read_events(trace)
        start = next((e for e in events if e["type"] == "run_start"), {})
        end = next((e for e in events if e["type"] == "run_end"), None)
        runs.append(
            {
                "id": run_dir.name,
                "started": start.get("time"),
                "task": start.get("task", ""),
                "model": start.get("model", ""),
                "status": end["result"]["status"] if end else "incomplete",
                "steps": sum(1 for e in events if e["type"] == "step"),
            }
        )
    return runs
