"""One headless Chromium per run, started on first use, driven from one dedicated thread.

Playwright's sync API belongs to the thread that started it. Tools may be called from
the agent's thread or from a code-mode bridge's server thread, so every Playwright call
is submitted to a single worker thread and the caller waits for its result.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

from playwright.sync_api import (
    Browser,
    BrowserContext,
    Dialog,
    Page,
    Playwright,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError

T = TypeVar("T")

# Flags for a machine with no display and perhaps no internet: no sandbox (containers),
# no GPU, and none of the background traffic (updates, sync, QUIC probes) Chromium
# would otherwise start. Playwright adds --headless and a fresh temporary profile.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
]
VIEWPORT = {"width": 1280, "height": 800}
# Extra time a caller waits beyond Playwright's own timeouts before giving up on the worker.
WORKER_GRACE_S = 15.0


class BrowserUnavailable(RuntimeError):
    """Chromium is missing or the browser stopped responding; the message says what to do."""


def find_chromium(executable: str) -> str:
    path = shutil.which(executable)
    if path is None:
        raise BrowserUnavailable(
            f"Chromium was not found ({executable!r}). Install Debian's package: apt-get install chromium "
            "(setup.sh does this), or set PICOAGENT_CHROMIUM to a Chromium executable."
        )
    return path


class BrowserSession:
    def __init__(self, executable: str = "chromium", *, timeout_s: float = 20.0):
        self.executable = executable
        self.timeout_s = timeout_s
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="picoagent-browser")
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._context: BrowserContext | None = None
        self._page: Page | None = None
        self._dialogs: list[str] = []
        self.closed = False
        self.launch_s: float | None = None  # how long the last launch took, for the benchmark

    @property
    def started(self) -> bool:
        return self._browser is not None

    def run(self, job: Callable[[Page], T]) -> T:
        """Run `job(page)` on the browser thread, starting the browser first if needed."""
        if self.closed:
            raise BrowserUnavailable("the browser session is closed (the run has ended)")
        future = self._worker.submit(self._attempt, job)
        try:
            return future.result(timeout=self.timeout_s + WORKER_GRACE_S)
        except FutureTimeout:
            raise BrowserUnavailable(f"the browser did not answer within {self.timeout_s + WORKER_GRACE_S:.0f}s") from None

    def take_dialogs(self) -> list[str]:
        """Messages of alert/confirm/prompt dialogs since the last call (they are accepted automatically).

        Call it from inside a job, on the browser thread, where the list is written."""
        taken, self._dialogs = self._dialogs, []
        return taken

    def close(self) -> None:
        """Close the browser and stop the worker; safe to call twice and when never started."""
        if self.closed:
            return
        self.closed = True
        if self.started:
            try:
                self._worker.submit(self._shutdown).result(timeout=WORKER_GRACE_S)
            except Exception:  # a browser that died or hangs must not keep the run from ending
                pass
        self._worker.shutdown(wait=False, cancel_futures=True)

    # Everything below runs on the browser thread only.

    def _attempt(self, job: Callable[[Page], T]) -> T:
        try:
            return job(self._current_page())
        except PlaywrightError:
            # Playwright learns that Chromium died (crashed, killed) only when a call fails;
            # then start a fresh browser and try once more rather than fail every later call.
            if self._browser is not None and self._browser.is_connected():
                raise
            return job(self._current_page())

    def _current_page(self) -> Page:
        if self._browser is None or not self._browser.is_connected():
            self._launch()
        assert self._context is not None
        if self._page is None or self._page.is_closed():
            open_pages = [page for page in self._context.pages if not page.is_closed()]
            # A new page is announced through the context's "page" event, which watches it.
            self._page = open_pages[-1] if open_pages else self._context.new_page()
        return self._page

    def _launch(self) -> None:
        started = time.perf_counter()
        executable = find_chromium(self.executable)
        if self._playwright is None:
            self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS, timeout=self.timeout_s * 1000
        )
        self._context = self._browser.new_context(viewport=VIEWPORT, accept_downloads=False, service_workers="block")
        self._context.set_default_timeout(self.timeout_s * 1000)
        # A link with target=_blank opens a new tab: follow it, as a person would see it.
        self._context.on("page", self._follow_new_page)
        self._page = None
        self.launch_s = time.perf_counter() - started

    def _follow_new_page(self, page: Page) -> None:
        page.on("dialog", self._accept_dialog)
        self._page = page

    def _accept_dialog(self, dialog: Dialog) -> None:
        self._dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.accept()

    def _shutdown(self) -> None:
        try:
            if self._browser is not None:
                self._browser.close()
        finally:
            if self._playwright is not None:
                self._playwright.stop()
            self._playwright = self._browser = self._context = self._page = None
