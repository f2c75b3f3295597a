"""The time an action may still take, so a tool never outlives the run's wall-time limit.

Executors set it around each action; tools that wait (shell, browser) cap their own
timeouts with `remaining()`. A context variable keeps tool signatures free of it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_deadline: ContextVar[float | None] = ContextVar("picoagent_deadline", default=None)


@contextmanager
def deadline_in(seconds: float | None) -> Iterator[None]:
    token = _deadline.set(None if seconds is None else time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def capped(timeout_s: float) -> float:
    """`timeout_s`, or less if the current action's deadline comes sooner."""
    deadline = _deadline.get()
    if deadline is None:
        return timeout_s
    return max(min(timeout_s, deadline - time.monotonic()), 0.1)
