"""Find the code block in a model's reply, whatever state its fences are in."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

# A fence line: ``` (or more backticks) and an optional language tag, at the start of a line.
FENCE = re.compile(r"^[ \t]*`{3,}[ \t]*([\w+.-]*)[^\n`]*$", re.MULTILINE)
PYTHON_TAGS = {"", "python", "python3", "py", "ipython", "pycon"}
SHELL_TAGS = {"bash", "sh", "shell", "console", "zsh"}


@dataclass
class CodeBlock:
    language: str
    code: str
    # Where the opening fence starts: the text before it is the model's reasoning.
    start: int


def fenced_blocks(text: str) -> list[CodeBlock]:
    """Every fenced block in order. A block left open ends where the next tagged fence or the text ends.

    A bare ``` closes the open block; a tagged one (```python) closes it and opens a new
    one, because a model that forgot to close a block and started another meant two blocks.
    """
    blocks: list[CodeBlock] = []
    open_block: tuple[str, int, int] | None = None  # language, fence start, code start
    for fence in FENCE.finditer(text):
        language = fence.group(1).lower()
        if open_block is not None:
            blocks.append(CodeBlock(open_block[0], text[open_block[2] : fence.start()], open_block[1]))
            open_block = None
            if not language:
                continue
        open_block = (language, fence.start(), min(fence.end() + 1, len(text)))
    if open_block is not None:
        blocks.append(CodeBlock(open_block[0], text[open_block[2] :], open_block[1]))
    return blocks


# Unfenced code longer than this is not taken as Python: parsing untrusted text costs memory.
UNFENCED_MAX_CHARS = 20_000


def looks_like_python(text: str) -> bool:
    """Unfenced text that is Python with an effect (a call, an assignment, an import), not prose."""
    if len(text) > UNFENCED_MAX_CHARS:
        return False
    try:
        tree = ast.parse(text)
    # Null bytes raise ValueError; deep nesting raises RecursionError or MemoryError.
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    effects = (ast.Call, ast.Assign, ast.AugAssign, ast.Import, ast.ImportFrom, ast.For, ast.With, ast.FunctionDef)
    return any(isinstance(node, effects) for node in ast.walk(tree))
