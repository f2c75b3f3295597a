"""The run's deadline: time left, cancellation from another thread, and how tools see it."""

from __future__ import annotations

import subprocess
import threading
import time

from picoagent.deadline import Deadline, applied, tool_timeout, wait_for_exit, why_stopped


def test_time_left_runs_down_and_never_goes_below_zero() -> None:
    deadline = Deadline(0.2)
    assert 0.1 < deadline.remaining() <= 0.2 and not deadline.expired()
    time.sleep(0.25)
    assert deadline.remaining() == 0.0 and deadline.expired()
    assert Deadline().remaining() == float("inf") and not Deadline().expired()


def test_cancelling_from_another_thread_ends_a_wait_at_once() -> None:
    deadline = Deadline(30)
    threading.Timer(0.1, deadline.cancel).start()
    started = time.monotonic()
    assert deadline.sleep(10) is True, "the deadline came first"
    assert time.monotonic() - started < 1.0
    assert deadline.expired() and deadline.cancelled and deadline.remaining() == 0.0


def test_sleep_says_whether_the_deadline_came_first() -> None:
    assert Deadline(5).sleep(0.01) is False
    started = time.monotonic()
    assert Deadline(0.1).sleep(5) is True
    assert time.monotonic() - started < 0.5


def test_a_sooner_deadline_within_shares_the_cancellation() -> None:
    run = Deadline(30)
    step = run.within(0.5, limit="the step's time limit")
    assert step is not run and step.remaining() <= 0.5 and step.limit == "the step's time limit"
    assert run.within(60) is run, "the run's own deadline comes sooner"
    run.cancel()
    assert step.expired()


def test_tools_get_their_own_timeout_or_the_time_left() -> None:
    assert tool_timeout(30) == 30, "no deadline applied"
    with applied(Deadline(100)):
        assert tool_timeout(30) == 30
    with applied(Deadline(2)):
        assert 1.5 < tool_timeout(30) <= 2
    assert tool_timeout(30) == 30, "the block's deadline does not leak out"


def test_a_waiting_tool_stops_when_the_deadline_is_cancelled() -> None:
    deadline = Deadline(60)
    process = subprocess.Popen(["sleep", "20"])
    try:
        with applied(deadline):
            threading.Timer(0.2, deadline.cancel).start()
            started = time.monotonic()
            assert wait_for_exit(process, 30) is False
            assert time.monotonic() - started < 1.0
            assert why_stopped() == "the run was cancelled"
    finally:
        process.kill()
        process.wait()
    assert wait_for_exit(subprocess.Popen(["true"]), 5) is True


def test_why_stopped_names_the_limit_only_once_it_has_passed() -> None:
    with applied(Deadline(5)):
        assert why_stopped() is None, "the tool's own timeout stopped it"
    with applied(Deadline(0)):
        assert why_stopped() == "the run's time limit was reached"
    with applied(Deadline(5).within(0, limit="the step's time limit")):
        assert why_stopped() == "the step's time limit was reached"
