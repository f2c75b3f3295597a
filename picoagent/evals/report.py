"""Reports of an eval: report.md and a self-contained report.html with inline SVG plots."""

from __future__ import annotations

import html
from collections import Counter
from datetime import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

from picoagent.evals.metrics import (
    METRICS,
    Estimate,
    Record,
    by_suite,
    by_task,
    summarize,
)

from picoagent.trace.recorder import first_event

SUITE_COLUMNS = list(METRICS)
ALL = "all"
# Where a report links a record's trace; None: no link (the record has no trace).
TraceHref = Callable[[Record], str | None]


def suite_rows(records: list[Record]) -> list[tuple[str, int, dict[str, Estimate]]]:
    """(suite, number of tasks, metrics) per suite, then all suites together."""
    rows = [(suite, len({r["task"] for r in rs}), summarize(rs)) for suite, rs in by_suite(records).items()]
    if len(rows) > 1:
        rows.append((ALL, len({(r["suite"], r["task"]) for r in records}), summarize(records)))
    return rows


def _statuses(records: list[Record]) -> str:
    return ", ".join(f"{status} {count}" for status, count in Counter(r["status"] for r in records).most_common())


def _notes(records: list[Record], meta: dict[str, Any]) -> list[str]:
    notes = []
    judged = sum(1 for r in records if r.get("judged"))
    if judged:
        notes.append(f"An LLM judge ({meta.get('judge')}) decided {judged} of {len(records)} results.")
    skipped = sum(1 for r in records if any(c.get("skipped") for c in r["checks"]))
    if skipped:
        notes.append(f"{skipped} results have a judge check that was skipped (judge off) and count as failed.")
    errors = [r for r in records if r["status"] == "error"]
    if errors:
        notes.append(f"{len(errors)} results are harness errors (setup or engine), not agent failures; first: {errors[0]['error']}")
    if max((r["run"] for r in records), default=0) == 0:
        notes.append("One run per task: no standard errors. Use --runs K (K ≥ 3) to measure the noise.")
    return notes


def what_ran(records: list[Record]) -> dict[str, str]:
    """The models and action formats the runs' own traces name (their run_start events).

    The meta holds what was asked for, such as "local" and "default"; this is what that
    became, such as "local:gemma-3-270m-q4_k_m.gguf" and "json". Empty without traces.
    """
    models: Counter[str] = Counter()
    formats: Counter[str] = Counter()
    for record in records:
        start = first_event(Path(record["trace_path"]), "run_start") if record.get("trace_path") else None
        if start is not None:
            models[str(start.get("model"))] += 1
            formats[str(start.get("actions"))] += 1
    return {name: ", ".join(value for value, _ in counts.most_common()) for name, counts in (("model", models), ("actions", formats)) if counts}


def failure_reason(record: Record) -> str:
    """Why a record did not pass, in one line: how the run ended, or which checks failed."""
    if record["status"] != "answered":
        return f"{record['status']}: {record['error']}" if record.get("error") else record["status"]
    failed = [c for c in record.get("checks", []) if not c.get("passed")]
    if not failed:
        return "no check passed" if not record.get("checks") else "failed"
    return "; ".join(f"{c['type']} check {'skipped (no judge)' if c.get('skipped') else 'failed'}" + (f": {c['detail']}" if c.get("detail") else "") for c in failed)


def failures(records: list[Record]) -> list[Record]:
    """Records that did not pass, in task order."""
    return sorted((r for r in records if not r["passed"]), key=lambda r: (r["suite"], r["task"], r["run"]))


def _asked_and_ran(asked: Any, ran: str | None) -> str:
    return str(asked) if ran is None or ran == str(asked) else f"{ran} (asked for {asked})"


def _header(meta: dict[str, Any], records: list[Record]) -> list[tuple[str, str]]:
    runs = max((r["run"] for r in records), default=-1) + 1
    ran = what_ran(records)
    return [
        ("model", _asked_and_ran(meta.get("model"), ran.get("model"))),
        ("actions", _asked_and_ran(meta.get("actions"), ran.get("actions"))),
        ("runs per task", str(runs)),
        ("limits", f"max steps {meta.get('max_steps') or 'per task'}, timeout {meta.get('timeout') or 'per task'}"),
        ("generated", datetime.now().strftime("%Y-%m-%d %H:%M")),
    ]


def markdown(records: list[Record], meta: dict[str, Any], trace_href: TraceHref | None = None) -> str:
    lines = ["# picoagent eval report", ""]
    lines += [f"- {name}: {value}" for name, value in _header(meta, records)] + [""]
    lines += ["## Suites", "", "| suite | tasks | " + " | ".join(METRICS[m][0] for m in SUITE_COLUMNS) + " |"]
    lines.append("|---|---:|" + "---:|" * len(SUITE_COLUMNS))
    for suite, count, metrics in suite_rows(records):
        lines.append(f"| {suite} | {count} | " + " | ".join(metrics[m].format(m) for m in SUITE_COLUMNS) + " |")
    lines += ["", "## Tasks", "", "| task | pass rate | mean steps | statuses |", "|---|---:|---:|---|"]
    for task, rs in by_task(records).items():
        metrics = summarize(rs)
        lines.append(f"| {task} | {metrics['pass_rate'].format('pass_rate')} | {metrics['steps'].format('steps')} | {_statuses(rs)} |")
    failed = failures(records)
    if failed:
        lines += ["", "## Failures", "", "| task | run | why | trace |", "|---|---:|---|---|"]
        for r in failed:
            reason = failure_reason(r).replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {r['suite']}/{r['task']} | {r['run']} | {reason} | {(trace_href(r) if trace_href else None) or ''} |")
    notes = _notes(records, meta)
    if notes:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


