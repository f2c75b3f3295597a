"""The engine side of tool calls made from kernel code.

The kernel's tool functions send one JSON line per call over a unix socket in a private
0700 directory, with a per-run token; a server thread in the engine checks the token,
runs the call through the same function JSON actions use (ToolRegistry.call: same
validation, same error observations) and answers with one JSON line. Calls made during
one execution are recorded so the executor can put them in its Observation.
"""

from __future__ import annotations

import hmac
import json
import secrets
import socketserver
import threading
from collections.abc import Callable
from typing import Any

from picoagent.deadline import Deadline, applied
from picoagent.observation import Observation
from picoagent.tempdirs import owned_temp_dir, remove_temp_dir

MAX_REQUEST_BYTES = 8 << 20
# Seconds a connected client may take to send its request; the tool itself is not bounded here.
REQUEST_TIMEOUT_S = 30.0


class _Handler(socketserver.StreamRequestHandler):
    timeout = REQUEST_TIMEOUT_S
    server: _Server

    def handle(self) -> None:
        try:
            line = self.rfile.readline(MAX_REQUEST_BYTES)
            reply = self.server.bridge.answer(line)
            self.wfile.write(json.dumps(reply).encode() + b"\n")
        except OSError:  # the kernel was interrupted while waiting and hung up
            pass


class _Server(socketserver.UnixStreamServer):
    bridge: ToolBridge


class ToolBridge:
    def __init__(self, call: Callable[[str, Any], Observation]):
        self._call = call
        self._dir = owned_temp_dir("picoagent-tools-")
        self.socket_path = self._dir / "tools.sock"
        self.token = secrets.token_hex(16)
        self._lock = threading.Lock()
        self._calls: list[dict[str, Any]] = []
        self._final_answer: str | None = None
        self._deadline: Deadline | None = None
        self._server = _Server(str(self.socket_path), _Handler)
        self._server.bridge = self
        # A short poll interval keeps close() fast; one run closes one bridge.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def answer(self, line: bytes) -> dict[str, Any]:
        try:
            request = json.loads(line)
            token, tool, args = request["token"], request["tool"], request.get("args", {})
        except (ValueError, KeyError, TypeError):
            return {"is_error": True, "text": "malformed tool request"}
        if not isinstance(token, str) or not hmac.compare_digest(token, self.token):
            return {"is_error": True, "text": "tool request refused: wrong token"}
        with applied(self._deadline):  # the calling thread's deadline does not reach this one
            observation = self._call(str(tool), args)
        with self._lock:
            self._calls.extend(observation.tool_calls)
            if observation.final_answer is not None and self._final_answer is None:
                self._final_answer = observation.final_answer
        return {"is_error": observation.is_error, "text": observation.text, "final": observation.final_answer is not None}

    def set_deadline(self, deadline: Deadline | None) -> None:
        """Tools called from now on end by `deadline` (the execution's own)."""
        self._deadline = deadline

    def take(self) -> tuple[list[dict[str, Any]], str | None]:
        """The calls and final answer recorded since the last take()."""
        with self._lock:
            calls, answer = self._calls, self._final_answer
            self._calls, self._final_answer = [], None
        return calls, answer

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        remove_temp_dir(self._dir)
