"""Start the server: check the bind and the token, then hand the app to uvicorn."""

from __future__ import annotations

import socket
from collections.abc import Callable

from picoagent.config import Config
from picoagent.errors import ConfigError
from picoagent.exec.sandbox import choose_sandbox

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def check_bind(config: Config) -> None:
    """Any address but loopback is reachable by others: it needs a token."""
    if config.serve_host not in LOOPBACK and not config.serve_token:
        raise ConfigError(
            f"serving on {config.serve_host} makes runs (shell and code) reachable from the network: "
            "set a token with --token or PICOAGENT_SERVE_TOKEN"
        )


def serve(config: Config, *, on_ready: Callable[[str, str], None] | None = None) -> None:
    """Serve until interrupted; on shutdown the runs in flight are cancelled and waited for."""
    check_bind(config)
    try:
        import uvicorn

        from picoagent.server.app import create_app
    except ImportError as exc:
        raise ConfigError(f"picoagent serve needs the serve extra ({exc.name} is missing): pip install 'picoagent[serve]'") from None
    try:  # a port in use is one line here, not uvicorn's log after the banner
        socket.create_server((config.serve_host, config.serve_port)).close()
    except OSError as exc:
        raise ConfigError(f"cannot listen on {config.serve_host}:{config.serve_port}: {exc.strerror or exc}") from None
    app = create_app(config)
    server = uvicorn.Server(uvicorn.Config(app, host=config.serve_host, port=config.serve_port, log_level="warning", timeout_graceful_shutdown=5))
    if on_ready is not None:
        host = f"[{config.serve_host}]" if ":" in config.serve_host else config.serve_host
        # Which isolation the runs get (web runs also get the network), said once, as `eval` does.
        on_ready(f"http://{host}:{config.serve_port}/", choose_sandbox(config.sandbox, network=False).description)
    server.run()
