"""Helpers for the eval tests: a model that answers each task from its own script."""

from __future__ import annotations

from pathlib import Path

import yaml

from picoagent.deadline import Deadline
from picoagent.models.base import DEADLINE_REACHED, Completion, Timings, Usage


class PerTaskModel:
    """Scripted outputs chosen by a marker in the task's instruction, so workers can share it.

    The step is the number of assistant turns already in the conversation, so the model keeps
    no state between calls and concurrent tasks cannot consume each other's outputs.
    `delay_s` stands in for generation time; like a real backend, a call stops at its deadline.
    """

    name = "per-task"

    def __init__(self, scripts: dict[str, list[str]], delay_s: float = 0.0):
        self.scripts = scripts
        self.delay_s = delay_s
        self.active = 0
        self.max_active = 0

    def complete(self, messages, *, constraint=None, stop=None, max_tokens=512, deadline=None) -> Completion:
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            if (deadline or Deadline()).sleep(self.delay_s):
                return Completion(text="", finish_reason=DEADLINE_REACHED)
            task = messages[1]["content"]
            marker = next(m for m in self.scripts if m in task)
            step = sum(1 for m in messages if m["role"] == "assistant")
            text = self.scripts[marker][min(step, len(self.scripts[marker]) - 1)]
            return Completion(text=text, usage=Usage(prompt_tokens=100, completion_tokens=10), timings=Timings(total_s=self.delay_s))
        finally:
            self.active -= 1


def write_suite(directory: Path, tasks: list[dict]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "tasks.yaml").write_text(yaml.safe_dump(tasks, sort_keys=False))
    return directory
