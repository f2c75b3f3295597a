"""Worked examples: solved tasks shown to the model before its own, chosen per task.

Tiny models copy their prompt. Shown a tool signature they write `{"command": "str"}`;
shown a solved task that resembles theirs, they write its command with their own file
names. So a run starts with the `k` examples whose tasks share the most rare words with
its own, as real turns (task, action, observation, ..., final answer) written in the
run's action format, best match last, right before the real task.

Examples are format-neutral tool calls; each ActionFormat renders a call the way the
model should write it (`render_call`). The default library is `examples.yaml`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from picoagent.actions.base import ActionFormat, ToolCall
from picoagent.errors import ConfigError
from picoagent.models.base import Message
from picoagent.observation import Observation

DEFAULT_LIBRARY = Path(__file__).with_name("examples.yaml")
WORD = re.compile(r"[a-z0-9]+")
# Words that say nothing about what a task needs; they never make an example match.
STOPWORDS = frozenset(
    "a an the is are was were be been of in on at to and or what which who does do did it its this that these those "
    "for by as with from into than then there their answer only please me my you your".split()
)
# BM25's usual constants: term-frequency saturation and length normalization.
BM25_K1 = 1.2
BM25_B = 0.75


class ExampleStep(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    thought: str = Field(min_length=1)
    tool: str
    args: dict[str, Any]
    # What the tool returned; the final step (the answer) has none.
    observation: str | None = None

    def call(self) -> ToolCall:
        return ToolCall(thought=self.thought, tool=self.tool, args=dict(self.args))


class Example(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    task: str = Field(min_length=1)
    steps: tuple[ExampleStep, ...] = Field(min_length=1)

    @property
    def tools(self) -> set[str]:
        return {step.tool for step in self.steps}


@cache
def default_library() -> ExampleLibrary:
    """The shipped library, read once per process."""
    return ExampleLibrary.load(DEFAULT_LIBRARY)


def _words(text: str) -> list[str]:
    return [word for word in WORD.findall(text.lower()) if word not in STOPWORDS]


@dataclass
class ExampleLibrary:
    examples: list[Example]

    @classmethod
    def load(cls, path: Path = DEFAULT_LIBRARY) -> ExampleLibrary:
        try:
            items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
            return cls([Example.model_validate(item) for item in items])
        except (OSError, yaml.YAMLError, ValidationError, TypeError) as exc:
            raise ConfigError(f"cannot load worked examples from {path}: {exc}") from None

    def select(self, task: str, k: int, *, tools: Collection[str], own_tools: Collection[str] = ()) -> list[Example]:
        """The k examples most like `task` (BM25 over their task texts), best match last.

        Only examples whose every tool is available are eligible; an example that shares no
        word with the task is never shown. A task that brings `own_tools` gets only examples
        that use one of them: the built-ins are always there, and a shell example would show
        the model a way around the tools meant for the task (it ran `python3 -c 'print(103.0)'`
        from one and answered 103.0).
        """
        if k <= 0:
            return []
        available, own = set(tools), set(own_tools)
        eligible = [example for example in self.examples if example.tools <= available and (not own or example.tools & own)]
        documents = [_words(example.task) for example in eligible]
        if not documents:
            return []
        frequency = Counter(word for document in documents for word in set(document))
        mean_length = sum(map(len, documents)) / len(documents)
        task_words = set(_words(task))

        def score(document: list[str]) -> float:
            counts = Counter(document)
            total = 0.0
            for word in task_words:
                if word not in counts:
                    continue
                idf = math.log(1 + (len(documents) - frequency[word] + 0.5) / (frequency[word] + 0.5))
                tf = counts[word]
                total += idf * tf * (BM25_K1 + 1) / (tf + BM25_K1 * (1 - BM25_B + BM25_B * len(document) / mean_length))
            return total

        scored = [(score(document), index) for index, document in enumerate(documents)]
        best = sorted((item for item in scored if item[0] > 0), key=lambda item: (-item[0], item[1]))[:k]
        return [eligible[index] for _, index in reversed(best)]


def demonstration(examples: Iterable[Example], action_format: ActionFormat) -> list[Message]:
    """The examples as conversation turns, each action written in the run's format."""
    messages: list[Message] = []
    for example in examples:
        messages.append({"role": "user", "content": example.task})
        for step in example.steps:
            messages.append({"role": "assistant", "content": action_format.render_call(step.call())})
            if step.observation is not None:
                messages.append({"role": "user", "content": action_format.render_observation(Observation(text=step.observation))})
    return messages
