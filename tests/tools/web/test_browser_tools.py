"""The browser tools against real Chromium and the shop site on 127.0.0.1."""

from __future__ import annotations

import threading
import time

import pytest

from picoagent.tools.web.framing import BEGIN, END
from tests.tools.web.conftest import chromium_processes, ref_of, site_server

pytestmark = pytest.mark.slow


def test_the_browser_starts_on_first_use_only(web):
    registry, session, _ = web
    assert not session.started and chromium_processes() == []
    assert "open_url" in registry and "type_text" in registry
    observation = registry.call("snapshot", {})
    assert not observation.is_error, observation.text
    assert session.started and chromium_processes()


def test_open_shows_the_pruned_tree_inside_the_untrusted_frame(web, site_url):
    registry, _, _ = web
    observation = registry.call("open_url", {"url": f"{site_url}/catalog.html"})
    assert not observation.is_error, observation.text
    text = observation.text
    assert text.startswith(f"Opened {site_url}/catalog.html\n" + BEGIN.format(source=f"{site_url}/catalog.html"))
    inside = text.split(BEGIN.format(source=f"{site_url}/catalog.html"))[1].split(END)[0]
    assert "Title: Catalog - Northwind Garden Supply" in inside
    assert 'link "Bypass Pruner" [ref=e' in inside and 'cell "$32.75"' in inside and 'cell "5"' in inside
    assert "generic" not in inside and 'heading "Catalog" [level=1]\n' in inside  # no ref on what cannot be acted on
    assert text.endswith("Act on elements by their ref, e.g. click(ref='e12').")


def test_click_follows_a_link_and_back_returns(web, site_url):
    registry, _, _ = web
    catalog = registry.call("open_url", {"url": f"{site_url}/catalog.html"}).text
    product = registry.call("click", {"ref": ref_of(catalog, "Cedar Raised Bed")})
    assert not product.is_error, product.text
    assert f"URL: {site_url}/products/raised-bed.html" in product.text and "5 years" in product.text
    back = registry.call("back", {})
    assert f"URL: {site_url}/catalog.html" in back.text and back.text.startswith("Went back.")


def test_refs_are_forgiving_in_form_and_strict_about_existence(web, site_url):
    registry, _, _ = web
    catalog = registry.call("open_url", {"url": f"{site_url}/catalog.html"}).text
    ref = ref_of(catalog, "Bypass Pruner")
    assert "pruner.html" in registry.call("click", {"ref": f"[ref={ref}]"}).text
    missing = registry.call("click", {"ref": "e999"})
    assert missing.is_error and "there is no element e999 on the current page" in missing.text


def test_fill_a_form_with_validation_then_submit_it(web, site_url):
    registry, _, _ = web
    form = registry.call("open_url", {"url": f"{site_url}/order.html"}).text
    registry.call("type_text", {"ref": ref_of(form, "Full name"), "text": "Ada Lovelace"})
    registry.call("type_text", {"ref": ref_of(form, "Email"), "text": "ada-at-example"})
    rejected = registry.call("click", {"ref": ref_of(form, "Place order")}).text
    assert "Please enter a valid email address." in rejected and "The postcode must have exactly 5 digits." in rejected
    assert f"URL: {site_url}/order.html" in rejected

    registry.call("type_text", {"ref": ref_of(form, "Email"), "text": "ada@example.com"})
    registry.call("type_text", {"ref": ref_of(form, "Postcode"), "text": "10115"})
    wrong_option = registry.call("select", {"ref": ref_of(form, "Product"), "option": "Golden Shovel"})
    assert wrong_option.is_error and "'Copper Watering Can'" in wrong_option.text
    selected = registry.call("select", {"ref": ref_of(form, "Product"), "option": "Copper Watering Can"}).text
    assert 'option "Copper Watering Can" [selected]' in selected
    registry.call("type_text", {"ref": ref_of(form, "Quantity"), "text": "3"})
    assert "checkbox \"Gift wrap\" [checked]" in registry.call("click", {"ref": ref_of(form, "Gift wrap")}).text
    done = registry.call("type_text", {"ref": ref_of(form, "Postcode"), "text": "10115", "submit": True}).text
    assert f"URL: {site_url}/order-confirmed.html" in done
    assert "Confirmation code: NW-97839" in done or 'strong: NW-97839' in done or "NW-97839" in done
    assert "3 x Copper Watering Can (gift wrapped)" in done


