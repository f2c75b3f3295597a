"""The `web` tool set: fetch_url, web_search and the browser tools, bound to one run."""

from __future__ import annotations

from pathlib import Path

from picoagent.config import Config
from picoagent.tools.registry import ToolRegistry
from picoagent.tools.web.browser_session import BrowserSession
from picoagent.tools.web.browser_tools import browser_tools
from picoagent.tools.web.fetch import fetch_url_tool
from picoagent.tools.web.search import web_search_tool


def install_web_tools(registry: ToolRegistry, workspace: Path, config: Config) -> BrowserSession:
    """Add the web tools to `registry`; the browser starts on first use and closes when the run ends."""
    registry.register(fetch_url_tool(timeout_s=config.web_timeout_s, max_bytes=config.web_max_bytes, chunk_chars=config.web_chunk_chars))
    registry.register(web_search_tool(searxng_url=config.searxng_url, timeout_s=config.web_timeout_s))
    session = BrowserSession(config.browser_executable, timeout_s=config.web_timeout_s)
    registry.add_cleanup(session.close)
    for tool in browser_tools(session, workspace, part_chars=config.web_chunk_chars):
        registry.register(tool)
    return session
