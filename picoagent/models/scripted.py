"""A model that replays canned outputs: deterministic engine tests and demos."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from picoagent.deadline import Deadline
from picoagent.errors import ConfigError, ModelError
from picoagent.models.base import (
    DEADLINE_REACHED,
    Completion,
    Constraint,
    Message,
    TextSink,
    Timings,
    Usage,
)


class ScriptedModel:
    """Returns the given outputs in order, one per call; running out is a ModelError.

    Token counts are word counts, so that limits and usage behave plausibly in tests.
    Every call's messages and constraint are kept in `calls` and `constraints` for assertions.
    `delay_s` stands in for generation time; like a real backend, a call stops at its
    deadline, with no text and finish_reason DEADLINE_REACHED.
    """

    def __init__(self, outputs: list[str], name: str = "scripted", *, delay_s: float = 0.0):
        self.outputs = list(outputs)
        self.name = name
        self.delay_s = delay_s
        self.calls: list[list[Message]] = []
        self.constraints: list[Constraint | None] = []

    @classmethod
    def from_file(cls, path: str | Path) -> ScriptedModel:
        """Load a JSON list of outputs (strings, or objects with a "text" key)."""
        file = Path(path)
        if not file.is_file():
            raise ConfigError(f"scripted model file not found: {file}")
        try:
            items = json.loads(file.read_text())
        except json.JSONDecodeError as exc:
            raise ConfigError(f"scripted model file {file} is not valid JSON: {exc}") from None
        if not isinstance(items, list):
            raise ConfigError(f"scripted model file {file} must hold a JSON list of outputs")
        outputs = [item["text"] if isinstance(item, dict) else item for item in items]
        if not all(isinstance(text, str) for text in outputs):
            raise ConfigError(f"scripted model file {file}: every output must be a string")
        return cls(outputs, name=f"scripted:{file.name}")

    def complete(
        self,
        messages: list[Message],
        *,
        constraint: Constraint | None = None,
        stop: list[str] | None = None,
        max_tokens: int = 512,
        deadline: Deadline | None = None,
        on_text: TextSink | None = None,
    ) -> Completion:
        started = time.perf_counter()
        self.calls.append(list(messages))
        self.constraints.append(constraint)
        index = len(self.calls) - 1
        if index >= len(self.outputs):
            raise ModelError(f"scripted model ran out of outputs after {len(self.outputs)} calls")
        prompt_words = sum(len(m["content"].split()) for m in messages)
        if (deadline or Deadline()).sleep(self.delay_s):
            usage = Usage(prompt_tokens=prompt_words)
            return Completion(text="", usage=usage, timings=Timings(total_s=time.perf_counter() - started), finish_reason=DEADLINE_REACHED)
        text = self.outputs[index]
        if on_text is not None:  # word by word, as a backend streams tokens
            for piece in re.findall(r"\s*\S+|\s+", text):
                on_text(piece)
        usage = Usage(prompt_tokens=prompt_words, completion_tokens=len(text.split()))
        return Completion(text=text, usage=usage, timings=Timings(total_s=time.perf_counter() - started), finish_reason="stop")
