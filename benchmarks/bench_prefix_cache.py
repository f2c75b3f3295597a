"""Prompt tokens actually evaluated per step over a 10-step run on the embedded model.

The transcript is append-only, so llama.cpp's KV cache holds every earlier step and only
the new tokens (the last reply's tail and the new observation) are evaluated.

    .venv/bin/python benchmarks/bench_prefix_cache.py [--steps 10]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from picoagent.agent.session import run_task
from picoagent.config import Config
from picoagent.models import load_model
from picoagent.trace.recorder import read_events


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    model = load_model("local")
    with tempfile.TemporaryDirectory() as tmp:
        # This measures the cache over a long run, not the answer: repeat_limit is raised so a
        # small model that loops still produces the full number of steps, and with no worked
        # examples and no last call Gemma 270M does not answer early (with them it does, in 2).
        config = Config(
            runs_dir=Path(tmp) / "runs", workspace=Path(tmp), max_steps=args.steps, repeat_limit=10**6, examples=0, answer_at_limit=False
        )
        (Path(tmp) / "notes.txt").write_text("alpha\nbeta\ngamma\n")
        result = run_task("Read notes.txt, then count its lines with the shell, then answer.", config, model=model)
        steps = [event for event in read_events(Path(result.trace_path)) if event["type"] == "step"]
    print(f"{len(steps)} steps, status {result.status}")
    print(f"{'step':>4} {'prompt':>7} {'evaluated':>9} {'new since last call':>20}")
    previous_total = 0
    total_prompt = total_evaluated = 0
    for step in steps:
        usage = step["usage"]
        new = usage["prompt_tokens"] - previous_total
        print(f"{step['step']:>4} {usage['prompt_tokens']:>7} {usage['prompt_tokens_evaluated']:>9} {new:>20}")
        previous_total = usage["prompt_tokens"] + usage["completion_tokens"]
        total_prompt += usage["prompt_tokens"]
        total_evaluated += usage["prompt_tokens_evaluated"]
    print(f"total prompt tokens sent {total_prompt}, evaluated {total_evaluated} ({total_evaluated / total_prompt:.1%})")


if __name__ == "__main__":
    main()
