"""The HTTP API and the web page: FastAPI over run_task, the Recorder's traces and eval results.

Live events are the trace itself: a stream reads the lines the Recorder wrote and is woken
by the run after each one, so what a browser sees is exactly what `runs show` reads later,
and a finished run streams the same way, from its file, then closes.
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.exceptions import HTTPException

from picoagent.config import Config
from picoagent.errors import ConfigError, PicoagentError
from picoagent.evals.report import html_report
from picoagent.server.catalog import Catalog, NotFound
from picoagent.server.runs import Busy, LiveRun, RunManager
from picoagent.tools.toolsets import TOOLSETS
from picoagent.trace.feedback import add_feedback, read_feedback
from picoagent.trace.recorder import TRACE_NAME, first_event, list_runs, summarize_run

WEB_DIR = Path(__file__).parent / "web"
TOKEN_COOKIE = "picoagent_token"
# A stream with nothing new sends a comment this often, so proxies keep the connection open.
KEEPALIVE_S = 15.0


class RunRequest(BaseModel):
    """A task and the limits of its run; anything left out takes the server's setting."""

    model_config = ConfigDict(extra="forbid")

    task: str = Field(min_length=1, max_length=20_000, description="What the agent should do.")
    model: str | None = Field(None, max_length=1000, description="local | local:PATH.gguf | openai:NAME | scripted:FILE.json")
    actions: Literal["json", "code", "text"] | None = None
    tools: list[str] = Field(default_factory=list, max_length=8, description="Extra tool sets, e.g. [\"web\"].")
    max_steps: int | None = Field(None, ge=1, le=200)
    max_seconds: float | None = Field(None, gt=0, le=86_400)
    examples: int | None = Field(None, ge=0, le=8)

    @field_validator("task")
    @classmethod
    def _not_blank(cls, task: str) -> str:
        if not task.strip():
            raise ValueError("the task is empty: say what the agent should do")
        return task

    @field_validator("tools")
    @classmethod
    def _known_tools(cls, tools: list[str]) -> list[str]:
        unknown = [name for name in tools if name not in TOOLSETS]
        if unknown:
            raise ValueError(f"unknown tool set {unknown[0]!r}: available sets are {', '.join(sorted(TOOLSETS))}")
        return tools


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: Literal["up", "down"] = Field(description="up (👍) or down (👎)")
    note: str = Field("", max_length=4000)


def _run_config(base: Config, request: RunRequest) -> Config:
    overrides: dict[str, Any] = {
        "model": request.model,
        "actions": request.actions,
        "toolsets": request.tools,
        "max_steps": request.max_steps,
        "max_wall_s": request.max_seconds,
        "examples": request.examples,
    }
    values = {**base.model_dump(), **{k: v for k, v in overrides.items() if v is not None}}
    values["workspace"] = None  # a fresh workspace beside each trace: a request never picks a directory
    try:
        return Config(**values)
    except ValidationError as exc:
        raise ConfigError(_validation_message(exc.errors())) from None


def _validation_message(errors: Any) -> str:
    """Pydantic's errors as one readable line: `field: what is wrong; ...`."""
    parts = []
    for error in errors:
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "body"
        message = error.get("msg", "invalid")
        if error.get("type") == "json_invalid":
            where, message = "body", f"not valid JSON ({error.get('ctx', {}).get('error', message)})"
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


