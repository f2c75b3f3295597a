"""Text that can always be encoded: what a model or a user hands us is not always valid Unicode.

A JSON `\\ud800` escape in a server's reply, or a task given as non-UTF-8 bytes (Python
decodes argv with surrogateescape), leaves lone surrogates in a str. Such a str cannot be
written as UTF-8, tokenized or sent to a kernel, so it is cleaned where it enters.
"""

from __future__ import annotations


def clean_text(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD; a valid surrogate pair becomes its character."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
