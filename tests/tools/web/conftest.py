"""Fixtures for the web tools: the web suite's shop site and a fake SearXNG, both on 127.0.0.1."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psutil
import pytest

from picoagent.config import Config
from picoagent.evals.tasks import SUITES_DIR, import_file
from picoagent.tools.registry import ToolRegistry
from picoagent.tools.web.browser_session import BrowserSession
from picoagent.tools.web.toolset import install_web_tools
from tests.conftest import serving

site_server = import_file(SUITES_DIR / "web" / "site_server.py")


@pytest.fixture(scope="session")
def site_url() -> Iterator[str]:
    with site_server.serve_site() as url:
        yield url


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[ToolRegistry, BrowserSession, Path]]:
    """A registry with the web tools, its browser session and workspace; closed after the test."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    registry = ToolRegistry()
    session = install_web_tools(registry, workspace, Config(model="scripted", web_timeout_s=10))
    try:
        yield registry, session, workspace
    finally:
        registry.close()


class FakeSearxng(BaseHTTPRequestHandler):
    """Answers /search?q=...&format=json the way SearXNG does; refuses other formats with 403, as SearXNG does."""

    queries: list[str] = []

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        params = parse_qs(parts.query)
        if parts.path != "/search" or params.get("format") != ["json"]:
            self.send_error(403)
            return
        query = params.get("q", [""])[0]
        self.queries.append(query)
        results = [
            {"title": f"Result {n} for {query}", "url": f"http://127.0.0.1/r{n}", "content": f"Snippet {n} about {query}."}
            for n in range(1, 13)
        ]
        body = json.dumps({"query": query, "results": results}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        pass


@pytest.fixture
def searxng_url() -> Iterator[str]:
    FakeSearxng.queries = []
    with serving(FakeSearxng) as url:
        yield url


def chromium_processes() -> list[psutil.Process]:
    """Chromium processes started by this test process (through Playwright's driver)."""
    found = []
    for child in psutil.Process(os.getpid()).children(recursive=True):
        try:
            if "chrom" in child.name().lower():
                found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found


def ref_of(observation_text: str, name: str) -> str:
    """The ref of the element with accessible name `name` in a snapshot, as a model would read it."""
    import re

    match = re.search(rf'- [a-z]+ "{re.escape(name)}"(?: \[[^\]]*\])*? \[ref=([a-z0-9]+)\]', observation_text)
    assert match, f"no element named {name!r} with a ref in:\n{observation_text}"
    return match.group(1)


class SnapshotReadingModel:
    """A ScriptedModel whose outputs may say `${url}` (the site address in the task) and `<Name>` (a ref).

    `<Gift wrap>` becomes the ref of the element named "Gift wrap" in the last observation:
    the scripted run reads the snapshot the way a model would, instead of hard-coding refs.
    """

    def __init__(self, outputs: list[str]):
        from picoagent.models.scripted import ScriptedModel

        self.scripted = ScriptedModel(outputs)
        self.name = "scripted-snapshot-reader"

    @property
    def calls(self):
        return self.scripted.calls

    def complete(self, messages, **options):
        import dataclasses
        import re

        completion = self.scripted.complete(messages, **options)
        task = messages[1]["content"]
        site = re.search(r"http://127\.0\.0\.1:\d+", task)
        text = completion.text.replace("${url}", site.group(0) if site else "${url}")
        text = re.sub(r"<([^<>]+)>", lambda match: ref_of(messages[-1]["content"], match.group(1)), text)
        return dataclasses.replace(completion, text=text)
