"""fetch_url: a page as readable markdown, in numbered chunks the model can page through."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import httpx

from picoagent.deadline import tool_timeout
from picoagent.tools.registry import Tool
from picoagent.tools.web.framing import frame_untrusted
from picoagent.tools.web.readable import Readable, readable_page, split_chunks
from picoagent.tools.web.urls import require_http_url

USER_AGENT = "picoagent/0.1 (local agent; +https://github.com/picoagent)"
# Pages fetched in one run, kept so asking for chunk 2 does not download the page again.
CACHED_PAGES = 16


@dataclass
class Download:
    url: str  # after redirects
    content_type: str
    text: str
    truncated: bool


def download(url: str, *, timeout_s: float, max_bytes: int) -> Download:
    """GET `url`, following redirects, reading at most `max_bytes` of the body."""
    timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0))
    with httpx.Client(timeout=timeout, follow_redirects=True, max_redirects=5, headers={"User-Agent": USER_AGENT}) as client:
        with client.stream("GET", url) as response:
            response.raise_for_status()
            body = bytearray()
            truncated = False
            for piece in response.iter_bytes():
                body.extend(piece)
                if len(body) > max_bytes:
                    del body[max_bytes:]
                    truncated = True
                    break
            content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            text = bytes(body).decode(response.encoding or "utf-8", errors="replace")
            return Download(url=str(response.url), content_type=content_type, text=text, truncated=truncated)


def _is_html(page: Download) -> bool:
    return page.content_type in ("text/html", "application/xhtml+xml") or (
        not page.content_type and page.text.lstrip()[:200].lower().startswith(("<!doctype html", "<html"))
    )


def to_readable(page: Download, chunk_chars: int) -> Readable:
    if _is_html(page):
        return readable_page(page.text, page.url, chunk_chars)
    if page.content_type.startswith("text/") or page.content_type.endswith(("json", "xml")):
        return Readable(title="", chunks=split_chunks(page.text, {}, chunk_chars))
    raise ValueError(f"{page.url} is {page.content_type or 'of unknown type'}, not a text page; fetch_url reads HTML and text")


def fetch_url_tool(*, timeout_s: float, max_bytes: int, chunk_chars: int) -> Tool:
    pages: OrderedDict[str, tuple[Download, Readable]] = OrderedDict()

    def fetch_url(url: str, chunk: int = 1) -> str:
        """Read a web page as text: its main content as markdown, links numbered like [3] with their addresses listed below. Long pages come in chunks.

        Args:
            url: The http(s) address of the page.
            chunk: Which chunk of a long page to read, from 1; the first answer says how many there are.
        """
        url = require_http_url(url)
        if url not in pages:
            page = download(url, timeout_s=tool_timeout(timeout_s), max_bytes=max_bytes)
            pages[url] = (page, to_readable(page, chunk_chars))
            while len(pages) > CACHED_PAGES:
                pages.popitem(last=False)
        page, readable = pages[url]
        count = len(readable.chunks)
        if not 1 <= chunk <= count:
            raise ValueError(f"{url} has {count} chunk(s); ask for chunk 1 to {count}")
        # Where a redirect led is the server's word, not ours: it goes inside the frame.
        header = f"Fetched {url} (chunk {chunk} of {count})"
        content = (f"Redirected to: {page.url}\n" if page.url != url else "") + (f"Title: {readable.title}\n\n" if readable.title else "")
        content += readable.chunks[chunk - 1]
        notes = []
        if page.truncated:
            notes.append(f"The page was larger than {max_bytes} bytes; only the start was read.")
        if chunk < count:
            notes.append(f'More text: fetch_url(url="{url}", chunk={chunk + 1}).')
        return frame_untrusted(content, page.url, header=header, footer=" ".join(notes))

    return Tool.from_function(fetch_url)
