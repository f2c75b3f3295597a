"""`picoagent serve`: how soon a run's events reach a client, and what the server holds in memory.

Starts `picoagent serve` as a user would (a subprocess on 127.0.0.1) and measures, over HTTP:
- first event: from sending POST /api/runs to the first SSE event of that run arriving
  (the POST's reply, then GET /api/runs/{id}/events), warm: the model is loaded;
- event latency: for every event of a live run, its arrival at the client minus the time the
  Recorder stamped on it just before writing its line (same machine, same clock);
- memory: the server process's RSS at idle (fresh), at idle after the embedded model has
  been loaded, and the most seen while an embedded-model run is in flight (sampled every 0.1 s).
Runs use a scripted model (no generation time, so the figures are the server's own) and, for
memory and one first-event figure, the embedded Gemma 3 270M.

    .venv/bin/python benchmarks/bench_serve.py [--runs 20] [--steps 20] [--no-local]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

LOCAL_TASK = "How many lines does /etc/passwd have?"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sse(response: httpx.Response):
    """(event name, data, arrival time) for each event of an SSE response."""
    name, data = "message", []
    for line in response.iter_lines():
        if line == "":
            if data:
                yield name, json.loads("\n".join(data)), time.time()
            name, data = "message", []
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())


def one_run(client: httpx.Client, request: dict) -> tuple[float, list[float], dict]:
    """(ms from POST to the first event, each event's latency in ms, the outcome)."""
    sent = time.perf_counter()
    run_id = client.post("/api/runs", json=request).raise_for_status().json()["id"]
    first, latencies, outcome = None, [], {}
    with client.stream("GET", f"/api/runs/{run_id}/events") as response:
        for name, data, arrived in sse(response):
            if name == "end":
                outcome = data
                break
            if first is None:
                first = (time.perf_counter() - sent) * 1000
            latencies.append((arrived - data["time"]) * 1000)
    return first or float("nan"), latencies, outcome


def rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="scripted runs")
    parser.add_argument("--steps", type=int, default=20, help="shell steps per scripted run")
    parser.add_argument("--no-local", action="store_true", help="skip the embedded-model run (memory in flight)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "script.json"
        steps = [json.dumps({"thought": f"step {n}", "tool": "shell", "args": {"command": f"echo {n}"}}) for n in range(args.steps)]
        script.write_text(json.dumps(steps + [json.dumps({"thought": "done", "tool": "final_answer", "args": {"answer": "done"}})]))
        port = free_port()
        env = {**os.environ, "NO_PROXY": "127.0.0.1"}
        env.pop("PICOAGENT_SERVE_TOKEN", None)
        server = subprocess.Popen(
            [sys.executable, "-m", "picoagent.cli", "serve", "--port", str(port), "--runs-dir", f"{tmp}/runs", "--evals-dir", f"{tmp}/evals"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        try:
            client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600)
            deadline = time.monotonic() + 60
            while True:
                try:
                    client.get("/api/runs")
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit(f"the server did not start: {server.stderr.read() if server.poll() is not None else ''}")
                    time.sleep(0.1)
            idle_fresh = rss_mb(server.pid)

            one_run(client, {"task": "warm up", "model": f"scripted:{script}"})
            firsts, latencies = [], []
            for _ in range(args.runs):
                first, each, outcome = one_run(client, {"task": "echo numbers", "model": f"scripted:{script}"})
                assert outcome["status"] == "answered", outcome
                firsts.append(first)
                latencies += each
            latencies.sort()
            print(f"scripted model, {args.runs} runs of {args.steps + 1} steps ({len(latencies)} events):")
            print(f"  POST /api/runs to first SSE event: median {statistics.median(firsts):.1f} ms (min {min(firsts):.1f}, max {max(firsts):.1f})")
            print(
                f"  SSE event latency after the trace write: median {statistics.median(latencies):.2f} ms, "
                f"p90 {latencies[int(0.9 * len(latencies))]:.2f} ms, max {latencies[-1]:.2f} ms"
            )
            print(f"server RSS idle, fresh: {idle_fresh:.0f} MB")
            if args.no_local:
                return

            local = {"task": LOCAL_TASK, "model": "local", "max_steps": 3}
            one_run(client, local)  # loads the embedded model once
            idle_loaded = rss_mb(server.pid)
            peak, stop = [0.0], threading.Event()

            def sample() -> None:
                while not stop.is_set():
                    peak[0] = max(peak[0], rss_mb(server.pid))
                    time.sleep(0.1)

            sampler = threading.Thread(target=sample)
            sampler.start()
            started = time.perf_counter()
            first, _, outcome = one_run(client, local)
            wall = time.perf_counter() - started
            stop.set()
            sampler.join()
            print(f"embedded model ({LOCAL_TASK!r}, max 3 steps, ended {outcome['status']} in {wall:.1f} s):")
            print(f"  POST /api/runs to first SSE event, model loaded: {first:.1f} ms")
            print(f"server RSS idle, embedded model loaded: {idle_loaded:.0f} MB; most with a run in flight: {peak[0]:.0f} MB")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
