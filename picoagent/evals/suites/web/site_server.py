"""The web suite's test site (a small garden shop under site/), served on 127.0.0.1 at a free port.

Used by the suite's tasks as their setup fixture and by tests/tools/web. The contact
page's sign is drawn with Pillow on request, so the only way to read the phone number
is OCR of the screen (its <img> has no alt text).
"""

from __future__ import annotations

import contextlib
import functools
import io
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SITE_DIR = Path(__file__).parent / "site"
SIGN_TEXT = "Call us: +49 421 555 0187"


@functools.cache
def sign_png() -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (520, 140), "#f4f1e8")
    draw = ImageDraw.Draw(image)
    draw.rectangle((4, 4, 515, 135), outline="#2e5d34", width=4)
    draw.text((30, 45), SIGN_TEXT, fill="#1b1b1b", font=ImageFont.load_default(size=36))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class SiteHandler(SimpleHTTPRequestHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(SITE_DIR), **kwargs)

    def do_GET(self) -> None:
        if self.path.split("?")[0] == "/images/sign.png":
            body = sign_png()
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, format: str, *args) -> None:  # keep test and eval output clean
        pass


@contextlib.contextmanager
def serve_site() -> Iterator[str]:
    """Serve the site while the block runs; yields its base address, e.g. http://127.0.0.1:41234."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), SiteHandler)
    # shutdown() waits for the loop's next poll: 0.5 s by default, paid by every task set-up.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="web-suite-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def site_fixture(workspace: Path) -> Iterator[dict[str, str]]:
    """The tasks' setup fixture: `${url}` in an instruction becomes the site's address."""
    with serve_site() as url:
        yield {"url": url}
