"""When a run must end: one deadline that every layer checks, and that another thread can cancel.

The loop makes one per run (Config.max_wall_s), or takes one from its caller (the eval
harness, which cancels a run it has given up on). Model calls get it as an argument: the
embedded backend checks it between tokens, the OpenAI backend makes the time left its
request timeout. Tools get it through a context variable, so tool signatures stay free of
it: a tool's own timeout is cut to the time left (`tool_timeout`).
"""

from __future__ import annotations

import math
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# How often a waiting tool looks for a cancellation.
CANCEL_POLL_S = 0.1


class Deadline:
    """A monotonic end time (none: never), and a flag that ends it at once when set.

    `limit` names it in what a cut-short tool tells the model ("the run's time limit").
    """

    def __init__(self, seconds: float | None = None, *, limit: str = "the run's time limit"):
        self.seconds = seconds
        self.limit = limit
        self._at = math.inf if seconds is None else time.monotonic() + seconds
        self._cancelled = threading.Event()

    def within(self, seconds: float, *, limit: str = "the run's time limit") -> Deadline:
        """`seconds` from now, or this deadline if it comes sooner; cancelling this one ends both."""
        if self.remaining() <= seconds:
            return self
        sooner = Deadline(seconds, limit=limit)
        sooner._cancelled = self._cancelled
        return sooner

    def remaining(self) -> float:
        """Seconds left: 0 once it has passed or been cancelled; infinite for no deadline."""
        if self._cancelled.is_set():
            return 0.0
        return max(self._at - time.monotonic(), 0.0)

    def expired(self) -> bool:
        return self.remaining() <= 0.0

    def sleep(self, seconds: float) -> bool:
        """Wait `seconds`, or less if the deadline comes first (cancelled included): True if it did."""
        left = self.remaining()
        if left <= seconds:
            self._cancelled.wait(left)
            return True
        return self._cancelled.wait(seconds)

    def cancel(self) -> None:
        """End it now, from any thread: everything that checks it stops as if the time were up."""
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()


_current: ContextVar[Deadline | None] = ContextVar("picoagent_deadline", default=None)


@contextmanager
def applied(deadline: Deadline | None) -> Iterator[None]:
    """Make `deadline` the one tools called in this block (in this thread) must respect."""
    token = _current.set(deadline)
    try:
        yield
    finally:
        _current.reset(token)


def tool_timeout(own_s: float) -> float:
    """Seconds a tool may take now: its own timeout, or the time left when that is less."""
    deadline = _current.get()
    return own_s if deadline is None else min(own_s, deadline.remaining())


def wait_for_exit(process: subprocess.Popen, timeout_s: float) -> bool:
    """Wait up to `timeout_s` for `process` to exit, less if the deadline is cancelled; True if it did."""
    deadline = _current.get()
    ends = time.monotonic() + timeout_s
    while (left := ends - time.monotonic()) > 0 and not (deadline is not None and deadline.cancelled):
        try:
            process.wait(timeout=min(left, CANCEL_POLL_S))
            return True
        except subprocess.TimeoutExpired:
            continue
    return process.poll() is not None


def why_stopped() -> str | None:
    """What a tool cut short tells the model when the deadline, not its own timeout, did it."""
    deadline = _current.get()
    if deadline is None or not deadline.expired():
        return None
    return "the run was cancelled" if deadline.cancelled else f"{deadline.limit} was reached"
