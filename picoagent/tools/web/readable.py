"""HTML to readable markdown: main content only, links as numbered references, split into chunks.

Inline `[text](https://...)` links cost many tokens and break up sentences for a small
model; `text [3]` with a list of addresses under the chunk reads better, and the model
can still follow a link by its number's address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import trafilatura
from trafilatura.settings import use_config

# `![alt](src)` or `[text](href "title")` as trafilatura writes them.
_MARKDOWN_LINK = re.compile(r'(!?)\[([^\]]*)\]\(\s*([^)\s]+)(?:\s+"[^"]*")?\s*\)')

_EXTRACT_CONFIG = use_config()
# The default (250 characters) sends short pages, such as a form or a result, to a
# fallback that loses the markdown structure; short pages are real pages too.
_EXTRACT_CONFIG.set("DEFAULT", "MIN_EXTRACTED_SIZE", "0")


@dataclass
class Readable:
    title: str
    chunks: list[str]


def html_to_markdown(html: str, url: str) -> str:
    """The page's main content as markdown, links resolved against `url`; the visible text if extraction finds nothing."""
    text = trafilatura.extract(
        html,
        url=url,
        output_format="markdown",
        include_links=True,
        include_tables=True,
        include_images=True,
        include_comments=False,
        config=_EXTRACT_CONFIG,
    )
    return text or trafilatura.html2txt(html) or ""


def page_title(html: str) -> str:
    metadata = trafilatura.extract_metadata(html)
    return (metadata.title if metadata and metadata.title else "").strip()


def number_links(markdown: str) -> tuple[str, dict[int, str]]:
    """Replace inline links by `text [n]`, images by `[image: alt]`; return the text and n -> address."""
    numbers: dict[str, int] = {}

    def replace(match: re.Match[str]) -> str:
        is_image, text, href = match.group(1), match.group(2).strip(), match.group(3)
        if is_image:
            return f"[image: {text}]" if text else "[image]"
        number = numbers.setdefault(href, len(numbers) + 1)
        return f"{text} [{number}]" if text else f"[{number}]"

    body = _MARKDOWN_LINK.sub(replace, markdown)
    return body, {number: href for href, number in numbers.items()}


def _paragraphs(text: str, limit: int) -> list[str]:
    """Blank-line separated blocks, with any block longer than `limit` cut at line or space boundaries."""
    blocks: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        while len(block) > limit:
            cut = block.rfind("\n", 0, limit)
            cut = cut if cut > limit // 2 else block.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            blocks.append(block[:cut].rstrip())
            block = block[cut:].lstrip()
        if block:
            blocks.append(block)
    return blocks


def split_chunks(body: str, links: dict[int, str], chunk_chars: int) -> list[str]:
    """Chunks of about `chunk_chars` each, each followed by the addresses of the links it mentions."""
    chunks: list[str] = []
    current: list[str] = []
    current_links: dict[int, str] = {}
    size = 0

    def link_line(number: int) -> str:
        return f"[{number}] {links[number]}"

    def flush() -> None:
        if not current:
            return
        text = "\n\n".join(current)
        if current_links:
            text += "\n\nLinks:\n" + "\n".join(link_line(n) for n in sorted(current_links))
        chunks.append(text)

    for block in _paragraphs(body, max(chunk_chars * 3 // 4, 200)):
        mentioned = {int(n) for n in re.findall(r"\[(\d+)\]", block) if int(n) in links}
        new_links = {n: links[n] for n in mentioned if n not in current_links}
        cost = len(block) + 2 + sum(len(link_line(n)) + 1 for n in new_links)
        if current and size + cost > chunk_chars:
            flush()
            current, current_links, size = [], {}, 0
            new_links = {n: links[n] for n in mentioned}
            cost = len(block) + 2 + sum(len(link_line(n)) + 1 for n in new_links)
        current.append(block)
        current_links.update(new_links)
        size += cost
    flush()
    return chunks or [""]


def readable_page(html: str, url: str, chunk_chars: int) -> Readable:
    body, links = number_links(html_to_markdown(html, url))
    return Readable(title=page_title(html), chunks=split_chunks(body, links, chunk_chars))
