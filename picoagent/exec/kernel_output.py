"""Collect what one kernel execution published: streams, values, displays, images, the error."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any

from picoagent.exec.limits import HeadTail, truncate_middle

# Images a model can be pointed at; other rich outputs fall back to their text/plain form.
IMAGE_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/svg+xml": "svg"}

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
# Traceback frames from the machinery the model's code runs in, not from the model's code.
MACHINERY_FRAME = re.compile(r"^\s*File \S*(/IPython/|/ipykernel/|/jupyter_client/|/zmq/|<picoagent-)")


@dataclass
class Image:
    mime: str
    data: bytes

    @property
    def extension(self) -> str:
        return IMAGE_EXTENSIONS[self.mime]


def strip_ansi(text: str) -> str:
    return ANSI_ESCAPE.sub("", text)


def as_terminal_shows(text: str) -> str:
    """Apply carriage returns as a terminal would: a progress bar keeps only its last state."""
    lines = text.replace("\r\n", "\n").split("\n")
    return "\n".join(line.rsplit("\r", 1)[-1] for line in lines)


def trim_traceback(lines: list[str]) -> str:
    """The traceback without colours, blank lines or frames inside IPython and the tool bridge.

    The kernel prints tracebacks in IPython's Plain mode: one chunk per frame, separated by
    blank lines, the error last. The model needs its own lines and the error, nothing else.
    """
    text = strip_ansi("\n".join(lines))
    chunks = [chunk for chunk in re.split(r"\n\s*\n", text) if chunk.strip()]
    kept = [chunk.rstrip() for chunk in chunks if not MACHINERY_FRAME.match(chunk)]
    return "\n".join(kept)


@dataclass
class KernelOutput:
    """Everything one execution showed, in the order the model should read it."""

    stream: str = ""
    value: str | None = None
    displays: list[str] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    error: str | None = None
    error_name: str | None = None


# Images one execution may hand the engine; more are counted, not kept.
MAX_IMAGES = 8


def is_reply_to(message: Any, request: str) -> bool:
    """Whether a kernel message answers `request`. Code in the kernel can send any message,
    so nothing about its shape is assumed."""
    header = message.get("parent_header") if isinstance(message, dict) else None
    return isinstance(header, dict) and header.get("msg_id") == request


def content_field(message: dict[str, Any], name: str) -> Any:
    """A field of a message's content, or None if the content is not a dict."""
    content = message.get("content")
    return content.get(name) if isinstance(content, dict) else None


def _text(value: Any) -> str:
    """A message field as text: Jupyter allows a list of strings for multi-line text."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return "".join(value)
    return "" if value is None else repr(value)


class OutputCollector:
    """Turns an execution's messages into a KernelOutput, bounded however many arrive.

    Each kind of output is capped as it arrives: the stream keeps head and tail, the value
    and all displays together get `limit` characters each, images stop at MAX_IMAGES.
    """

    def __init__(self, limit: int):
        self.limit = limit
        self._stream = HeadTail(limit)
        self._display_room = limit
        self._omitted_displays = 0
        self._omitted_images = 0
        self.output = KernelOutput()

    def add(self, message: dict[str, Any]) -> None:
        kind, content = message.get("msg_type"), message.get("content")
        if not isinstance(content, dict):
            return
        if kind == "stream":
            self._stream.add(_text(content.get("text")))
        elif kind in ("execute_result", "display_data"):
            data = content.get("data")
            if not isinstance(data, dict):
                return
            if len(self.output.images) >= MAX_IMAGES and any(mime in data for mime in IMAGE_EXTENSIONS):
                self._omitted_images += 1
                return
            image = next((image for mime in IMAGE_EXTENSIONS if (image := _image(mime, data.get(mime))) is not None), None)
            if image is not None:
                self.output.images.append(image)
            elif kind == "execute_result":
                value = data.get("text/plain")
                self.output.value = None if value is None else truncate_middle(_text(value), self.limit)
            elif "text/plain" in data and (text := self._bounded_display(_text(data["text/plain"]))) is not None:
                self.output.displays.append(text)
        elif kind == "error":
            self.output.error_name = _text(content.get("ename"))[:200]
            traceback = content.get("traceback")
            lines = [_text(line) for line in traceback] if isinstance(traceback, list) else [f"{self.output.error_name}: {_text(content.get('evalue'))}"]
            self.output.error = truncate_middle(trim_traceback(lines), self.limit)

    def _bounded_display(self, text: str) -> str | None:
        if self._display_room <= 0:
            self._omitted_displays += 1
            return None
        text = truncate_middle(text, max(self._display_room, 200))
        self._display_room -= len(text)
        return text

    def result(self) -> KernelOutput:
        self.output.stream = as_terminal_shows(strip_ansi(self._stream.text()))
        if self._omitted_displays:
            self.output.displays.append(f"[{self._omitted_displays} more displayed outputs omitted]")
        if self._omitted_images:
            self.output.displays.append(f"[{self._omitted_images} more images omitted]")
        return self.output


def _image(mime: str, payload: Any) -> Image | None:
    if not isinstance(payload, str):
        return None
    try:
        data = payload.encode() if mime == "image/svg+xml" else base64.b64decode(payload, validate=True)
    except ValueError:  # not base64, or text with lone surrogates (both errors are ValueErrors)
        return None
    return Image(mime, data) if data else None
