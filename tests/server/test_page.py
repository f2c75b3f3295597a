"""The web page in real Chromium (Playwright): start a run and watch it live, rate it, reopen it
from the list, see code and a kernel image, open an eval report and a comparison."""

from __future__ import annotations

import json
import re

import pytest

from picoagent.tools.web.browser_session import find_chromium
from tests.conftest import action
from tests.server.conftest import make_eval

pytestmark = pytest.mark.slow

# Python that draws a 16x16 red PNG by hand and displays it: the kernel publishes image/png.
DRAW = """import struct, zlib
from IPython.display import Image, display
def chunk(kind, data):
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
rows = b''.join(b'\\x00' + b'\\xff\\x00\\x00' * 16 for _ in range(16))
png = b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 16, 16, 8, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b'')
display(Image(data=png))  # a red square"""


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium("chromium"), headless=True, args=["--no-sandbox"])
        try:
            tab = browser.new_page(viewport={"width": 1200, "height": 900})
            tab.set_default_timeout(30_000)
            yield tab
        finally:
            browser.close()


def test_start_watch_rate_reopen_and_read_evals(server, page, tmp_path):
    from playwright.sync_api import expect

    make_eval(server.config.evals_dir, "baseline")
    make_eval(server.config.evals_dir, "tuned", right_answer="5")
    steps = [action("shell", thought=f"look {n}", command=f"sleep 0.8; echo seen-{n}") for n in range(3)] + [action("final_answer", answer="all seen")]
    page.goto(server.url)
    page.fill("#task-input", "look three times")
    page.fill("input[name=model]", server.script(steps))
    page.click("#start")
    page.wait_for_url(re.compile(r"#/runs/"))
    run_id = page.url.rsplit("/", 1)[1]

    # Live: the first step shows while the run is still going.
    expect(page.locator(".step[data-step='1']")).to_be_visible()
    assert page.locator("#result").inner_text() == "" and page.locator("#run-status").inner_text() == "running"
    assert page.locator("#cancel").is_visible()
    expect(page.locator("#answer")).to_have_text("all seen")
    expect(page.locator(".step")).to_have_count(4)
    assert "seen-2" in page.locator(".step[data-step='3'] pre.observation").inner_text()
    expect(page.locator("#run-status")).to_have_text("answered")
    assert page.locator("#cancel").is_hidden()
    screenshot = tmp_path / "serve-run.png"
    page.screenshot(path=str(screenshot), full_page=True)
    print(f"\nscreenshot of a finished run: {screenshot}")

    # Rate it.
    page.fill("#rate-note", "looked at every one")
    page.click("#rate-up")
    expect(page.locator("#rate-saved")).to_have_text("saved")
    feedback = json.loads((server.config.runs_dir / run_id / "feedback.jsonl").read_text())
    assert feedback["rating"] == "up" and feedback["note"] == "looked at every one"

    # Find it in the list, by search, and open it: the trace plays back, the rating shows.
    page.click("header >> text=Runs")
    page.fill("#search", "three times")
    row = page.locator(f"tr[data-run='{run_id}']")
    expect(row).to_contain_text("👍")
    row.click()
    expect(page.locator(".step")).to_have_count(4)
    expect(page.locator("#rate-up")).to_have_class(re.compile("chosen"))

    # A code run: highlighted Python, and the image the kernel produced.
    code = ["I draw a square.\n```python\n" + DRAW + "\n```", "Done.\n```python\nfinal_answer('a red square')\n```"]
    page.click("header >> text=Runs")
    page.fill("#task-input", "draw a red square")
    page.fill("input[name=model]", server.script(code, "code.json"))
    page.select_option("select[name=actions]", "code")
    page.click("#start")
    expect(page.locator("#answer")).to_have_text("a red square", timeout=60_000)
    expect(page.locator(".step pre.code .kw").first).to_have_text("import")
    image = page.locator(".step .images img")
    expect(image).to_have_count(1)
    page.wait_for_function("img => img.complete && img.naturalWidth === 16", arg=image.element_handle())

    # Evals: a report with what ran, the failure and its trace link; then a comparison.
    page.click("header >> text=Evals")
    page.click("text=baseline")
    expect(page.locator("#eval-ran")).to_contain_text("ran per-task with json actions")
    report = page.frame_locator("#eval-report")
    expect(report.locator("h2", has_text="Failures")).to_be_visible()
    expect(report.locator("body")).to_contain_text("per-task (asked for local)")
    screenshot = tmp_path / "serve-eval.png"
    page.screenshot(path=str(screenshot), full_page=True)
    print(f"screenshot of an eval report: {screenshot}")
    report.locator("a", has_text="trace").first.click()  # the failed task's trace opens in the page
    page.wait_for_url(re.compile(r"#/runs/"))
    expect(page.locator("#run-task")).to_contain_text("[guess]")
    page.click("header >> text=Evals")
    page.check("input[name=a][value=baseline]")
    page.check("input[name=b][value=tuned]")
    page.click("#compare")
    expect(page.locator("#compare-chart svg")).to_be_visible()
    expect(page.locator("#compare-suites")).to_contain_text("pass rate")
