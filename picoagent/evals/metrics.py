"""Metrics over result records, each with a standard error across the K runs.

A metric is computed on each run's records (run 0 of every task, run 1, ...); the estimate
is the mean of those K values and its standard error is their sample standard deviation
over sqrt(K). With K = 1 there is no noise estimate (se is None). A model decoding
greedily gives identical runs and an se of 0: the noise then is only in the choice of tasks.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Record = dict[str, Any]


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


# name -> (label, function of one run's records, format)
METRICS: dict[str, tuple[str, Callable[[list[Record]], float], str]] = {
    "pass_rate": ("pass rate", lambda rs: _mean([1.0 if r["passed"] else 0.0 for r in rs]), "{:.0%}"),
    "completion_rate": ("completion", lambda rs: _mean([1.0 if r["status"] == "answered" else 0.0 for r in rs]), "{:.0%}"),
    # Answers given only in the last call, after the step limit or a repeated action.
    "last_call_rate": ("last-call answers", lambda rs: _mean([1.0 if r["status"] == "answered" and r.get("last_call") else 0.0 for r in rs]), "{:.0%}"),
    "steps": ("mean steps", lambda rs: _mean([r["steps"] for r in rs]), "{:.1f}"),
    "prompt_tokens": ("prompt tok", lambda rs: _mean([r["prompt_tokens"] for r in rs]), "{:.0f}"),
    "completion_tokens": ("completion tok", lambda rs: _mean([r["completion_tokens"] for r in rs]), "{:.0f}"),
    "wall_s": ("wall s", lambda rs: _mean([r["wall_s"] for r in rs]), "{:.1f}"),
    "invalid_rate": ("invalid actions", lambda rs: _ratio(sum(r["invalid_actions"] for r in rs), sum(r["steps"] for r in rs)), "{:.0%}"),
}


@dataclass
class Estimate:
    mean: float
    se: float | None
    runs: int

    def format(self, metric: str) -> str:
        pattern = METRICS[metric][2]
        text = pattern.format(self.mean)
        return text if self.se is None else f"{text} ± {pattern.format(self.se)}"


def estimate(records: list[Record], metric: str) -> Estimate:
    by_run: dict[int, list[Record]] = defaultdict(list)
    for record in records:
        by_run[int(record["run"])].append(record)
    function = METRICS[metric][1]
    values = [function(group) for _, group in sorted(by_run.items())]
    if len(values) < 2:
        return Estimate(values[0] if values else 0.0, None, len(values))
    mean = _mean(values)
    variance = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return Estimate(mean, math.sqrt(variance / len(values)), len(values))


def summarize(records: list[Record]) -> dict[str, Estimate]:
    return {metric: estimate(records, metric) for metric in METRICS}


def group(records: list[Record], key: Callable[[Record], str]) -> dict[str, list[Record]]:
    groups: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        groups[key(record)].append(record)
    return dict(sorted(groups.items()))


def by_suite(records: list[Record]) -> dict[str, list[Record]]:
    return group(records, lambda r: r["suite"])


def by_task(records: list[Record]) -> dict[str, list[Record]]:
    return group(records, lambda r: f"{r['suite']}/{r['task']}")
