"""Parse time against reply size for the json, code and text parsers: linear, with bounded depth.

Each parser gets replies of 16K to 256K characters built from hostile shapes (unclosed
braces, deep nesting, many fences or labels) and from a normal action padded with prose.
Prints the median time per size and the exponent k of a least-squares fit time ~ size^k
over the sizes: about 1 for a linear parser, 2 for a quadratic one. On shared cores a
single slow sample moves k by a few tenths; the times themselves show the shape.

    .venv/bin/python benchmarks/bench_parse.py
"""

from __future__ import annotations

import math
import statistics
import tempfile
import time
from pathlib import Path

from picoagent.actions import make_format
from picoagent.actions.base import ActionParseError
from picoagent.config import Config
from picoagent.tools.builtin import builtin_tools
from picoagent.tools.registry import ToolRegistry

SIZES = [16_384, 32_768, 65_536, 131_072, 262_144]
REPEATS = 5
ACTION = '{"thought": "t", "tool": "shell", "args": {"command": "ls"}}'
SHAPES = {
    "open braces": lambda n: "{" * n,
    "nested objects": lambda n: '{"a": ' * (n // 6),
    "closed nesting": lambda n: "{" * (n // 2) + "}" * (n // 2),
    "unclosed strings": lambda n: '{"' * (n // 2),
    "fences": lambda n: "```\n" * (n // 4),
    "labels": lambda n: "Action: shell\n" * (n // 14),
    "prose + action": lambda n: "word " * ((n - len(ACTION)) // 5) + ACTION,
}


def median_seconds(parse, text: str) -> float:
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        try:
            parse(text)
        except ActionParseError:
            pass
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def exponent(seconds: list[float]) -> float:
    """The slope of log(time) against log(size): least squares over all sizes."""
    xs, ys = [math.log(size) for size in SIZES], [math.log(max(s, 1e-7)) for s in seconds]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / sum((x - mean_x) ** 2 for x in xs)


def main() -> None:
    workspace = Path(tempfile.mkdtemp(prefix="bench-parse-"))
    registry = ToolRegistry(builtin_tools(workspace))
    config = Config(model="scripted")
    print(f"median of {REPEATS} parses, milliseconds, by reply size in characters; k: time ~ size^k")
    print(f"{'parser':6} {'shape':17} " + " ".join(f"{size:>9,}" for size in SIZES) + "      k")
    worst = 0.0
    for name in ("json", "code", "text"):
        parse = make_format(name, registry, workspace=workspace, config=config).parse
        for shape, build in SHAPES.items():
            seconds = [median_seconds(parse, build(size)) for size in SIZES]
            worst = max(worst, seconds[-1])
            print(f"{name:6} {shape:17} " + " ".join(f"{s * 1000:9.2f}" for s in seconds) + f"   {exponent(seconds):4.2f}")
    print(f"slowest parse of a {SIZES[-1]:,}-character reply: {worst * 1000:.1f} ms")


if __name__ == "__main__":
    main()
