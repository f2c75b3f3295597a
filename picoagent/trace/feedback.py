"""A person's rating of a run (👍/👎 and a note), kept beside its trace in feedback.jsonl.

Apart from the trace, so the trace stays exactly what the run wrote; one line per rating,
appended, the latest wins (a rating can be changed), the earlier ones stay as history.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Literal

FEEDBACK_NAME = "feedback.jsonl"
Rating = Literal["up", "down"]


def add_feedback(run_dir: Path, rating: Rating, note: str = "") -> dict[str, Any]:
    entry = {"rating": rating, "note": note, "time": time.time()}
    with (Path(run_dir) / FEEDBACK_NAME).open("a", encoding="utf-8") as file:
        file.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return entry


def read_feedback(run_dir: Path) -> dict[str, Any] | None:
    """The run's latest rating, or None; a torn line (killed mid-write) is skipped."""
    path = Path(run_dir) / FEEDBACK_NAME
    if not path.is_file():
        return None
    latest = None
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(entry, dict) and entry.get("rating") in ("up", "down"):
            latest = entry
    return latest
