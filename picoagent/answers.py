"""Reading answers: the normal form two answers are compared in, and the numbers written in one.

Shared by the eval checkers (is this answer right?) and the rules critic (is it grounded?).
"""

from __future__ import annotations

import re

NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")


def normalize(text: str) -> str:
    """Lower case, single spaces, without surrounding quotes, backticks or a final period."""
    text = " ".join(text.strip().split()).lower()
    text = text.strip("`'\"").strip()
    return text[:-1].rstrip() if text.endswith(".") else text


def numbers_in(text: str) -> list[float]:
    """The numbers written in `text`; thousands separators (1,234) are accepted."""
    return [float(match) for match in NUMBER.findall(re.sub(r"(?<=\d),(?=\d{3}\b)", "", text))]
