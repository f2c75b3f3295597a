"""Shared fixtures. Tests that need the embedded model, a kernel, a server or a browser are marked slow."""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from picoagent.config import Config


@pytest.fixture
def runs_dir(tmp_path: Path) -> Path:
    path = tmp_path / "runs"
    path.mkdir()
    return path


@pytest.fixture
def config(tmp_path: Path, runs_dir: Path) -> Config:
    """A config that writes traces into the test's own directory and works in a fresh workspace."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    return Config(model="scripted", runs_dir=runs_dir, workspace=workspace)


def action(tool: str, thought: str = "next step", **args) -> str:
    """One JSON action as a model would write it."""
    return json.dumps({"thought": thought, "tool": tool, "args": args})


def send_chat_completion(handler, content: str) -> None:
    """Answer an HTTP request as an OpenAI-compatible server does: one chat completion."""
    body = {
        "id": "x", "object": "chat.completion", "created": 0, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.end_headers()
    handler.wfile.write(json.dumps(body).encode())


@contextmanager
def serving(handler: type) -> Iterator[str]:
    """Serve `handler` on a random 127.0.0.1 port for the block; yields the base address."""
    from http.server import ThreadingHTTPServer

    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def local_model():
    """The embedded default model (Gemma 3 270M), loaded once for the whole session."""
    from picoagent.models import load_model

    return load_model("local", n_ctx=4096)


@pytest.fixture(scope="session")
def base_model():
    """Gemma 3 270M without picoagent's adapter: it rambles on where the tuned default stops, which is
    what tests of long generations need."""
    from picoagent.models import load_model

    return load_model("local:base", n_ctx=4096)


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory):
    """A real OpenAI-compatible server: llama-cpp-python's server on 127.0.0.1 with the default GGUF."""
    import os
    import subprocess
    import sys
    import time

    import httpx

    from picoagent.models.weights import default_model_path

    port = free_port()
    log = tmp_path_factory.mktemp("llama_server") / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(default_model_path()), "--model_alias", "gemma-3-270m",
        "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", "4096", "--n_batch", "256", "--chat_format", "gemma",
    ]
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "NO_PROXY": "127.0.0.1"})
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"llama server exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            raise RuntimeError("llama server did not come up within 120 s")
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


class SlowChatServer(BaseHTTPRequestHandler):
    """An OpenAI-compatible chat endpoint that answers only after `delay_s`, and notes for each
    request when it arrived and when the client gave up on it (closed the connection)."""

    delay_s = 10.0
    requests: list[dict[str, float | None]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        request: dict[str, float | None] = {"arrived": time.monotonic(), "gone": None}
        type(self).requests.append(request)
        while time.monotonic() - request["arrived"] < self.delay_s:
            readable, _, _ = select.select([self.connection], [], [], 0.02)
            if readable and not self.connection.recv(1, socket.MSG_PEEK):
                request["gone"] = time.monotonic()
                return
        send_chat_completion(self, "late")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def slow_chat_server() -> Iterator[str]:
    """The base URL (…/v1) of a fresh SlowChatServer on 127.0.0.1."""
    SlowChatServer.requests = []
    with serving(SlowChatServer) as url:
        yield f"{url}/v1"
