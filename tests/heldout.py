"""What the eval suites hold that training material must not: their file and folder names, their sentences.

The shipped suites are the test set. Worked examples (memory/examples.yaml) and generated
training tasks (train/factory.py) are checked against them with these helpers.
"""

from __future__ import annotations

import re
from functools import cache

from picoagent.evals.tasks import SUITES_DIR, builtin_suites, resolve_suite

EXTENSIONS = "txt|md|log|csv|tsv|json|db|sh|py|conf|cfg|ini|env|toml|yaml|yml|gz|tgz|tar|zip|png|jpg|sql|html"
FILE_NAME = re.compile(rf"\b[a-z][\w-]*\.(?:{EXTENSIONS})\b")
FOLDER_NAME = re.compile(r"\b[a-z][\w-]{2,}/")
# System paths (/dev/null, /usr/bin/env) are not names a task chose.
ABSOLUTE_PATH = re.compile(r"(?<![\w.~-])/[\w./-]+")
SENTENCE_END = re.compile(r"(?<=[.?!:])\s+|\n+")


def names_in(text: str) -> set[str]:
    """File names (with a known extension) and folder names (ending in /) a text mentions."""
    text = ABSOLUTE_PATH.sub(" ", text)
    return (set(FILE_NAME.findall(text)) | set(FOLDER_NAME.findall(text))) - {"tar.gz"}  # the archive format, not a name


@cache
def suite_text() -> str:
    """Every text file of the shipped suites, concatenated."""
    return "\n".join(path.read_text(errors="ignore") for path in SUITES_DIR.rglob("*") if path.is_file() and path.suffix not in {".pdf", ".png", ".pyc"})


def suite_names_among(names: set[str]) -> list[str]:
    """The names that also occur in the suites (as a whole name, not inside a longer one)."""
    text = suite_text()
    return sorted(name for name in names if re.search(rf"(?<![\w-]){re.escape(name)}", text))


def sentences(text: str) -> set[str]:
    return {" ".join(part.lower().split()) for part in SENTENCE_END.split(text) if len(part.split()) >= 2}


@cache
def suite_sentences() -> frozenset[str]:
    """Every sentence of every shipped task's instruction, lowercased, spaces collapsed."""
    return frozenset(sentence for name in builtin_suites() for task in resolve_suite(name)[1] for sentence in sentences(task.instruction))
