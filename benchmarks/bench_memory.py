"""Peak memory (RSS) of a `picoagent run` on the embedded default, per context size.

Each run is a fresh process; its peak RSS comes from the kernel's accounting of the child.

    .venv/bin/python benchmarks/bench_memory.py [--contexts 4096 8192 16384 32768]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

RUN = [sys.executable, "-m", "picoagent.cli", "run", "How many lines does /etc/passwd have?", "--max-steps", "3", "--json"]


def peak_rss_mb(context_tokens: int, runs_dir: str) -> float:
    """Run one agent task in a child that reports its own peak RSS, so earlier children don't count."""
    code = (
        "import resource, sys, runpy\n"
        f"sys.argv = {['picoagent', *RUN[3:], '--context-tokens', str(context_tokens)]!r}\n"
        "try:\n    runpy.run_module('picoagent.cli', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "PICOAGENT_RUNS_DIR": runs_dir}, timeout=1800)
    line = next(line for line in done.stderr.splitlines() if line.startswith("PEAK_RSS_KB"))
    return int(line.split()[1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contexts", type=int, nargs="+", default=[4096, 8192, 16384, 32768])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as runs_dir:
        for context in args.contexts:
            print(f"n_ctx {context:>6}: peak RSS {peak_rss_mb(context, runs_dir):7.0f} MB", flush=True)


if __name__ == "__main__":
    main()