def test_scrolling_loads_more_of_a_page(web, site_url):
    registry, _, _ = web
    first = registry.call("open_url", {"url": f"{site_url}/news.html"}).text
    assert "Story 10:" in first and "Story 11:" not in first
    after = registry.call("scroll", {"direction": "bottom"}).text
    assert after.startswith("Scrolled bottom: now at ") and "Story 20:" in after and "Story 21:" not in after
    for _ in range(2):
        after = registry.call("scroll", {"direction": "bottom"}).text
    # The page is now longer than one snapshot part: the part shown is the one on screen.
    assert "Snapshot part 1 of" not in after and "Story 40:" in after
    assert "Story 35: Rainwater barrels now half price" in after
    assert "now at 0px" in registry.call("scroll", {"direction": "top"}).text


def test_long_snapshots_are_split_into_parts(tmp_path, site_url):
    from picoagent.config import Config
    from picoagent.tools.registry import ToolRegistry
    from picoagent.tools.web.toolset import install_web_tools

    registry = ToolRegistry()
    install_web_tools(registry, tmp_path, Config(model="scripted", web_chunk_chars=600))
    try:
        first = registry.call("open_url", {"url": f"{site_url}/guide.html"}).text
        count = int(first.split("Snapshot part 1 of ")[1].split(".")[0])
        assert count >= 5 and "More: snapshot(part=2)." in first
        parts = [first] + [registry.call("snapshot", {"part": n}).text for n in range(2, count + 1)]
        assert all(len(part.split(END)[0].split("\n", 2)[2]) <= 700 for part in parts)
        assert sum("30 to 1" in part for part in parts) == 1
        assert registry.call("snapshot", {"part": count + 1}).is_error
    finally:
        registry.close()


def test_only_http_addresses_are_opened(web):
    registry, session, _ = web
    for url in ("file:///etc/passwd", "javascript:alert(1)", "chrome://version", "data:text/html,hi"):
        observation = registry.call("open_url", {"url": url})
        assert observation.is_error and "only http:// and https://" in observation.text
    assert not session.started  # refused before the browser was even needed


def test_typing_into_something_that_is_not_a_field_fails_without_waiting_long(web, site_url):
    registry, _, _ = web
    catalog = registry.call("open_url", {"url": f"{site_url}/catalog.html"}).text
    started = time.monotonic()
    observation = registry.call("type_text", {"ref": ref_of(catalog, "Catalog"), "text": "x"})  # a link, not a field
    assert observation.is_error and "Tool 'type_text' failed" in observation.text
    assert time.monotonic() - started < 8  # the 5 s action timeout, not the 10 s navigation timeout


def test_screenshot_is_saved_in_the_workspace(web, site_url):
    registry, _, workspace = web
    registry.call("open_url", {"url": f"{site_url}/contact.html"})
    text = registry.call("screenshot", {}).text
    assert text.startswith("Saved a screenshot of the visible part of the page to screenshots/screenshot-001.png")
    png = (workspace / "screenshots" / "screenshot-001.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    assert "screenshot-002.png" in registry.call("screenshot", {}).text


def test_read_screen_reads_text_inside_an_image(web, site_url):
    registry, _, _ = web
    registry.call("open_url", {"url": f"{site_url}/contact.html"})
    text = registry.call("read_screen", {}).text
    assert text.startswith("Text read from the screen by OCR")
    assert "555 0187" in text and site_server.SIGN_TEXT.split(":")[0] in text


def test_read_screen_without_tesseract_says_how_to_install_it(web, site_url, monkeypatch):
    registry, _, _ = web
    registry.call("open_url", {"url": f"{site_url}/contact.html"})
    monkeypatch.setenv("PATH", "/nonexistent")  # pytesseract runs `tesseract` from PATH
    observation = registry.call("read_screen", {})
    assert observation.is_error and "apt-get install tesseract-ocr" in observation.text


def test_tools_work_from_any_thread(web, site_url):
    registry, _, _ = web
    registry.call("open_url", {"url": f"{site_url}/catalog.html"})  # the browser starts from this thread
    results = {}

    def from_other_thread(name):
        results[name] = registry.call("open_url", {"url": f"{site_url}/about.html"})

    threads = [threading.Thread(target=from_other_thread, args=(f"t{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(not obs.is_error and "founded in 1987" in obs.text for obs in results.values()), results


def test_close_ends_chromium_and_later_calls_fail_clearly(web, site_url):
    registry, session, _ = web
    registry.call("open_url", {"url": f"{site_url}/index.html"})
    assert chromium_processes()
    registry.close()
    assert session.closed and not session.started
    assert chromium_processes() == []
    after = registry.call("snapshot", {})
    assert after.is_error and "the browser session is closed" in after.text


def test_a_crashed_browser_is_started_again(web, site_url):
    registry, _, _ = web
    registry.call("open_url", {"url": f"{site_url}/index.html"})
    for process in chromium_processes():
        process.kill()
    time.sleep(0.5)
    observation = registry.call("open_url", {"url": f"{site_url}/about.html"})
    assert not observation.is_error, observation.text
    assert "founded in 1987" in observation.text
