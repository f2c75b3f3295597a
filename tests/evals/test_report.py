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
