"""Find the JSON object in a model's output, tolerating fences and prose around it."""

from __future__ import annotations

import json
from typing import Any


def first_json_object(text: str) -> dict[str, Any]:
    """The first decodable JSON object in `text`; ValueError if there is none.

    Models wrap JSON in ```json fences, prefix it with prose or trail it with comments;
    raw_decode from each '{' finds the object without guessing at the wrapping.
    """
    decoder = json.JSONDecoder()
    stripped = text.strip()
    start = stripped.find("{")
    last_error = "no JSON object found"
    while start != -1:
        try:
            value, _ = decoder.raw_decode(stripped, start)
        except json.JSONDecodeError as exc:
            last_error = f"invalid JSON ({exc.msg} at character {exc.pos})"
        else:
            if isinstance(value, dict):
                return value
        start = stripped.find("{", start + 1)
    raise ValueError(last_error)
