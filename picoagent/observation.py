"""What running an action produced, as the model will be shown it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from picoagent.models.base import Usage


@dataclass
class Observation:
    text: str
    is_error: bool = False
    # Set when the action finished the task (final_answer was called).
    final_answer: str | None = None
    # Tool calls made while running the action: one for a JSON action, any number from code.
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    # Files the action produced that the model should know about (images, screenshots).
    files: list[str] = field(default_factory=list)
    # What identifies this result when the loop looks for a repeated action with the same
    # result; the text itself unless the executor knows parts that change on every run.
    repeat_key: str | None = None
    # Tokens of model calls the executor made to run the action (the plan format's caller):
    # the loop counts them in the run's usage and token limit.
    model_usage: Usage | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"text": self.text, "is_error": self.is_error}
        if self.final_answer is not None:
            data["final_answer"] = self.final_answer
        if self.tool_calls:
            data["tool_calls"] = self.tool_calls
        if self.files:
            data["files"] = self.files
        if self.model_usage is not None:
            data["model_usage"] = self.model_usage.to_dict()
        return data
