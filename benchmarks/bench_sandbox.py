"""What the sandbox costs: extra milliseconds per shell step and per kernel start.

Shell steps (`true`, and a short pipeline) and kernel starts (launch until the first
execution returns) run alternately with the sandbox off and on, in one process, so both
see the same machine load; medians and their differences are printed.

    .venv/bin/python benchmarks/bench_sandbox.py [--steps 40] [--starts 8]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from picoagent.exec.kernel import Kernel, KernelLimits
from picoagent.exec.sandbox import Sandbox, choose_sandbox
from picoagent.exec.shell import run_shell

COMMANDS = {"true": "true", "pipeline": "seq 1000 | sort -r | head -3 | wc -l"}


def timed_ms(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return (time.perf_counter() - started) * 1000


def kernel_start(workspace: Path, sandbox: Sandbox | None) -> None:
    kernel = Kernel(workspace, KernelLimits(), sandbox=sandbox)
    try:
        assert kernel.execute("1 + 1").output.value == "2"
    finally:
        kernel.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40, help="shell steps per command and mode")
    parser.add_argument("--starts", type=int, default=8, help="kernel starts per mode")
    args = parser.parse_args()
    choice = choose_sandbox("on", network=False)
    print(choice.description)
    modes: dict[str, Sandbox | None] = {"off": None, "on": choice.sandbox}
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp)
        for name, command in COMMANDS.items():
            times: dict[str, list[float]] = {"off": [], "on": []}
            for _ in range(args.steps):
                for mode, sandbox in modes.items():  # alternate, so drifting load hits both alike
                    times[mode].append(timed_ms(lambda: run_shell(command, workspace, sandbox=sandbox)))
            off, on = statistics.median(times["off"]), statistics.median(times["on"])
            print(f"shell step {name!r}: median {off:.1f} ms off, {on:.1f} ms on: +{on - off:.1f} ms ({on / off:.2f}x), {args.steps} each")
        times = {"off": [], "on": []}
        for _ in range(args.starts):
            for mode, sandbox in modes.items():
                times[mode].append(timed_ms(lambda: kernel_start(workspace, sandbox)))
        off, on = statistics.median(times["off"]), statistics.median(times["on"])
        print(f"kernel start to first result: median {off:.0f} ms off, {on:.0f} ms on: +{on - off:.0f} ms ({on / off:.2f}x), {args.starts} each")


if __name__ == "__main__":
    main()
