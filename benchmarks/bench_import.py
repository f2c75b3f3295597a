"""Start-up cost: `import picoagent`, `from picoagent import Agent, tool`, and `picoagent --help`.

Each is timed in a fresh interpreter, REPEATS times, against a bare `python -c pass`, and
the median wall time is printed with and without the interpreter's own start-up. Target:
`import picoagent` under 250 ms.

    .venv/bin/python benchmarks/bench_import.py [--repeats 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

CASES = {
    "python -c pass (the interpreter alone)": [sys.executable, "-c", "pass"],
    "import picoagent": [sys.executable, "-c", "import picoagent"],
    "from picoagent import Agent, tool": [sys.executable, "-c", "from picoagent import Agent, tool"],
    "picoagent --help": [str(Path(sys.executable).with_name("picoagent")), "--help"],
}


def median_ms(command: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    repeats = parser.parse_args().repeats
    for command in CASES.values():  # warm the file cache once
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    baseline = None
    print(f"median of {repeats} fresh processes each")
    for name, command in CASES.items():
        ms = median_ms(command, repeats)
        baseline = ms if baseline is None else baseline
        extra = "" if ms is baseline else f"  ({ms - baseline:.0f} ms over the interpreter)"
        print(f"{name:40s} {ms:7.0f} ms{extra}")


if __name__ == "__main__":
    main()
