"""Lessons from failed attempts (Reflexion), kept per task in an eval's results directory.

After a failed run the model writes a short lesson (picoagent/agent/reflect.py); the next
run of the same task is shown it after the task text. Memory across different tasks is
another part's job: this store only answers "what went wrong on this task before?".
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path

LESSONS_FILE = "lessons.jsonl"
# The most recent lessons shown with a task: the prompt stays short for a small model.
SHOWN_LESSONS = 3
LESSONS_HEADER = "Lessons from your earlier attempts at this task:"


def with_lessons(task: str, lessons: Sequence[str]) -> str:
    """The task as the model sees it: its text, then the lessons, if any."""
    if not lessons:
        return task
    return f"{task}\n\n{LESSONS_HEADER}\n" + "\n".join(f"- {lesson}" for lesson in lessons)


class LessonStore:
    """One JSON line per lesson: {"task", "run", "lesson"}. Appends are flushed and locked, so
    eval workers share one store and a resumed eval finds every lesson written before."""

    def __init__(self, directory: Path):
        self.path = Path(directory) / LESSONS_FILE
        self._lock = threading.Lock()

    def add(self, task: str, run: int, lesson: str) -> None:
        line = json.dumps({"task": task, "run": run, "lesson": lesson}, ensure_ascii=False)
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")

    def for_task(self, task: str, before_run: int) -> list[str]:
        """The latest lessons written for `task` by runs before `before_run`, oldest first."""
        if not self.path.is_file():
            return []
        lessons: list[tuple[int, str]] = []
        with self._lock:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        for line in lines:
            try:
                item = json.loads(line)
            except json.JSONDecodeError:  # a line cut by a kill: lose that lesson, not the store
                continue
            if isinstance(item, dict) and item.get("task") == task and isinstance(item.get("run"), int) and item["run"] < before_run:
                lessons.append((item["run"], str(item.get("lesson", ""))))
        return [lesson for _, lesson in sorted(lessons)[-SHOWN_LESSONS:] if lesson]
