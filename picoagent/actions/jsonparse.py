"""Find the JSON object in a model's output, tolerating fences and prose around it.

A model's reply is untrusted input: it can hold 262,144 `{` in a row or a brace that never
closes. One pass pairs the braces, and only balanced `{...}` spans nested at most
MAX_DEPTH deep are decoded, so the work is linear in the reply's length and the decoder
never recurses deeply.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from picoagent.safetext import clean_text

# Deeper than any tool's arguments need; deeper objects are refused without decoding.
MAX_DEPTH = 32

_CLOSERS = {"}": "{", "]": "["}
# The only characters the pairing looks at; everything between them is skipped in C.
_SPECIAL = re.compile(r'[{}\[\]"\\]')


def _balanced_objects(text: str) -> list[tuple[int, int]]:
    """(start, end) of every balanced `{...}` at most MAX_DEPTH deep, ordered by start.

    Quotes and escapes count only inside brackets, as JSON strings; outside they are prose.
    Each character lies in at most MAX_DEPTH spans that are kept, so decoding them all is linear.
    """
    spans: list[tuple[int, int]] = []
    # The open brackets: parallel lists of plain values, since a container per bracket
    # would make the garbage collector rescan 262,144 of them again and again.
    openers: list[str] = []
    starts: list[int] = []
    depths: list[int] = []  # the deepest nesting below each open bracket so far
    in_string = False
    escaped_until = 0  # the character after a backslash in a string is not special
    for match in _SPECIAL.finditer(text):
        index, char = match.start(), match.group()
        if index < escaped_until:
            continue
        if in_string:
            if char == "\\":
                escaped_until = index + 2
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = bool(openers)
        elif char in "{[":
            openers.append(char)
            starts.append(index)
            depths.append(0)
        elif char in _CLOSERS and openers:
            opener, start, depth = openers.pop(), starts.pop(), depths.pop()
            if depths and depths[-1] <= depth:
                depths[-1] = depth + 1
            if opener == _CLOSERS[char] == "{" and depth < MAX_DEPTH:
                spans.append((start, index + 1))
    spans.sort()
    return spans


def json_objects(text: str) -> Iterator[dict[str, Any]]:
    """Every top-level JSON object decodable in `text`, in order.

    Models wrap JSON in ```json fences, prefix it with prose or trail it with comments; an
    object that does not decode is skipped and the objects inside it are tried instead.
    Raises ValueError describing the last failure if nothing decodes.
    """
    spans = _balanced_objects(text)
    last_error = "no JSON object found"
    if "{" in text and not spans:
        last_error = f"invalid JSON (an object that never closes, or nests deeper than {MAX_DEPTH} levels)"
    found = False
    decoded_until = 0
    for start, end in spans:
        if start < decoded_until:  # inside an object already returned
            continue
        try:
            value = json.loads(text[start:end])
        except json.JSONDecodeError as exc:
            last_error = f"invalid JSON ({exc.msg} at character {start + exc.pos})"
            continue
        except ValueError as exc:  # e.g. a number past the int conversion limit
            last_error = f"invalid JSON ({exc})"
            continue
        if isinstance(value, dict):
            found = True
            decoded_until = end
            yield _clean(value)
    if not found:
        raise ValueError(last_error)


def _clean(value: Any) -> Any:
    """`value` with lone surrogates from `\\ud800` escapes replaced, in keys and strings at any depth."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return {clean_text(key): _clean(item) for key, item in value.items()}
    return value


def first_json_object(text: str, preferred_keys: tuple[str, ...] = ()) -> dict[str, Any]:
    """The first object with one of `preferred_keys`, else the first object at all."""
    objects = list(json_objects(text))
    return next((obj for obj in objects if any(key in obj for key in preferred_keys)), objects[0])
