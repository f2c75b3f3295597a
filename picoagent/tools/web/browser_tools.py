"""Browser tools over one BrowserSession: open, snapshot, click, type, select, scroll, back, screenshot, read_screen.

Every action answers with the page as it is afterwards (title, address and the pruned
accessibility snapshot), so the model sees the effect of what it did without spending a
step on snapshot(). Elements are named by the refs in that snapshot (e12); refs come from
Playwright's AI snapshot and resolve through its `aria-ref=` selector.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from picoagent.tools.registry import Tool
from picoagent.tools.web.browser_session import VIEWPORT, BrowserSession
from picoagent.tools.web.framing import frame_untrusted
from picoagent.tools.web.ocr import ocr_png
from picoagent.tools.web.snapshot import (
    Pruned,
    part_holding_line,
    prune_snapshot,
    split_parts,
)
from picoagent.tools.web.urls import require_http_url

# A ref that is on the page resolves at once; waiting the full navigation timeout for
# an element that is not there only wastes the model's time.
ACTION_TIMEOUT_MS = 5000
# Time for scripts to react to a scroll (lazy loading, infinite lists).
SCROLL_SETTLE_MS = 400


class RefNotFound(LookupError):
    """The model named an element that is not on the current page."""


@dataclass
class PageView:
    url: str
    title: str
    snapshot: Pruned
    dialogs: list[str] = field(default_factory=list)


def normalize_ref(ref: str) -> str:
    """The ref in what small models write: e12, f1e12, [ref=e12], ref=e12, E12, or 12 for e12."""
    match = re.search(r"(?i)\b((?:f\d+)?e\d+)\b", ref)
    if match:
        return match.group(1).lower()
    number = re.fullmatch(r"\s*(\d+)\s*", ref)
    if number is None:
        raise RefNotFound(f"{ref!r} is not a ref; refs look like e12 and are listed in the snapshot")
    return f"e{number.group(1)}"


def _element(page: Page, ref: str):
    locator = page.locator(f"aria-ref={normalize_ref(ref)}")
    if locator.count() == 0:
        raise RefNotFound(f"there is no element {ref} on the current page; call snapshot() to see the current refs")
    return locator


def _settle(page: Page, timeout_ms: float) -> None:
    """Wait for a navigation the action started, if any, to finish loading."""
    try:
        page.wait_for_load_state("load", timeout=timeout_ms)
    except PlaywrightTimeout:
        pass  # a slow page is still shown as far as it has loaded


def _view(session: BrowserSession, page: Page) -> PageView:
    raw = page.aria_snapshot(mode="ai", boxes=True)
    pruned = prune_snapshot(raw, viewport_height=VIEWPORT["height"])
    return PageView(url=page.url, title=page.title(), snapshot=pruned, dialogs=session.take_dialogs())


class _Views:
    """The last page view, split into parts, so snapshot(part=2) pages through the same snapshot."""

    def __init__(self, part_chars: int):
        self.part_chars = part_chars
        self.parts: list[str] = []
        self.view: PageView | None = None

    def render(self, view: PageView, part: int = 1, note: str = "", *, at_viewport: bool = False) -> str:
        """The view's part `part`, or with at_viewport the part showing what is on the screen."""
        if view is not self.view:
            self.view, self.parts = view, split_parts(view.snapshot.text, self.part_chars)
        count = len(self.parts)
        if at_viewport and view.snapshot.first_visible_line is not None:
            part = part_holding_line(self.parts, view.snapshot.first_visible_line)
        if not 1 <= part <= count:
            raise ValueError(f"the snapshot has {count} part(s); ask for part 1 to {count}")
        lines = [f"Title: {view.title}", f"URL: {view.url}"]
        lines += [f"Dialog shown by the page ({message})" for message in view.dialogs]
        lines.append(self.parts[part - 1])
        footer = f"Snapshot part {part} of {count}." + (f" More: snapshot(part={part + 1})." if part < count else "")
        footer += " Act on elements by their ref, e.g. click(ref='e12')."
        return frame_untrusted("\n".join(lines), view.url, header=note, footer=footer)


