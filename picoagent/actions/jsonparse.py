"""Find the JSON object in a model's output, tolerating fences and prose around it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any


def json_objects(text: str) -> Iterator[dict[str, Any]]:
    """Every top-level JSON object decodable in `text`, in order.

    Models wrap JSON in ```json fences, prefix it with prose or trail it with comments;
    raw_decode from each '{' finds the objects without guessing at the wrapping.
    Raises ValueError describing the last failure if nothing decodes.
    """
    decoder = json.JSONDecoder()
    start = text.find("{")
    last_error = "no JSON object found"
    found = False
    while start != -1:
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError as exc:
            last_error = f"invalid JSON ({exc.msg} at character {exc.pos})"
            start = text.find("{", start + 1)
            continue
        if isinstance(value, dict):
            found = True
            yield value
        start = text.find("{", end)
    if not found:
        raise ValueError(last_error)


def first_json_object(text: str, preferred_keys: tuple[str, ...] = ()) -> dict[str, Any]:
    """The first object with one of `preferred_keys`, else the first object at all."""
    objects = list(json_objects(text))
    return next((obj for obj in objects if any(key in obj for key in preferred_keys)), objects[0])
