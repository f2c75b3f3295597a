"""What the server reads from disk: recorded runs (its own and the evals') and eval results.

Everything here reads the files the Recorder and the eval runner wrote; nothing re-runs a
model. Names from a request are checked against a strict pattern before they touch a path.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from picoagent.errors import PicoagentError
from picoagent.evals.compare import Difference, compare_suites, compare_tasks
from picoagent.evals.metrics import METRICS
from picoagent.evals.report import bar_chart, failure_reason, failures, suite_rows, what_ran
from picoagent.evals.results import META_NAME, RESULTS_NAME, read_records
from picoagent.trace.recorder import TRACE_NAME

# Run ids (20250101-120000-abcdef) and eval directory names (terminal-local-json).
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$")


class NotFound(PicoagentError):
    """A run or eval that is not there (404)."""


def checked_name(name: str, what: str) -> str:
    if not SAFE_NAME.match(name) or ".." in name:
        raise NotFound(f"no {what} {name!r}: a {what} name has letters, digits and . _ + - only")
    return name


class Catalog:
    def __init__(self, runs_dir: Path, evals_dir: Path):
        self.runs_dir = Path(runs_dir)
        self.evals_dir = Path(evals_dir)

    def run_dir(self, run_id: str) -> Path | None:
        """The directory of a run by id: the server's runs first, then each eval's runs."""
        checked_name(run_id, "run")
        for base in [self.runs_dir, *(path / "runs" for path in self._eval_dirs())]:
            if (base / run_id / TRACE_NAME).is_file():
                return base / run_id
        return None

    # Evals.

    def _eval_dirs(self) -> list[Path]:
        if not self.evals_dir.is_dir():
            return []
        found = [path for path in self.evals_dir.iterdir() if (path / RESULTS_NAME).is_file() and SAFE_NAME.match(path.name)]
        return sorted(found, key=lambda path: os.path.getmtime(path / RESULTS_NAME), reverse=True)

    def eval_dir(self, name: str) -> Path:
        path = self.evals_dir / checked_name(name, "eval")
        if not (path / RESULTS_NAME).is_file():
            raise NotFound(f"no eval {name!r} in {self.evals_dir}")
        return path

    def list_evals(self) -> list[dict[str, Any]]:
        evals = []
        for path in self._eval_dirs():
            records = read_records(path)
            evals.append(
                {
                    "name": path.name,
                    "meta": _meta(path),
                    "records": len(records),
                    "passed": sum(1 for r in records if r["passed"]),
                    "modified": os.path.getmtime(path / RESULTS_NAME),
                }
            )
        return evals

    def eval_records(self, name: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        path = self.eval_dir(name)
        return read_records(path), _meta(path)

    def eval_summary(self, name: str) -> dict[str, Any]:
        """An eval's results: what ran (from the traces), metrics per suite, and every failure with its reason."""
        records, meta = self.eval_records(name)
        return {
            "name": name,
            "meta": meta,
            "ran": what_ran(records),
            "suites": [
                {"suite": suite, "tasks": count, **{metric: _estimate(value) for metric, value in metrics.items()}}
                for suite, count, metrics in suite_rows(records)
            ],
            "failures": [
                {"task": f"{r['suite']}/{r['task']}", "run": r["run"], "status": r["status"], "reason": failure_reason(r), "run_id": r.get("run_id")}
                for r in failures(records)
            ],
            "records": records,
        }

    def compare(self, name_a: str, name_b: str) -> dict[str, Any]:
        a, _ = self.eval_records(name_a)
        b, _ = self.eval_records(name_b)
        suites = compare_suites(a, b)
        passes = [d for d in suites if d.metric == "pass_rate" and d.a is not None and d.b is not None]
        chart = bar_chart(
            f"Pass rate per suite: A = {name_a}, B = {name_b} (±1 SE)",
            [(d.name, [("A", d.a), ("B", d.b)]) for d in passes],  # type: ignore[list-item]
            ["#2b7bb9", "#e08a2c"],
        )
        return {"a": name_a, "b": name_b, "suites": [_difference(d) for d in suites], "tasks": [_difference(d) for d in compare_tasks(a, b)], "chart": chart}


def _meta(path: Path) -> dict[str, Any]:
    try:
        return json.loads((path / META_NAME).read_text())
    except (OSError, ValueError):
        return {}


def _estimate(value: Any) -> dict[str, Any]:
    return {"mean": value.mean, "se": value.se, "runs": value.runs}


def _difference(d: Difference) -> dict[str, Any]:
    fmt = METRICS[d.metric][2]
    return {
        "name": d.name,
        "metric": METRICS[d.metric][0],
        "a": d.a.format(d.metric) if d.a else None,
        "b": d.b.format(d.metric) if d.b else None,
        "diff": d.format_diff() if d.diff is not None else None,
        "noise": "" if d.se is None else f"±{fmt.format(2 * d.se)}",
        "verdict": d.verdict,
    }
