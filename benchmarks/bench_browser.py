"""Browser tool figures on the web suite's local site: start time, time per action, snapshot size.

    .venv/bin/python benchmarks/bench_browser.py [--repeats 10]

Sizes are in characters and in tokens estimated as characters / 4; "raw" is Playwright's
AI aria snapshot, "pruned" is what the model is shown (picoagent/tools/web/snapshot.py).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from picoagent.config import Config
from picoagent.evals.tasks import SUITES_DIR, import_file
from picoagent.tools.registry import ToolRegistry
from picoagent.tools.web.snapshot import prune_snapshot
from picoagent.tools.web.toolset import install_web_tools

PAGES = ["/index.html", "/catalog.html", "/order.html", "/news.html", "/notes.html", "/guide.html", "/products/raised-bed.html"]


def timed_ms(registry: ToolRegistry, tool: str, args: dict) -> float:
    started = time.perf_counter()
    observation = registry.call(tool, args)
    elapsed = (time.perf_counter() - started) * 1000
    if observation.is_error:
        raise RuntimeError(f"{tool}({args}) failed: {observation.text[:300]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    repeats = parser.parse_args().repeats
    site = import_file(SUITES_DIR / "web" / "site_server.py")
    with site.serve_site() as url, tempfile.TemporaryDirectory() as workspace:
        registry = ToolRegistry()
        session = install_web_tools(registry, Path(workspace), Config(model="scripted"))
        try:
            first_open = timed_ms(registry, "open_url", {"url": f"{url}/index.html"})
            print(f"browser start (launch + context): {session.launch_s * 1000:.0f} ms; first open() including it: {first_open:.0f} ms")

            actions = {
                "open": lambda: timed_ms(registry, "open_url", {"url": f"{url}/catalog.html"}),
                "snapshot": lambda: timed_ms(registry, "snapshot", {}),
                "click (link, navigates)": lambda: timed_ms(registry, "click", {"ref": _ref(registry, url, "Cedar Raised Bed")}),
                "back": lambda: timed_ms(registry, "back", {}),
                "type": lambda: timed_ms(registry, "type_text", {"ref": _ref(registry, url, "Full name", page="/order.html"), "text": "Ada Lovelace"}),
                "select": lambda: timed_ms(registry, "select", {"ref": _ref(registry, url, "Product", page="/order.html"), "option": "Bamboo Trellis"}),
                "scroll": lambda: timed_ms(registry, "scroll", {"direction": "down"}),
                "screenshot": lambda: timed_ms(registry, "screenshot", {}),
                "read_screen (OCR)": lambda: timed_ms(registry, "read_screen", {}),
                "fetch_url (no browser)": lambda: timed_ms(registry, "fetch_url", {"url": f"{url}/guide.html?n={time.perf_counter_ns()}"}),
            }
            print(f"\nmedian ms per action over {repeats} runs (each includes the snapshot it returns):")
            for name, run in actions.items():
                samples = [run() for _ in range(repeats)]
                print(f"  {name:26s} {statistics.median(samples):7.0f}")

            print("\nsnapshot size per page (chars / est. tokens):")
            print(f"  {'page':28s} {'raw':>15s} {'pruned':>15s}")
            for page in PAGES:
                registry.call("open_url", {"url": url + page})
                raw = session.run(lambda p: p.aria_snapshot(mode="ai"))
                pruned = prune_snapshot(raw).text
                print(f"  {page:28s} {len(raw):7d} / {len(raw) // 4:5d} {len(pruned):7d} / {len(pruned) // 4:5d}")
        finally:
            registry.close()


def _ref(registry: ToolRegistry, url: str, name: str, page: str = "/catalog.html") -> str:
    """Open `page` (outside the timing) and read the ref of the element named `name`."""
    import re

    text = registry.call("open_url", {"url": url + page}).text
    return re.search(rf'"{re.escape(name)}"(?: \[[^\]]*\])*? \[ref=([a-z0-9]+)\]', text).group(1)


if __name__ == "__main__":
    main()
