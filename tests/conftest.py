"""Shared fixtures. Tests that need the embedded model, a kernel, a server or a browser are marked slow."""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
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
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
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


def _ray_node(*args: str) -> subprocess.Popen:
    """`ray start --block ...`: the node lives as long as this process, which SIGTERM stops with all it started."""
    ray = Path(sys.executable).with_name("ray")
    small = ["--num-cpus", "1", "--object-store-memory", str(80 * 1024 * 1024), "--node-ip-address", "127.0.0.1", "--disable-usage-stats"]
    ports = ["--dashboard-agent-listen-port", str(free_port()), "--metrics-export-port", str(free_port()), "--runtime-env-agent-port", str(free_port())]
    return subprocess.Popen([str(ray), "start", "--block", *small, *ports, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _wait_for_nodes(address: str, count: int, timeout_s: float = 90.0) -> None:
    script = (
        "import ray, sys, time\n"
        f"ray.init(address={address!r}, logging_level='ERROR', log_to_driver=False)\n"
        f"end = time.monotonic() + {timeout_s}\n"
        f"while sum(node['Alive'] for node in ray.nodes()) < {count} and time.monotonic() < end: time.sleep(0.5)\n"
        f"sys.exit(sum(node['Alive'] for node in ray.nodes()) < {count})\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=timeout_s + 60, capture_output=True)


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[str]:
    """A real Ray cluster on this machine, a head and one worker node of 1 CPU each, small object
    stores and no dashboard; yields the head's address (127.0.0.1:PORT) and stops both afterwards.

    It uses token authentication with a token of its own, in the environment for the nodes,
    for picoagent and for the CLI subprocesses the tests start.
    """
    import secrets

    env = pytest.MonkeyPatch()
    env.setenv("RAY_AUTH_MODE", "token")
    env.setenv("RAY_AUTH_TOKEN", secrets.token_hex(32))
    port = free_port()
    temp_dir = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # short: Ray's socket paths must fit 107 bytes
    head = _ray_node("--head", "--port", str(port), "--include-dashboard", "false", "--ray-client-server-port", str(free_port()), "--temp-dir", temp_dir)
    nodes = [head]
    try:
        address = f"127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if head.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the Ray head did not start") from None
                time.sleep(0.3)
        nodes.append(_ray_node("--address", address))
        _wait_for_nodes(address, 2)
        yield address
    finally:
        for node in reversed(nodes):
            node.terminate()
            try:
                node.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(node.pid, signal.SIGKILL)
                node.wait()
        shutil.rmtree(temp_dir, ignore_errors=True)
        env.undo()
