"""Prune Playwright's AI aria snapshot to what a small model needs, and split it into parts.

The raw snapshot (`page.aria_snapshot(mode="ai")`) gives every node a ref and wraps
content in layers of nameless `generic` containers. Refs matter only where the model can
act, so they are kept on interactive elements (and anything with a pointer cursor, which
is how clickable divs show up) and dropped elsewhere; wrappers that carry no name, text
or ref are removed and their children moved up a level; a label's text next to the
field it names is said once. See docs/web.md for the sizes this gives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

INTERACTIVE_ROLES = frozenset(
    {
        "link", "button", "textbox", "searchbox", "combobox", "listbox", "option", "checkbox", "radio",
        "switch", "slider", "spinbutton", "tab", "menuitem", "menuitemcheckbox", "menuitemradio", "treeitem",
    }
)
# Containers that say nothing by themselves; without a name or text they are unwrapped.
WRAPPER_ROLES = frozenset({"generic", "group", "rowgroup", "none", "presentation", "paragraph"})
# Attributes that cost tokens and tell the model nothing it can use.
NOISE_ATTRIBUTES = ("[active]", "[cursor=pointer]")
# `[box=x,y,width,height]`, viewport-relative, present when the snapshot was taken with boxes=True.
_BOX = re.compile(r" \[box=(-?\d+),(-?\d+),(\d+),(\d+)\]")

# `- role "name" [attr] [ref=e5]: inline text` (name, attributes and text optional).
_NODE = re.compile(r'^- (?P<role>[a-z]+)(?: (?P<name>".*?(?<!\\)"))?(?P<attrs>(?: \[[^\]]*\])*)(?P<rest>:.*)?$')
# Refs look like e12, or f1e12 for elements of a later document or a frame.
_REF = re.compile(r" \[ref=([a-z0-9]+)\]")
_TEXT_LINE = re.compile(r"^( *)- text: (.*)$")
_NAMED_LINE = re.compile(r'^( *)- [a-z]+ "(.*?)(?<!\\)"')


@dataclass
class Pruned:
    text: str
    # Index of the first line whose element starts inside the viewport (None if unknown):
    # after a scroll, the part holding it is the part the model should see.
    first_visible_line: int | None = None


@dataclass
class _Ancestor:
    indent: int
    dropped: bool


def _prune_line(content: str) -> str | None:
    """The pruned text of one snapshot line, or None to unwrap it."""
    node = _NODE.match(content)
    if node is None:  # `- text: ...`, `- /url: ...` and other properties stay as they are
        return content
    role, name, attrs, rest = node.group("role"), node.group("name"), node.group("attrs") or "", node.group("rest") or ""
    actionable = role in INTERACTIVE_ROLES or "[cursor=pointer]" in attrs
    attrs = _BOX.sub("", attrs)
    for noise in NOISE_ATTRIBUTES:
        attrs = attrs.replace(" " + noise, "")
    if not actionable:
        attrs = _REF.sub("", attrs)
    inline_text = rest[1:].strip()
    if role in WRAPPER_ROLES and not name and not actionable:
        if not inline_text:
            return None
        return f"- text: {inline_text}"
    return f"- {role}{' ' + name if name else ''}{attrs}{rest}"


def _starts_in_view(line: str, viewport_height: int) -> bool:
    box = _BOX.search(line)
    return box is not None and 0 <= int(box.group(2)) < viewport_height


def prune_snapshot(raw: str, viewport_height: int = 0) -> Pruned:
    """The snapshot with refs only on actionable elements and empty wrappers unwrapped."""
    ancestors: list[_Ancestor] = []
    out: list[str] = []
    first_visible: int | None = None
    for line in raw.splitlines():
        stripped = line.lstrip(" ")
        if not stripped:
            continue
        indent = len(line) - len(stripped)
        while ancestors and ancestors[-1].indent >= indent:
            ancestors.pop()
        depth = sum(1 for ancestor in ancestors if not ancestor.dropped)
        text = _prune_line(stripped) if stripped.startswith("- ") else stripped
        ancestors.append(_Ancestor(indent, dropped=text is None))
        if text is not None:
            out.append("  " * depth + text)
            if first_visible is None and _starts_in_view(stripped, viewport_height):
                first_visible = len(out) - 1
    echoes = _label_echoes(out)
    lines = [line for index, line in enumerate(out) if index not in echoes]
    if first_visible is not None:
        first_visible = None if first_visible in echoes else first_visible - sum(1 for index in echoes if index < first_visible)
    return Pruned("\n".join(lines), first_visible)


def _label_echoes(lines: list[str]) -> set[int]:
    """Indices of lines like `- text: Email` beside `- textbox "Email"` at the same depth: the name already says it."""
    names = [_NAMED_LINE.match(line) for line in lines]
    echoes = set()
    for index, line in enumerate(lines):
        text = _TEXT_LINE.match(line)
        if text:
            neighbours = [names[i] for i in (index - 1, index + 1) if 0 <= i < len(lines) and names[i]]
            if any(n.group(1) == text.group(1) and n.group(2) == text.group(2).strip() for n in neighbours):
                echoes.add(index)
    return echoes


def part_holding_line(parts: list[str], line_index: int) -> int:
    """The 1-based number of the part that holds line `line_index` of the text split_parts split."""
    for number, part in enumerate(parts, start=1):
        line_index -= part.count("\n") + 1
        if line_index < 0:
            return number
    return len(parts)


def split_parts(text: str, part_chars: int) -> list[str]:
    """Whole lines, about `part_chars` per part; a line longer than a part is shortened."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.splitlines():
        line = line if len(line) <= part_chars else line[: part_chars - 3] + "..."
        if current and size + len(line) + 1 > part_chars:
            parts.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        parts.append("\n".join(current))
    return parts or ["(the page is empty)"]
