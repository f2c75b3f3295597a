"""web_search: results from a SearXNG instance's JSON API."""

from __future__ import annotations

import httpx

from picoagent.deadline import tool_timeout
from picoagent.tools.registry import Tool
from picoagent.tools.web.fetch import USER_AGENT
from picoagent.tools.web.framing import frame_untrusted

MAX_RESULTS = 8
SNIPPET_CHARS = 300

NOT_CONFIGURED = (
    "web_search is not available: no search engine is configured. "
    "Set PICOAGENT_SEARXNG_URL to a SearXNG instance (e.g. http://127.0.0.1:8888) whose settings.yml "
    "enables the JSON format (search: formats: [html, json]). "
    "Without it, open or fetch_url a page whose address you know."
)


class SearchUnavailable(RuntimeError):
    """No search engine is configured or it refused the query; the message says what to do."""


def search_searxng(base_url: str, query: str, *, timeout_s: float) -> list[dict]:
    endpoint = base_url.rstrip("/") + "/search"
    with httpx.Client(timeout=timeout_s, headers={"User-Agent": USER_AGENT}) as client:
        response = client.get(endpoint, params={"q": query, "format": "json"})
    if response.status_code == 403:
        raise SearchUnavailable(f"the SearXNG instance at {base_url} refused the JSON format (403); enable it in settings.yml: search: formats: [html, json]")
    response.raise_for_status()
    return list(response.json().get("results") or [])


def format_results(results: list[dict]) -> str:
    lines = []
    for number, item in enumerate(results[:MAX_RESULTS], start=1):
        snippet = " ".join(str(item.get("content") or "").split())[:SNIPPET_CHARS]
        lines.append(f"{number}. {item.get('title') or '(no title)'}\n   {item.get('url', '')}" + (f"\n   {snippet}" if snippet else ""))
    return "\n".join(lines) or "(no results)"


def web_search_tool(*, searxng_url: str | None, timeout_s: float) -> Tool:
    def web_search(query: str) -> str:
        """Search the web and list the top results (title, address, snippet). Read a result with fetch_url or open.

        Args:
            query: What to search for, in a few keywords.
        """
        if not searxng_url:
            raise SearchUnavailable(NOT_CONFIGURED)
        results = search_searxng(searxng_url, query, timeout_s=tool_timeout(timeout_s))
        header = f"Search results for {query!r} ({min(len(results), MAX_RESULTS)} shown):"
        return frame_untrusted(format_results(results), "search results", header=header)

    return Tool.from_function(web_search)
