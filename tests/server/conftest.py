"""The server on 127.0.0.1, started in a thread for each test, with its runs and evals in the test's directory."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from picoagent.config import Config
from tests.conftest import free_port


@dataclass
class Server:
    url: str
    config: Config
    tmp: Path
    app: object = None

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(**{"base_url": self.url, "timeout": 30, **kwargs})

    def script(self, outputs: list[str], name: str = "script.json") -> str:
        """A scripted model spec replaying `outputs`."""
        path = self.tmp / name
        path.write_text(json.dumps(outputs))
        return f"scripted:{path}"


@contextmanager
def running_server(config: Config, tmp: Path, **app_options) -> Iterator[Server]:
    import uvicorn

    from picoagent.server.app import create_app

    port = free_port()
    app = create_app(config, **app_options)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield Server(f"http://127.0.0.1:{port}", config, tmp, app)
    finally:
        server.should_exit = True
        thread.join(30)


def server_config(tmp_path: Path, **overrides) -> Config:
    (tmp_path / "runs").mkdir(exist_ok=True)
    return Config(**{"model": "scripted", "runs_dir": tmp_path / "runs", "evals_dir": tmp_path / "evals", **overrides})


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with running_server(server_config(tmp_path), tmp_path) as running:
        yield running


def sse_events(response: httpx.Response) -> Iterator[tuple[str, dict]]:
    """(event name, data) for each event of a text/event-stream response; "message" when unnamed."""
    name, data = "message", []
    for line in response.iter_lines():
        if line == "":
            if data:
                yield name, json.loads("\n".join(data))
            name, data = "message", []
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())


def make_eval(evals_dir: Path, name: str, *, right_answer: str = "3") -> Path:
    """A real results directory: two tasks run by the eval runner on a per-task scripted model,
    one passing, one failing; asked for as `local` with default actions, as the CLI records it."""
    from picoagent.evals.results import ResultsDir
    from picoagent.evals.runner import EvalOptions, run_eval
    from picoagent.evals.tasks import load_suite
    from tests.conftest import action
    from tests.evals.conftest import PerTaskModel, write_suite

    notes = {"notes.txt": "a\nb\nc\n"}
    tasks = [
        {"id": "count", "instruction": "[count] How many lines has notes.txt?", "setup": {"files": notes}, "checks": [{"type": "numeric", "expected": 3}]},
        {"id": "guess", "instruction": "[guess] How many lines has notes.txt?", "setup": {"files": notes}, "checks": [{"type": "numeric", "expected": 3}]},
    ]
    scripts = {
        "[count]": [action("shell", command="wc -l < notes.txt"), action("final_answer", answer=right_answer)],
        "[guess]": [action("final_answer", answer="4")],
    }
    options = EvalOptions(model_spec="local")
    results = ResultsDir(evals_dir / name, {**options.meta(), "suites": ["s"]})
    run_eval(load_suite(write_suite(evals_dir.parent / f"suites-{name}" / "s", tasks)), PerTaskModel(scripts), options, results)
    return results.path
