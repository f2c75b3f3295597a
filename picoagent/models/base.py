"""The Model contract: messages in, text out, with usage and timings on every call."""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Callable
from typing import Any, Literal, Protocol, TypedDict, runtime_checkable

from picoagent.deadline import Deadline
from picoagent.errors import ModelError

Role = Literal["system", "user", "assistant"]

# The finish_reason of a call that the deadline cut short: its text is what came before.
DEADLINE_REACHED = "deadline"


class Message(TypedDict):
    role: Role
    content: str


class ContextOverflowError(ModelError):
    """The prompt plus the requested completion does not fit the model's context."""


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # Prompt tokens the backend actually had to evaluate: lower than
    # prompt_tokens when a prefix cache was reused. None when the backend can't tell.
    prompt_tokens_evaluated: int | None = None

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        if other.prompt_tokens_evaluated is not None:
            self.prompt_tokens_evaluated = (self.prompt_tokens_evaluated or 0) + other.prompt_tokens_evaluated

    def to_dict(self) -> dict[str, int | None]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "prompt_tokens_evaluated": self.prompt_tokens_evaluated,
        }


@dataclass
class Timings:
    total_s: float = 0.0
    prompt_s: float | None = None
    generation_s: float | None = None
    # Time spent waiting for a model shared with other runs before this call could begin; not in total_s.
    wait_s: float = 0.0

    def to_dict(self) -> dict[str, float | None]:
        return {"total_s": self.total_s, "prompt_s": self.prompt_s, "generation_s": self.generation_s, "wait_s": self.wait_s}


@dataclass
class Completion:
    text: str
    usage: Usage = field(default_factory=Usage)
    timings: Timings = field(default_factory=Timings)
    # Why generation stopped ("stop", "length", ...) when the backend says.
    finish_reason: str | None = None


@dataclass(frozen=True)
class Constraint:
    """What the output must look like, for backends that can enforce it while generating.

    `schema` is a JSON Schema (llama.cpp grammar or `response_format`); `grammar` is a GBNF
    grammar for structures JSON Schema can't express (a fenced code block). A backend that
    can enforce neither ignores them and the caller validates and repairs.
    """

    schema: dict[str, Any] | None = None
    grammar: str | None = None
    # Strings that end the reply (left out of its text), for a backend that cannot take the
    # grammar: generation then still stops where the grammar would have ended it.
    stop: tuple[str, ...] = ()


# Receives each piece of a reply's text as it is generated (`on_text`).
TextSink = Callable[[str], None]


@runtime_checkable
class Model(Protocol):
    """`complete` returns by `deadline` (None: no deadline), with finish_reason DEADLINE_REACHED
    if it had to stop there: a backend checks it between tokens, or makes it the request timeout.

    A backend that can stream also takes `on_text` and calls it with each piece of text as it
    is generated (the embedded model, the OpenAI API, the scripted model); the completion's
    text is the same either way. Callers pass it only when they listen (picoagent chat)."""

    name: str

    def complete(
        self,
        messages: list[Message],
        *,
        constraint: Constraint | None = None,
        stop: list[str] | None = None,
        max_tokens: int = 512,
        deadline: Deadline | None = None,
    ) -> Completion: ...
