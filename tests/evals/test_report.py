"""report.md and a self-contained report.html with an inline SVG plot."""

from __future__ import annotations

from picoagent.evals.report import write_reports
from tests.evals.test_metrics import rec


def test_reports_show_suites_tasks_errors_and_a_plot(tmp_path):
    records = [rec("a", k, k != 1) for k in range(3)] + [rec("b", k, False, suite="t", status="error") for k in range(3)]
    records[3]["error"] = "setup command failed"
    md_path, html_path = write_reports(tmp_path, records, {"model": "local", "actions": "json"})
    md = md_path.read_text()
    assert "| s | 1 | 67% ± 33% |" in md
    assert "| t/b | 0% ± 0% |" in md and "harness errors" in md and "setup command failed" in md
    page = html_path.read_text()
    assert page.count("<svg") == 1 and "<rect" in page and "<line" in page  # bars with SE whiskers
    assert "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing fetched from outside
    assert "t/b" in page and "local" in page


def test_reports_name_what_ran_and_give_each_failure_its_reason_and_trace(tmp_path):
    from picoagent.trace.recorder import Recorder

    records = []
    for task, passed, status, checks, error in (
        ("ok", True, "answered", [{"type": "exact", "passed": True, "detail": "", "skipped": False}], None),
        ("wrong", False, "answered", [{"type": "exact", "passed": False, "detail": "expected 'a', got 'b'", "skipped": False}], None),
        ("slow", False, "timeout", [], "the run's time limit of 5s was reached"),
    ):
        recorder = Recorder(tmp_path / "runs")
        recorder.event("run_start", task=task, model="local:gemma-3-270m.gguf", actions="json")
        recorder.close()
        records.append({**rec(task, 0, passed, status=status), "checks": checks, "error": error, "run_id": recorder.run_id, "trace_path": str(recorder.path)})
    md_path, html_path = write_reports(tmp_path, records, {"model": "local", "actions": "default"})
    md, page = md_path.read_text(), html_path.read_text()
    assert "- model: local:gemma-3-270m.gguf (asked for local)" in md and "- actions: json (asked for default)" in md
    wrong, slow = records[1]["run_id"], records[2]["run_id"]
    assert f"| s/wrong | 0 | exact check failed: expected 'a', got 'b' | runs/{wrong}/trace.jsonl |" in md
    assert f"| s/slow | 0 | timeout: the run's time limit of 5s was reached | runs/{slow}/trace.jsonl |" in md
    assert "s/ok" not in md.split("## Failures")[1]
    assert f"href='runs/{slow}/trace.jsonl'" in page and "<h2>Failures</h2>" in page