def create_app(config: Config, *, manager: RunManager | None = None) -> FastAPI:
    """The app for `config` (runs_dir, evals_dir, serve_token, serve_workers and the run defaults)."""
    runs = manager or RunManager(config)
    catalog = Catalog(config.runs_dir, config.evals_dir)
    token = config.serve_token

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        # Shutdown: cancel the runs in flight and wait until they have stopped.
        await asyncio.to_thread(runs.close)

    app = FastAPI(
        title="picoagent",
        version="0.1.0",
        description="Start agent runs, follow their events live, rate them, and read eval results.",
        lifespan=lifespan,
    )
    app.state.runs = runs

    @app.middleware("http")
    async def require_token(request: Request, call_next: Any) -> Response:
        if token is None:
            return await call_next(request)
        given = request.query_params.get("token")
        offered = [
            request.headers.get("authorization", "").removeprefix("Bearer ").strip(),
            request.cookies.get(TOKEN_COOKIE, ""),
            given or "",
        ]
        if not any(offered_token and secrets.compare_digest(offered_token.encode(), token.encode()) for offered_token in offered):
            return JSONResponse({"detail": "a token is required: send 'Authorization: Bearer TOKEN' (or open the page once with ?token=TOKEN)"}, status_code=401)
        response = await call_next(request)
        if given:  # the page was opened with ?token=: later requests (and EventSource) carry the cookie
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
        return response

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _validation_message(exc.errors())}, status_code=422)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(Busy)
    async def busy(request: Request, exc: Busy) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=429)

    @app.exception_handler(PicoagentError)
    async def refused(request: Request, exc: PicoagentError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    def live_or_404(run_id: str) -> tuple[LiveRun | None, Path | None]:
        live = runs.runs.get(run_id)
        run_dir = catalog.run_dir(run_id)
        if live is None and run_dir is None:
            raise NotFound(f"no run {run_id!r}")
        return live, run_dir

    def describe(run_id: str) -> dict[str, Any]:
        live, run_dir = live_or_404(run_id)
        if run_dir is not None:
            data = summarize_run(run_dir) or {}
            end = first_event(run_dir / TRACE_NAME, "run_end")
        else:  # waiting for a worker, or refused before it recorded anything
            assert live is not None
            data, end = {"id": run_id, "started": None, "task": live.task, "model": live.config.model, "status": "queued", "steps": 0}, None
        data["result"] = end["result"] if end else None
        data["error"] = end["result"].get("error") if end else None
        if live is not None and not live.done:
            data["status"] = live.state
        elif live is not None and live.error:  # run_task raised: there is no run_end to say so
            data["status"], data["error"] = "error", live.error
        data["feedback"] = read_feedback(run_dir) if run_dir else None
        data["live"] = live is not None and not live.done
        return data

    # Runs.

    @app.post("/api/runs", status_code=201, summary="Start a run", tags=["runs"])
    def start_run(request: RunRequest) -> dict[str, Any]:
        """Queue a run; returns its id at once. Follow it at /api/runs/{id}/events."""
        live = runs.submit(request.task, _run_config(config, request))
        return {"id": live.id, "status": live.state, "events": f"/api/runs/{live.id}/events"}

    @app.get("/api/runs", summary="List runs, newest first", tags=["runs"])
    def get_runs(
        status: str | None = Query(None, description="answered, max_steps, timeout, ..., running, queued or incomplete"),
        q: str | None = Query(None, max_length=500, description="Text in the task or the id."),
        model: str | None = Query(None, max_length=500, description="Text in the model name."),
        limit: int = Query(50, ge=1, le=1000),
    ) -> list[dict[str, Any]]:
        on_disk = {item["id"]: item for item in list_runs(config.runs_dir)}
        for live in runs.active():  # queued runs have no trace yet; running ones are not "incomplete"
            item = on_disk.get(live.id) or {"id": live.id, "started": None, "task": live.task, "model": live.config.model, "steps": 0}
            on_disk[live.id] = {**item, "status": live.state}
        items = sorted(on_disk.values(), key=lambda item: item["id"], reverse=True)
        for item in items:
            item["feedback"] = (read_feedback(config.runs_dir / item["id"]) or {}).get("rating")
        needle = (q or "").lower()
        items = [
            item
            for item in items
            if (status is None or item["status"] == status)
            and (not needle or needle in item["task"].lower() or needle in item["id"].lower())
            and (model is None or model.lower() in item["model"].lower())
        ]
        return items[:limit]

    @app.get("/api/runs/{run_id}", summary="One run: summary, result, feedback", tags=["runs"])
    def get_run(run_id: str) -> dict[str, Any]:
        return describe(run_id)

    @app.get("/api/runs/{run_id}/events", summary="The run's events as Server-Sent Events", tags=["runs"])
    async def run_events(run_id: str, request: Request) -> StreamingResponse:
        """Every event of the trace in order (`data:` a JSON event, `id:` its index); live while the
        run goes on. A last `event: end` carries the outcome, then the stream closes."""
        live, run_dir = live_or_404(run_id)
        trace = run_dir / TRACE_NAME if run_dir else Path(config.runs_dir) / run_id / TRACE_NAME
        resume = request.headers.get("last-event-id", "")
        skip = int(resume) + 1 if resume.isdigit() else 0
        return StreamingResponse(
            _event_stream(trace, live, skip),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @app.get("/api/runs/{run_id}/trace.jsonl", summary="The run's trace as the Recorder wrote it", tags=["runs"])
    def run_trace(run_id: str) -> FileResponse:
        _, run_dir = live_or_404(run_id)
        if run_dir is None:
            raise NotFound(f"run {run_id} has no trace yet")
        return FileResponse(run_dir / TRACE_NAME, media_type="application/x-ndjson", filename=f"{run_id}.jsonl")

    @app.post("/api/runs/{run_id}/cancel", summary="Stop a run", tags=["runs"])
    def cancel_run(run_id: str) -> dict[str, Any]:
        """Ends the run through its deadline: the model call and the tool in flight stop, the run
        ends `timeout` ("the run was cancelled") with a complete trace."""
        live, _ = live_or_404(run_id)
        if live is None or not runs.cancel(run_id):
            raise HTTPException(409, f"run {run_id} has already finished")
        return {"id": run_id, "cancelled": True}

    @app.post("/api/runs/{run_id}/feedback", summary="Rate a run 👍/👎 with a note", tags=["runs"])
    def rate_run(run_id: str, feedback: FeedbackRequest) -> dict[str, Any]:
        _, run_dir = live_or_404(run_id)
        if run_dir is None:
            raise HTTPException(409, f"run {run_id} has not started yet: rate it once it has a trace")
        return add_feedback(run_dir, feedback.rating, feedback.note)

    @app.get("/api/runs/{run_id}/files/{path:path}", summary="A file from the run's workspace (images the kernel made)", tags=["runs"])
    def run_file(run_id: str, path: str) -> FileResponse:
        _, run_dir = live_or_404(run_id)
        start = first_event(run_dir / TRACE_NAME, "workspace") if run_dir else None
        if start is None:
            raise NotFound(f"run {run_id} has no workspace")
        workspace = Path(start["path"]).resolve()
        target = (workspace / path).resolve()
        if not target.is_relative_to(workspace) or not target.is_file():
            raise NotFound(f"no file {path!r} in the workspace of run {run_id}")
        # Model-made content: never run as a page of this origin (an SVG could hold a script).
        headers = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox", "X-Content-Type-Options": "nosniff"}
        return FileResponse(target, media_type=mimetypes.guess_type(target.name)[0] or "application/octet-stream", headers=headers)

    # Evals.

    @app.get("/api/evals", summary="Eval results found in the evals directory", tags=["evals"])
    def get_evals() -> list[dict[str, Any]]:
        return catalog.list_evals()

    @app.get("/api/evals/compare", summary="Two eval results side by side", tags=["evals"])
    def compare_evals(a: str = Query(..., max_length=200), b: str = Query(..., max_length=200)) -> dict[str, Any]:
        return catalog.compare(a, b)

    @app.get("/api/evals/{name}", summary="One eval's results: what ran, metrics, failures and records", tags=["evals"])
    def get_eval(name: str) -> dict[str, Any]:
        return catalog.eval_summary(name)

    @app.get("/api/evals/{name}/report", summary="One eval's HTML report, its traces linked to the web page", tags=["evals"], response_class=HTMLResponse)
    def eval_report(name: str) -> HTMLResponse:
        records, meta = catalog.eval_records(name)
        return HTMLResponse(html_report(records, meta, trace_href=lambda r: f"/#/runs/{r['run_id']}" if r.get("run_id") else None))

    # The page: plain files, no build step.

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")
    return app


def _sse(event: dict[str, Any] | None, *, index: int | None = None, name: str | None = None) -> bytes:
    lines = []
    if name:
        lines.append(f"event: {name}")
    if index is not None:
        lines.append(f"id: {index}")
    lines.append("data: " + json.dumps(event, ensure_ascii=False))
    return ("\n".join(lines) + "\n\n").encode("utf-8")


async def _event_stream(trace: Path, live: LiveRun | None, skip: int) -> AsyncIterator[bytes]:
    """The trace's events from index `skip`, then, while the run is live, each new one as it is written."""
    news = live.listen() if live is not None else None
    index, pending, file = 0, b"", None
    try:
        while True:
            if news is not None:
                news.clear()
            finished = live is None or live.done  # read before the file: the last read then sees every line
            if file is None and trace.is_file():
                file = trace.open("rb")
            if file is not None:
                pending += file.read()
                *lines, pending = pending.split(b"\n")  # a line still being written stays pending
                for line in lines:
                    try:
                        event = json.loads(line)
                    except json.JSONDecodeError:
                        continue  # a torn line from a killed run
                    if index >= skip:
                        yield _sse(event, index=index)
                    index += 1
            if finished:
                yield _sse(_outcome(trace, live), name="end")
                return
            assert news is not None
            try:
                await asyncio.wait_for(news.wait(), KEEPALIVE_S)
            except TimeoutError:
                yield b": keepalive\n\n"
    finally:
        if file is not None:
            file.close()
        if news is not None and live is not None:
            live.unlisten(news)


def _outcome(trace: Path, live: LiveRun | None) -> dict[str, Any]:
    end = first_event(trace, "run_end") if trace.is_file() else None
    if end is not None:
        return {"status": end["result"]["status"], "answer": end["result"].get("answer"), "error": end["result"].get("error")}
    if live is not None and live.error:
        return {"status": "error", "answer": None, "error": live.error}
    return {"status": "incomplete", "answer": None, "error": "the trace has no result (the run was killed, or another process is still running it)"}
