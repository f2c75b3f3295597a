"""Limits applied to anything an action runs: output size and process resources."""

from __future__ import annotations

import resource


def truncate_middle(text: str, limit: int) -> str:
    """Keep the head and tail of long output: errors tend to be at the end, context at the start."""
    if len(text) <= limit:
        return text
    marker = "\n[... {} characters omitted ...]\n"
    keep = max(limit - len(marker.format(len(text))), 0)
    head = keep * 2 // 5
    tail = keep - head
    omitted = len(text) - head - tail
    return text[:head] + marker.format(omitted) + (text[-tail:] if tail else "")


class HeadTail:
    """Text that keeps its first and last `limit` characters as it streams in:
    an endless print loop or `yes` stays bounded in memory."""

    def __init__(self, limit: int):
        self.limit = limit
        self.head = ""
        self.tail = ""
        self.total = 0

    def add(self, text: str) -> None:
        self.total += len(text)
        room = self.limit - len(self.head)
        if room > 0:
            self.head += text[:room]
            text = text[room:]
        if text:
            self.tail = (self.tail + text)[-self.limit :]

    def text(self) -> str:
        omitted = self.total - len(self.head) - len(self.tail)
        middle = f"\n[... {omitted} characters omitted ...]\n" if omitted > 0 else ""
        return self.head + middle + self.tail


def clamped(kind: int, soft: int, hard: int) -> tuple[int, int]:
    """(soft, hard) for rlimit `kind`, lowered to the hard limit this process already has.

    Under `ulimit -v 2000000` asking for 4 GiB would raise the hard limit, which needs
    privilege: setrlimit and prlimit refuse, and the kernel or the command would not start.
    """
    current = resource.getrlimit(kind)[1]
    if current == resource.RLIM_INFINITY:
        return soft, hard
    return min(soft, current), min(hard, current)


def apply_rlimits(memory_bytes: int | None, cpu_seconds: int | None, max_file_bytes: int | None = None) -> None:
    """Set resource limits in a child process before it runs model-written code (preexec_fn)."""
    if memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, clamped(resource.RLIMIT_AS, memory_bytes, memory_bytes))
    if cpu_seconds:
        resource.setrlimit(resource.RLIMIT_CPU, clamped(resource.RLIMIT_CPU, cpu_seconds, cpu_seconds + 5))
    if max_file_bytes:
        resource.setrlimit(resource.RLIMIT_FSIZE, clamped(resource.RLIMIT_FSIZE, max_file_bytes, max_file_bytes))