def bar_chart(title: str, groups: list[tuple[str, list[tuple[str, Estimate]]]], colors: list[str]) -> str:
    """Grouped vertical bars of rates in [0, 1], with ±1 SE whiskers where there is one."""
    bar, gap, top, bottom, left, height = 22, 18, 30, 40, 40, 180
    per_group = len(groups[0][1]) if groups else 1
    # Wide enough for the bars and legend, and for the title (about 7.5 px a character at 13 px bold).
    width = max(left + len(groups) * (per_group * bar + gap) + 20 + 120, left + int(len(title) * 7.5) + 20)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{top + height + bottom}" role="img" aria-label="{html.escape(title)}">']
    parts.append(f'<text x="{left}" y="18" font-size="13" font-weight="bold">{html.escape(title)}</text>')
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        y = top + height * (1 - tick)
        parts.append(f'<line x1="{left}" x2="{width - 120}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{tick:.0%}</text>')
    x = left + gap / 2
    for name, bars in groups:
        for index, (_, value) in enumerate(bars):
            y = top + height * (1 - value.mean)
            parts.append(f'<rect x="{x + index * bar:.1f}" y="{y:.1f}" width="{bar - 3}" height="{height * value.mean:.1f}" fill="{colors[index]}"/>')
            if value.se:
                cx = x + index * bar + (bar - 3) / 2
                low, high = top + height * (1 - max(value.mean - value.se, 0)), top + height * (1 - min(value.mean + value.se, 1))
                parts.append(f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{low:.1f}" y2="{high:.1f}" stroke="#222"/>')
        parts.append(f'<text x="{x + per_group * bar / 2:.1f}" y="{top + height + 16}" font-size="11" text-anchor="middle">{html.escape(name)}</text>')
        x += per_group * bar + gap
    for index, (label, _) in enumerate(groups[0][1] if groups else []):
        parts.append(f'<rect x="{width - 110}" y="{top + index * 18}" width="12" height="12" fill="{colors[index]}"/>')
        parts.append(f'<text x="{width - 94}" y="{top + index * 18 + 10}" font-size="11">{html.escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _table(head: list[str], rows: list[list[str]]) -> str:
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"


def _failure_table(records: list[Record], trace_href: TraceHref | None) -> str:
    rows = []
    for r in failures(records):
        href = trace_href(r) if trace_href else None
        link = f"<a href='{html.escape(href)}' target='_top'>trace</a>" if href else ""
        rows.append(
            f"<tr><td>{html.escape(r['suite'] + '/' + r['task'])}</td><td>{r['run']}</td>"
            f"<td class='why'>{html.escape(failure_reason(r))}</td><td>{link}</td></tr>"
        )
    return "<table><thead><tr><th>task</th><th>run</th><th>why</th><th>trace</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"


def html_report(records: list[Record], meta: dict[str, Any], trace_href: TraceHref | None = None) -> str:
    suites = suite_rows(records)
    chart = bar_chart(
        "Pass and completion rate per suite (±1 SE)",
        [(suite, [("pass", m["pass_rate"]), ("completed", m["completion_rate"])]) for suite, _, m in suites],
        ["#2b7bb9", "#9cc3e4"],
    )
    suite_table = _table(
        ["suite", "tasks"] + [METRICS[m][0] for m in SUITE_COLUMNS],
        [[suite, str(count)] + [m[c].format(c) for c in SUITE_COLUMNS] for suite, count, m in suites],
    )
    task_rows = []
    for task, rs in by_task(records).items():
        metrics = summarize(rs)
        task_rows.append([task, metrics["pass_rate"].format("pass_rate"), metrics["steps"].format("steps"), _statuses(rs)])
    header = "".join(f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>" for k, v in _header(meta, records))
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in _notes(records, meta))
    style = (
        "body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;white-space:nowrap}td:first-child,th:first-child{text-align:left}"
        "th{background:#f2f2f2}td.why{text-align:left;white-space:normal;max-width:50em}"
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>picoagent eval report</title><style>{style}</style></head><body>"
        f"<h1>picoagent eval report</h1><ul>{header}</ul><h2>Suites</h2>{chart}{suite_table}"
        f"<h2>Tasks</h2>{_table(['task', 'pass rate', 'mean steps', 'statuses'], task_rows)}"
        + (f"<h2>Failures</h2>{_failure_table(records, trace_href)}" if failures(records) else "")
        + (f"<h2>Notes</h2><ul>{notes}</ul>" if notes else "")
        + "</body></html>\n"
    )


def relative_trace(directory: Path) -> TraceHref:
    """Links to traces as paths relative to the report's directory (where the eval keeps them)."""
    base = Path(directory).resolve()

    def href(record: Record) -> str | None:
        if not record.get("trace_path"):
            return None
        path = Path(record["trace_path"]).resolve()
        return path.relative_to(base).as_posix() if path.is_relative_to(base) else str(path)

    return href


def write_reports(directory: Path, records: list[Record], meta: dict[str, Any]) -> tuple[Path, Path]:
    md_path, html_path = Path(directory) / "report.md", Path(directory) / "report.html"
    md_path.write_text(markdown(records, meta, relative_trace(directory)), encoding="utf-8")
    html_path.write_text(html_report(records, meta, relative_trace(directory)), encoding="utf-8")
    return md_path, html_path
