"""Runs the server started: a bounded worker pool over `run_task`, each run cancellable.

A run is one `run_task` call in a worker thread, with a trace under the server's runs
directory like any other. Its deadline is made when the request comes, with no end, so that
cancel works while it waits for a worker; its time limit starts when a worker takes it.
Models are loaded once per spec and shared: the embedded model serializes its calls with
its own lock (one llama.cpp context), as the eval workers share it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from picoagent.agent.loop import Result
from picoagent.config import Config
from picoagent.deadline import Deadline
from picoagent.errors import PicoagentError
from picoagent.models import Model, load_model
from picoagent.trace.recorder import TRACE_NAME, new_run_id

# Model kinds cheap to make and holding per-run state (a script's position): one per run.
FRESH_PER_RUN = ("scripted",)
# Runs waiting for a worker before new ones are refused: the queue is bounded like the pool.
MAX_QUEUED = 100


class Busy(PicoagentError):
    """Too many runs are waiting (429)."""


@dataclass
class LiveRun:
    """A run this server started: queued, running or done."""

    id: str
    task: str
    config: Config
    deadline: Deadline
    trace_path: Path
    state: str = "queued"  # queued -> running -> done
    submitted: float = field(default_factory=time.time)
    result: Result | None = None
    # Set when run_task refused the run before it began (then there may be no trace).
    error: str | None = None
    # Event loops of the streams that follow this run, each with the event it sets on news.
    _listeners: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def done(self) -> bool:
        return self.state == "done"

    def listen(self) -> asyncio.Event:
        """An event set (in the caller's loop) whenever the run records an event or ends."""
        news = asyncio.Event()
        with self._lock:
            self._listeners.add((asyncio.get_running_loop(), news))
        return news

    def unlisten(self, news: asyncio.Event) -> None:
        with self._lock:
            self._listeners = {(loop, event) for loop, event in self._listeners if event is not news}

    def notify(self, *_: Any) -> None:
        """Called from the worker after each event is written (Agent._emit records first)."""
        with self._lock:
            listeners = list(self._listeners)
        for loop, news in listeners:
            try:
                loop.call_soon_threadsafe(news.set)
            except RuntimeError:  # that stream's loop is gone
                pass


class RunManager:
    def __init__(self, config: Config, *, workers: int | None = None, max_queued: int = MAX_QUEUED):
        self.config = config
        self.max_queued = max_queued
        self.runs: dict[str, LiveRun] = {}
        self._pool = ThreadPoolExecutor(max_workers=workers or config.serve_workers, thread_name_prefix="serve-run")
        self._models: dict[tuple[str, int], Model] = {}
        self._models_lock = threading.Lock()

    def model(self, spec: str, n_ctx: int) -> Model:
        """The model for `spec`, loaded once and kept (a bad spec raises ConfigError)."""
        if spec.partition(":")[0] in FRESH_PER_RUN:
            return load_model(spec, n_ctx=n_ctx)
        with self._models_lock:
            key = (spec, n_ctx)
            if key not in self._models:
                self._models[key] = load_model(spec, n_ctx=n_ctx)
            return self._models[key]

    def submit(self, task: str, config: Config) -> LiveRun:
        """Queue `task`; the model is loaded first, so a bad spec fails the request, not the run."""
        queued = sum(1 for live in self.runs.values() if live.state == "queued")
        if queued >= self.max_queued:
            raise Busy(f"{queued} runs are already waiting for a worker: try again when some have finished")
        model = self.model(config.model, config.context_tokens)
        run_id = new_run_id()
        while run_id in self.runs:  # two requests in the same second can draw the same suffix only rarely
            run_id = new_run_id()
        live = LiveRun(id=run_id, task=task, config=config, deadline=Deadline(), trace_path=Path(config.runs_dir) / run_id / TRACE_NAME)
        self.runs[run_id] = live
        self._pool.submit(self._run, live, model)
        return live

    def _run(self, live: LiveRun, model: Model) -> None:
        from picoagent.agent.session import run_task

        live.state = "running"
        try:
            # The time limit counts from now; cancelling the outer deadline still ends it.
            deadline = live.deadline.within(live.config.max_wall_s)
            live.result = run_task(live.task, live.config, model=model, deadline=deadline, run_id=live.id, on_event=live.notify)
        except PicoagentError as exc:
            live.error = str(exc)
        except Exception as exc:  # a bug costs this run, not the worker
            live.error = f"{type(exc).__name__}: {exc}"
        finally:
            live.state = "done"
            live.notify()

    def cancel(self, run_id: str) -> bool:
        """Cancel a run in flight or queued; False if it has already finished."""
        live = self.runs[run_id]
        if live.done:
            return False
        live.deadline.cancel()
        return True

    def active(self) -> Iterable[LiveRun]:
        return [live for live in self.runs.values() if not live.done]

    def close(self) -> None:
        """Cancel everything in flight and wait for it to stop: nothing a run started outlives the server."""
        for live in self.active():
            live.deadline.cancel()
        self._pool.shutdown(wait=True, cancel_futures=False)
