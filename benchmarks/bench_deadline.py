"""How far past its deadline a run ends, on the embedded model and over the OpenAI API.

Each run gets a time limit between 1 and 4 s, so the deadline lands in every phase of a
step: prompt evaluation, generation, a tool, the loop between them. Runs alternate the json
and text formats, whose prompts differ, so that some deadlines fall in a long prompt
evaluation. A run's overshoot is the time from its deadline to `run_task` returning, trace
closed and executor shut down. Over the API the server is llama-cpp-python's on 127.0.0.1
with the default GGUF, sharing the machine's cores.

    .venv/bin/python benchmarks/bench_deadline.py [--runs 20] [--backend local|api|both]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from picoagent.agent.session import run_task
from picoagent.config import Config
from picoagent.deadline import Deadline
from picoagent.models import load_model
from picoagent.models.base import Model
from picoagent.models.openai_compat import OpenAIModel
from picoagent.models.weights import default_model_path
from picoagent.trace.recorder import read_events

TASK = "Write a long story about a lighthouse keeper into story.txt, then count its words with the shell."
LIMITS_S = (1.0, 1.7, 2.4, 3.1, 3.8)
CONTEXT_TOKENS = 4096


def where_cut(trace: Path) -> str:
    """The phase the deadline fell in, from the trace."""
    steps = [event for event in read_events(trace) if event["type"] == "step"]
    if steps and steps[-1].get("cut_off"):
        return "model call"
    if steps and "[stopped after" in steps[-1].get("observation", {}).get("text", ""):
        return "tool"
    return "between calls"


def measure(model: Model, runs: int) -> None:
    overshoots, phases, early = [], Counter(), 0
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(runs):
            limit = LIMITS_S[run % len(LIMITS_S)]
            workspace = Path(tmp) / f"ws{run}"
            workspace.mkdir()
            config = Config(
                runs_dir=Path(tmp) / "runs", workspace=workspace, max_wall_s=limit, context_tokens=CONTEXT_TOKENS,
                actions=("json", "text")[run % 2], examples=2,
            )
            ends_at = time.monotonic() + limit
            result = run_task(TASK, config, model=model, deadline=Deadline(limit))
            overshoot = time.monotonic() - ends_at
            if result.status != "timeout":
                early += 1
                continue
            overshoots.append(overshoot)
            phases[where_cut(Path(result.trace_path))] += 1
    print(f"  {model.name}: {len(overshoots)} runs hit their deadline ({early} ended before it)")
    if overshoots:
        print(f"  past the deadline: median {statistics.median(overshoots):.2f} s, max {max(overshoots):.2f} s")
        print(f"  where the deadline fell: {dict(phases)}")


@contextmanager
def llama_server() -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server with the default GGUF on 127.0.0.1."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(default_model_path()), "--model_alias", "gemma-3-270m",
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(CONTEXT_TOKENS), "--n_batch", "256", "--chat_format", "gemma",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "NO_PROXY": "127.0.0.1"})
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(400):
            if process.poll() is not None:
                raise SystemExit("the llama.cpp server exited while starting")
            try:
                if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        yield base_url
    finally:
        process.terminate()  # it may still be generating for requests the runs gave up on
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--backend", choices=("local", "api", "both"), default="both")
    args = parser.parse_args()
    print(f"how far past its deadline a run ends ({args.runs} runs each, limits {LIMITS_S} s)")
    if args.backend in ("local", "both"):
        measure(load_model("local", n_ctx=CONTEXT_TOKENS), args.runs)
    if args.backend in ("api", "both"):
        with llama_server() as base_url:
            measure(OpenAIModel("gemma-3-270m", base_url=base_url), args.runs)


if __name__ == "__main__":
    main()
