"""Collect what one kernel execution published: streams, values, displays, images, the error."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any

from picoagent.exec.limits import HeadTail

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


class OutputCollector:
    def __init__(self, limit: int):
        self._stream = HeadTail(limit)
        self.output = KernelOutput()

    def add(self, message: dict[str, Any]) -> None:
        kind, content = message["msg_type"], message["content"]
        if kind == "stream":
            self._stream.add(content.get("text", ""))
        elif kind in ("execute_result", "display_data"):
            data = content.get("data", {})
            images = [Image(mime, _decode(mime, data[mime])) for mime in IMAGE_EXTENSIONS if mime in data]
            if images:
                self.output.images.append(images[0])
            elif kind == "execute_result":
                self.output.value = data.get("text/plain")
            elif "text/plain" in data:
                self.output.displays.append(data["text/plain"])
        elif kind == "error":
            self.output.error_name = content.get("ename")
            self.output.error = trim_traceback(content.get("traceback") or [f"{content.get('ename')}: {content.get('evalue')}"])

    def result(self) -> KernelOutput:
        self.output.stream = as_terminal_shows(strip_ansi(self._stream.text()))
        return self.output


def _decode(mime: str, payload: str) -> bytes:
    return payload.encode() if mime == "image/svg+xml" else base64.b64decode(payload)