def browser_tools(session: BrowserSession, workspace: Path, *, part_chars: int) -> list[Tool]:
    views = _Views(part_chars)
    timeout_ms = session.timeout_s * 1000
    screenshots = workspace / "screenshots"

    def open_page(url: str) -> str:
        """Open a web page in the browser and show it: title, address and its elements, interactive ones with refs like e12.

        Args:
            url: The http(s) address to open.
        """
        url = require_http_url(url)

        def job(page: Page) -> tuple[PageView, int | None]:
            response = page.goto(url, wait_until="load")
            return _view(session, page), response.status if response else None

        view, status = session.run(job)
        note = f"Opened {url}" + (f" (HTTP status {status})" if status and status >= 400 else "")
        return views.render(view, note=note)

    def snapshot(part: int = 1) -> str:
        """Show the current page again: title, address and its elements, interactive ones with refs like e12. Long pages come in parts.

        Args:
            part: Which part of a long snapshot to show, from 1; part 1 takes a fresh snapshot.
        """
        if part > 1 and views.view is not None:
            return views.render(views.view, part)
        return views.render(session.run(lambda page: _view(session, page)), part)

    def click(ref: str) -> str:
        """Click an element (link, button, checkbox, ...) by its ref from the snapshot, and show the page afterwards.

        Args:
            ref: The element's ref from the snapshot, e.g. e12.
        """

        def job(page: Page) -> PageView:
            _element(page, ref).click(timeout=ACTION_TIMEOUT_MS)
            _settle(page, timeout_ms)
            return _view(session, page)

        return views.render(session.run(job), note=f"Clicked {ref}.")

    def type_text(ref: str, text: str, submit: bool = False) -> str:
        """Type text into a text field by its ref, replacing what it held; optionally press Enter to submit.

        Args:
            ref: The text field's ref from the snapshot, e.g. e12.
            text: The text to enter.
            submit: Press Enter afterwards, e.g. to send a search or a form.
        """

        def job(page: Page) -> PageView:
            element = _element(page, ref)
            element.fill(text, timeout=ACTION_TIMEOUT_MS)
            if submit:
                element.press("Enter", timeout=ACTION_TIMEOUT_MS)
                _settle(page, timeout_ms)
            return _view(session, page)

        note = f"Typed into {ref}" + (" and pressed Enter." if submit else ".")
        return views.render(session.run(job), note=note)

    def select(ref: str, option: str) -> str:
        """Choose an option in a drop-down list (combobox) by its ref.

        Args:
            ref: The drop-down's ref from the snapshot, e.g. e12.
            option: The option's visible text (or its value).
        """

        def job(page: Page) -> PageView:
            element = _element(page, ref)
            choices = element.evaluate(
                "el => el.tagName === 'SELECT' ? Array.from(el.options).map(o => [o.label, o.value]) : null"
            )
            if choices is None:
                raise ValueError(f"{ref} is not a drop-down list; click an option instead")
            if not any(option in pair for pair in choices):
                labels = ", ".join(repr(label) for label, _ in choices)
                raise ValueError(f"{ref} has no option {option!r}; its options are {labels}")
            element.select_option(option, timeout=ACTION_TIMEOUT_MS)
            _settle(page, timeout_ms)
            return _view(session, page)

        return views.render(session.run(job), note=f"Selected {option!r} in {ref}.")

    def scroll(direction: Literal["down", "up", "top", "bottom"]) -> str:
        """Scroll the page, which can load more content on pages that load as you scroll; shows the page afterwards.

        Args:
            direction: down or up by most of a screen, or to the top or bottom of the page.
        """
        script = {
            "down": "window.scrollBy(0, window.innerHeight * 0.8)",
            "up": "window.scrollBy(0, -window.innerHeight * 0.8)",
            "top": "window.scrollTo(0, 0)",
            "bottom": "window.scrollTo(0, document.documentElement.scrollHeight)",
        }[direction]

        def job(page: Page) -> tuple[PageView, dict]:
            page.evaluate(script)
            page.wait_for_timeout(SCROLL_SETTLE_MS)
            position = page.evaluate("({y: Math.round(window.scrollY), height: document.documentElement.scrollHeight, screen: window.innerHeight})")
            return _view(session, page), position

        view, at = session.run(job)
        note = f"Scrolled {direction}: now at {at['y']}px of {at['height']}px (the screen shows {at['screen']}px)."
        return views.render(view, note=note, at_viewport=True)

    def back() -> str:
        """Go back to the previous page, like the browser's back button, and show it."""

        def job(page: Page) -> tuple[PageView, bool]:
            moved = page.go_back(wait_until="load") is not None
            return _view(session, page), moved

        view, moved = session.run(job)
        return views.render(view, note="Went back." if moved else "There is no previous page; this is still the same page.")

    def screenshot() -> str:
        """Save a picture of the visible part of the page into the workspace and say where it is."""
        screenshots.mkdir(parents=True, exist_ok=True)
        target = screenshots / f"screenshot-{len(list(screenshots.glob('screenshot-*.png'))) + 1:03d}.png"
        session.run(lambda page: page.screenshot(path=str(target)))
        return f"Saved a screenshot of the visible part of the page to {target.relative_to(workspace)} ({VIEWPORT['width']}x{VIEWPORT['height']} pixels)."

    def read_screen() -> str:
        """Read the text visible on the screen with OCR, including text inside images; use it when snapshot() misses text."""
        png, url = session.run(lambda page: (page.screenshot(), page.url))
        text = ocr_png(png)
        return frame_untrusted(text, url, header="Text read from the screen by OCR (it may contain recognition errors):")

    return [
        Tool.from_function(open_page, name="open_url"),
        Tool.from_function(snapshot),
        Tool.from_function(click),
        Tool.from_function(type_text),
        Tool.from_function(select),
        Tool.from_function(scroll),
        Tool.from_function(back),
        Tool.from_function(screenshot),
        Tool.from_function(read_screen),
    ]
