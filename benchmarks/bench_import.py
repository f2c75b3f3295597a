"""Start-up cost: `import picoagent`, `from picoagent import Agent, tool`, and `picoagent --help`.

Each import is timed inside a fresh interpreter (so the interpreter's own start-up is not
counted), REPEATS times; `picoagent --help` is the wall time of the whole command, next to
that of a bare `python -c pass`. Medians are printed. Target: `import picoagent` under 250 ms.

    .venv/bin/python benchmarks/bench_import.py [--repeats 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

IMPORTS = {
    "import picoagent": "import picoagent",
    "from picoagent import Agent, tool": "from picoagent import Agent, tool",
    "pydantic alone, for comparison": "from pydantic import BaseModel, Field, create_model",
}
TIMED = "import time; started = time.perf_counter(); {statement}; print((time.perf_counter() - started) * 1000)"
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "picoagent --help": [str(Path(sys.executable).with_name("picoagent")), "--help"],
}


def import_ms(statement: str) -> float:
    done = subprocess.run([sys.executable, "-c", TIMED.format(statement=statement)], check=True, capture_output=True, text=True)
    return float(done.stdout)


def command_ms(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    repeats = parser.parse_args().repeats
    import_ms("import picoagent")  # warm the file cache
    print(f"median of {repeats} fresh processes each")
    for name, statement in IMPORTS.items():
        print(f"{name:36s} {statistics.median(import_ms(statement) for _ in range(repeats)):6.0f} ms")
    for name, command in COMMANDS.items():
        print(f"{name:36s} {statistics.median(command_ms(command) for _ in range(repeats)):6.0f} ms (whole process)")


if __name__ == "__main__":
    main()
