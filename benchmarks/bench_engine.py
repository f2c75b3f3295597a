"""Engine overhead per step: everything the loop does except the model call and the tool itself.

Runs the real loop (parsing, validation, context, trace writes to disk) with the scripted
model and a no-op tool, and prints the median per-step overhead. Target: under 2 ms.

    .venv/bin/python benchmarks/bench_engine.py
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

from picoagent.agent.session import run_task
from picoagent.config import Config
from picoagent.models.scripted import ScriptedModel
from picoagent.trace.recorder import read_events

STEPS = 200
RUNS = 5


def noop(value: str) -> str:
    """Return the value unchanged.

    Args:
        value: Any text.
    """
    return value


def main() -> None:
    overheads_ms: list[float] = []
    per_step_ms: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(RUNS):
            outputs = [json.dumps({"thought": f"step {i}", "tool": "noop", "args": {"value": f"v{i}"}}) for i in range(STEPS - 1)]
            outputs.append(json.dumps({"thought": "done", "tool": "final_answer", "args": {"answer": "ok"}}))
            config = Config(runs_dir=Path(tmp) / "runs", workspace=Path(tmp), max_steps=STEPS, repeat_limit=STEPS, context_tokens=10**7)
            started = time.perf_counter()
            result = run_task("benchmark", config, model=ScriptedModel(outputs), extra_tools=[noop])
            elapsed = time.perf_counter() - started
            assert result.status == "answered" and result.steps == STEPS, result
            steps = [e for e in read_events(Path(result.trace_path)) if e["type"] == "step"]
            overheads_ms += [step["engine_s"] * 1000 for step in steps]
            per_step_ms.append(elapsed / STEPS * 1000)
    print(f"engine overhead per step, {RUNS} runs x {STEPS} steps:")
    print(f"  whole step (scripted model + parse + validate + no-op tool + context + trace write), median over runs: {statistics.median(per_step_ms):.3f} ms")
    print(f"  loop bookkeeping alone (engine_s in the trace: excludes model, tool and the trace write): median {statistics.median(overheads_ms):.3f} ms")


if __name__ == "__main__":
    main()
