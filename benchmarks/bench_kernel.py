"""What the kernel costs: start time, and one code execution's round trip against exec() in-process.

Also the round trip of one tool call made from kernel code (kernel -> unix socket ->
engine registry -> back) against calling the registry directly.

    .venv/bin/python benchmarks/bench_kernel.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from picoagent.actions.base import CodeAction
from picoagent.actions.code_executor import CodeExecutor
from picoagent.exec.kernel import Kernel, KernelLimits
from picoagent.tools.builtin import builtin_tools
from picoagent.tools.registry import ToolRegistry

STARTS = 10
EXECUTIONS = 200
CODE = "total = sum(range(100))"


def median_ms(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp)
        (workspace / "notes.txt").write_text("hello\n")

        def start_and_close() -> None:
            kernel = Kernel(workspace, KernelLimits())
            kernel.ensure_ready()
            kernel.close()

        start_ms = median_ms(start_and_close, STARTS)

        kernel = Kernel(workspace, KernelLimits())
        try:
            kernel_ms = median_ms(lambda: kernel.execute(CODE), EXECUTIONS)
        finally:
            kernel.close()
        namespace: dict[str, object] = {}
        compiled_each_time_ms = median_ms(lambda: exec(compile(CODE, "<step>", "exec"), namespace), EXECUTIONS)

        registry = ToolRegistry(builtin_tools(workspace))
        executor = CodeExecutor(registry, workspace, KernelLimits())
        try:
            executor.execute(CodeAction(thought="", code="1"))  # wait for the kernel to be up
            via_kernel_ms = median_ms(lambda: executor.execute(CodeAction(thought="", code="read_file('notes.txt')")), EXECUTIONS)
        finally:
            executor.close()
        direct_ms = median_ms(lambda: registry.call("read_file", {"path": "notes.txt"}), EXECUTIONS)

    print(f"kernel start (launch, ready, IPython setup; median of {STARTS}): {start_ms:.0f} ms")
    print(f"one execution of {CODE!r} (median of {EXECUTIONS}): kernel {kernel_ms:.2f} ms, in-process exec {compiled_each_time_ms:.3f} ms")
    print(f"kernel round-trip overhead: {kernel_ms - compiled_each_time_ms:.2f} ms per step")
    print(f"read_file from code (execution + tool call through the bridge): {via_kernel_ms:.2f} ms; registry.call directly: {direct_ms:.3f} ms")


if __name__ == "__main__":
    main()
