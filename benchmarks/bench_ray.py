"""Eval throughput on Ray against the thread runner, and Ray's overhead per task.

Every task run is the real harness (workspace, loop, trace, checks) around a model that
costs nothing and one tool call that sleeps a fixed time, so the figures measure the
harness and the scheduling, not the CPU. The Ray runs start a local instance on 127.0.0.1
each time (as `picoagent eval --ray` does); its start-up is printed apart.

- task runs per minute over the whole wall time, start-up included; and after start-up (the
  wall time less start-up, taken as the first record's time less one tool sleep).
- overhead per task: with one worker and a tool that does not sleep, the median gap between
  consecutive records on Ray minus the same with one thread: shipping the task, the record
  and the trace, and the scheduling.

    .venv/bin/python benchmarks/bench_ray.py [--runs 24] [--sleep 0.5] [--workers 1,2,4,8]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from picoagent.evals.ray_runner import RayRunner
from picoagent.evals.results import ResultsDir
from picoagent.evals.runner import EvalOptions, Runner, ThreadRunner, run_eval
from picoagent.evals.tasks import Task
from picoagent.models.base import Completion, Timings, Usage

SLEEP_S = 0.5


def pause(seconds: float) -> str:
    """Wait, then say so.

    Args:
        seconds: How long to wait.
    """
    time.sleep(seconds)
    return "waited"


def task_tools(workspace: Path) -> list:
    return [pause]


class PauseThenAnswer:
    """For any task: call `pause`, then answer. Keeps no state, so threads may share it and
    Ray workers copy it."""

    name = "pause-then-answer"

    def __init__(self, sleep_s: float):
        self.steps = [
            json.dumps({"thought": "wait", "tool": "pause", "args": {"seconds": sleep_s}}),
            json.dumps({"thought": "done", "tool": "final_answer", "args": {"answer": "done"}}),
        ]

    def complete(self, messages, *, constraint=None, stop=None, max_tokens=512, deadline=None) -> Completion:
        step = sum(message["role"] == "assistant" for message in messages)
        return Completion(text=self.steps[min(step, 1)], usage=Usage(prompt_tokens=1, completion_tokens=1), timings=Timings(), finish_reason="stop")


def tasks(count: int) -> list[Task]:
    return [Task.model_validate({"id": f"t{i}", "instruction": f"task {i}: wait, then say done", "checks": [{"type": "answer", "expected": "done"}], "tools": task_tools, "suite": "bench"}) for i in range(count)]


def measure(runner: Runner, runs: int, sleep_s: float) -> dict[str, float]:
    """Throughput, start-up and the median gap between records of one eval."""
    arrivals: list[float] = []
    options = EvalOptions(model_spec="pause-then-answer", examples=0, sandbox="off")
    with tempfile.TemporaryDirectory() as tmp:
        results = ResultsDir(Path(tmp), options.meta())
        started = time.monotonic()
        run_eval(tasks(runs), PauseThenAnswer(sleep_s), options, results, runner=runner, on_record=lambda record: arrivals.append(time.monotonic()))
        wall = time.monotonic() - started
        passed = sum(record["passed"] for record in results.records())
    if passed != runs:
        raise SystemExit(f"only {passed} of {runs} runs passed: the figures would not be of the harness")
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    startup = max(arrivals[0] - started - sleep_s, 0.0)
    return {
        "startup_s": startup,
        "steady_per_min": 60 * runs / (wall - startup),
        "whole_per_min": 60 * runs / wall,
        "median_gap_ms": 1000 * statistics.median(gaps),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=24, help="task runs per measurement")
    parser.add_argument("--overhead-runs", type=int, default=60, help="task runs, tool not sleeping, for the overhead per task")
    parser.add_argument("--sleep", type=float, default=SLEEP_S, help="seconds the tool sleeps in each run")
    parser.add_argument("--workers", default="1,2,4,8", help="worker counts, comma-separated")
    parser.add_argument("--ray-cpus", type=float, default=0.5, help="CPUs Ray reserves per worker (this machine has few)")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    ideal = 60 / (args.sleep)
    print(f"{args.runs} task runs per measurement, each one tool call sleeping {args.sleep} s (one worker's ideal: {ideal:.0f} runs/min)")
    print(f"{'runner':<8} {'workers':>7} {'runs/min after start-up':>24} {'ray/threads':>12} {'runs/min whole':>15} {'start-up s':>11}")
    figures: dict[tuple[str, int], dict[str, float]] = {}
    for workers in counts:
        for name, runner in (("threads", ThreadRunner(workers)), ("ray", RayRunner("local", workers, args.ray_cpus))):
            row = figures[name, workers] = measure(runner, args.runs, args.sleep)
            ratio = f"{row['steady_per_min'] / figures['threads', workers]['steady_per_min']:.2f}" if name == "ray" else ""
            print(f"{name:<8} {workers:>7} {row['steady_per_min']:>24.0f} {ratio:>12} {row['whole_per_min']:>15.0f} {row['startup_s']:>11.1f}", flush=True)
    gaps = {name: measure(runner, args.overhead_runs, 0.0)["median_gap_ms"] for name, runner in (("threads", ThreadRunner(1)), ("ray", RayRunner("local", 1, args.ray_cpus)))}
    print(f"overhead per task run (one worker, tool not sleeping, median gap between records over {args.overhead_runs} runs): "
          f"threads {gaps['threads']:.1f} ms, Ray {gaps['ray']:.1f} ms: Ray adds {gaps['ray'] - gaps['threads']:.1f} ms")


if __name__ == "__main__":
    main()
