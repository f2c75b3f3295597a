"""Compare two eval results: per suite (every metric) and per task (pass rate).

A difference counts as beyond the noise when |diff| > 2 * SE(diff), with
SE(diff) = sqrt(SE_a² + SE_b²) from the K runs on each side; with K = 1 on either
side there is no noise estimate and the verdict is "?".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from picoagent.evals.metrics import (
    METRICS,
    Estimate,
    Record,
    by_suite,
    by_task,
    estimate,
)


@dataclass
class Difference:
    name: str
    metric: str
    a: Estimate | None
    b: Estimate | None

    @property
    def diff(self) -> float | None:
        return None if self.a is None or self.b is None else self.b.mean - self.a.mean

    @property
    def se(self) -> float | None:
        if self.a is None or self.b is None or self.a.se is None or self.b.se is None:
            return None
        return math.sqrt(self.a.se**2 + self.b.se**2)

    @property
    def verdict(self) -> str:
        """"beyond noise", "within noise", "?" (no noise estimate) or "only in A/B"."""
        if self.a is None:
            return "only in B"
        if self.b is None:
            return "only in A"
        if self.se is None:
            return "?"
        diff = self.diff or 0.0
        return "beyond noise" if abs(diff) > 2 * self.se and diff != 0 else "within noise"

    def format_diff(self) -> str:
        if self.diff is None:
            return ""
        text = METRICS[self.metric][2].format(self.diff)
        return ("+" + text) if self.diff > 0 else text


def _side_by_side(groups_a: dict[str, list[Record]], groups_b: dict[str, list[Record]], metrics: list[str]) -> list[Difference]:
    rows = []
    for name in sorted(set(groups_a) | set(groups_b)):
        for metric in metrics:
            a = estimate(groups_a[name], metric) if name in groups_a else None
            b = estimate(groups_b[name], metric) if name in groups_b else None
            rows.append(Difference(name, metric, a, b))
    return rows


def compare_suites(a: list[Record], b: list[Record]) -> list[Difference]:
    return _side_by_side(by_suite(a), by_suite(b), list(METRICS))


def compare_tasks(a: list[Record], b: list[Record]) -> list[Difference]:
    return _side_by_side(by_task(a), by_task(b), ["pass_rate"])
