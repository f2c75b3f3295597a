"""Training throughput on this machine: LoRA steps on real generated trajectories.

Generates tasks, replays them, builds a dataset, then runs `picoagent train fit` in a child
process for a fixed number of steps and prints sequence and target tokens per second, the
mean seconds per step and the fit's peak RSS (the child's own). The default batch of 8
trajectories is what CPU top-ups use; its trajectories share their prompt, which a fit
computes once per step (`--batch 1` measures one trajectory at a time, with nothing shared).

    .venv/bin/python benchmarks/bench_train.py [--tasks 18] [--steps 6] [--batch 8] [--device auto] [--precision auto]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=18)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--lora-r", type=int, default=16)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--precision", default="auto", help="auto, bf16 or fp32")
    args = parser.parse_args()

    from picoagent.models.local import load_vocabulary
    from picoagent.models.weights import default_model_path
    from picoagent.train.dataset import build_dataset, read_samples
    from picoagent.train.factory import generate_tasks
    from picoagent.train.trajectories import replay

    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        root = Path(tmp)
        tasks = generate_tasks(None, args.tasks, seed=12345)
        replay(tasks, "json", root / "json", workers=2)
        build_dataset([root / "json"], root / "data.jsonl", load_vocabulary(default_model_path()), max_tokens=2048, val_percent=0)
        samples = read_samples(root / "data.jsonl")
        lengths = [len(s.input_ids) for s in samples]
        targets = [s.target_tokens for s in samples]
        print(f"dataset: {len(samples)} trajectories, median {statistics.median(lengths):.0f} tokens, {statistics.median(targets):.0f} of them targets ({sum(targets) / sum(lengths):.0%} overall)")

        command = [sys.executable, "-m", "picoagent.cli", "train", "fit", str(root / "data.jsonl"), "--out", str(root / "adapter"),
                   "--max-steps", str(args.steps), "--batch", str(args.batch), "--lora-r", str(args.lora_r), "--device", args.device, "--precision", args.precision, "--epochs", "100"]
        subprocess.run(command, check=True, capture_output=True, text=True)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        report = json.loads((root / "adapter" / "fit.json").read_text())

    seconds_per_step = report["wall_s"] / report["steps"]
    print(f"device: {report['device']}, {report['precision']}; LoRA r{args.lora_r} on attention and MLP; {report['steps']} steps of {args.batch} trajectory(ies)")
    print(f"sequence tokens/s: {report['sequence_tokens_per_s']:.0f}")
    print(f"target tokens/s:   {report['target_tokens_per_s']:.0f}")
    print(f"seconds per step:  {seconds_per_step:.2f} (mean; loading the base excluded)")
    print(f"peak RSS of the fit process: {peak_mb:.0f} MB")
    print(f"loss: first step {report['losses'][0][1]:.3f}, last step {report['losses'][-1][1]:.3f}")


if __name__ == "__main__":
    main()
