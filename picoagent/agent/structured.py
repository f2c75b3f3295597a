"""One schema-checked reply from a model: constrained where the backend can, repaired where not."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from picoagent.actions.jsonparse import first_json_object
from picoagent.deadline import Deadline
from picoagent.errors import ModelError
from picoagent.models.base import DEADLINE_REACHED, Constraint, Message, Model, Usage
from picoagent.safetext import clean_text

Shape = TypeVar("Shape", bound=BaseModel)

# Replies that fail validation before giving up: the first try and two repairs.
ATTEMPTS = 3


@dataclass
class Reply(Generic[Shape]):
    """The validated object, or None with the reason; usage covers every attempt."""

    value: Shape | None
    usage: Usage = field(default_factory=Usage)
    raw: list[str] = field(default_factory=list)
    error: str | None = None


def structured_reply(
    model: Model, messages: list[Message], shape: type[Shape], *, max_tokens: int, deadline: Deadline | None = None
) -> Reply[Shape]:
    """Ask `model` for one JSON object of `shape`. The schema goes to the backend as the
    constraint (a grammar locally, response_format or a grammar over the API); a backend that
    enforces neither gets the validation error back and may repair it, ATTEMPTS times in all.
    Never raises for what the model or its server did: that is the Reply's error."""
    reply: Reply[Shape] = Reply(value=None)
    constraint = Constraint(schema=shape.model_json_schema())
    conversation = list(messages)
    for _ in range(ATTEMPTS):
        try:
            completion = model.complete(conversation, constraint=constraint, max_tokens=max_tokens, deadline=deadline)
        except ModelError as exc:
            reply.error = str(exc)
            return reply
        reply.usage.add(completion.usage)
        text = clean_text(completion.text)
        reply.raw.append(text)
        if completion.finish_reason == DEADLINE_REACHED:
            reply.error = "the time limit came during the model call"
            return reply
        try:
            reply.value = shape.model_validate(first_json_object(text))
            reply.error = None
            return reply
        except (ValueError, ValidationError) as exc:  # ValidationError is a ValueError; named for the reader
            problem = str(exc).splitlines()[0][:200]
            reply.error = f"no valid reply after {ATTEMPTS} attempts; last: {problem}"
            conversation += [
                {"role": "assistant", "content": text},
                {"role": "user", "content": f"That is not valid: {problem}. Reply with only a JSON object like {_example(shape)}."},
            ]
    return reply


def _example(shape: type[BaseModel]) -> str:
    """The shape's fields as a one-line hint, e.g. {"accept": ..., "critique": ...}."""
    return "{" + ", ".join(f'"{name}": ...' for name in shape.model_fields) + "}"
