"""Which addresses the web tools may visit: http(s) only."""

from __future__ import annotations

from urllib.parse import urlsplit

ALLOWED_SCHEMES = ("http", "https")


class UrlRefused(ValueError):
    """The model asked for an address the web tools do not visit (file:, javascript:, chrome:, data: ...)."""


def require_http_url(url: str) -> str:
    """The url, stripped, if it is an http(s) address with a host; otherwise UrlRefused.

    A bare host such as `example.org/page` gets https:// in front, because small models
    often leave the scheme out.
    """
    url = url.strip()
    parts = urlsplit(url)
    if not parts.scheme and not url.startswith("/") and "." in url.split("/", 1)[0]:
        url, parts = f"https://{url}", urlsplit(f"https://{url}")
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        shown = parts.scheme or "no scheme"
        raise UrlRefused(f"only http:// and https:// addresses can be opened, not {shown!r} ({url[:100]})")
    if not parts.hostname:
        raise UrlRefused(f"the address has no host: {url[:100]}")
    return url
