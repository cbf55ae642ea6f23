"""The shared periodic thread (spacehost/ticker.py): it calls on a period, outlives a failing
call, and close() ends it promptly, waiting for a call in progress (bounded)."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from spacehost.ticker import Ticker
from tests.support.polling import wait_for

FAST_S = 0.01
SLOW_S = 60.0  # a period no test waits out


class Calls:
    """Counts the ticker's calls; the first *failing* of them raise."""

    def __init__(self, failing: int = 0) -> None:
        self.count = 0
        self.failing = failing
        self.threads: set[str] = set()

    def __call__(self) -> None:
        self.count += 1
        self.threads.add(threading.current_thread().name)
        if self.count <= self.failing:
            raise RuntimeError(f"tick {self.count} broke")


def test_calls_on_its_period_in_a_named_daemon_thread() -> None:
    calls = Calls()
    ticker = Ticker(calls, FAST_S, name="test-ticker", failed="tick failed")
    ticker.start()
    ticker.start()  # a second start starts no second thread
    try:
        wait_for(lambda: calls.count >= 3, timeout=10, what="three ticks")
        assert ticker.running
        assert calls.threads == {"test-ticker"}
        threads = [t for t in threading.enumerate() if t.name == "test-ticker"]
        assert len(threads) == 1 and threads[0].daemon
    finally:
        ticker.close()


def test_the_first_call_waits_one_period_and_close_ends_the_wait_at_once() -> None:
    calls = Calls()
    ticker = Ticker(calls, SLOW_S, name="test-ticker-slow", failed="tick failed")
    ticker.start()
    started = time.monotonic()
    ticker.close()
    assert time.monotonic() - started < 5, "close() waited for the period"
    assert not ticker.running, "close() returned before the thread ended"
    assert calls.count == 0


def test_its_wait_ends_once_it_is_closed() -> None:
    ticker = Ticker(Calls(), SLOW_S, name="test-ticker-wait", failed="tick failed")
    assert not ticker.wait(0.01)
    ticker.close()
    started = time.monotonic()
    assert ticker.wait(SLOW_S)
    assert time.monotonic() - started < 5


def test_a_failing_tick_is_logged_and_the_ticks_go_on(caplog: pytest.LogCaptureFixture) -> None:
    calls = Calls(failing=2)
    owner = logging.getLogger("spacehost.test_owner")
    ticker = Ticker(calls, FAST_S, name="test-ticker-fails", failed="owner tick failed", log=owner)
    with caplog.at_level(logging.ERROR, logger=owner.name):
        ticker.start()
        try:
            wait_for(lambda: calls.count >= 4, timeout=10, what="ticks after two failures")
        finally:
            ticker.close()
    failures = [r for r in caplog.records if r.name == owner.name]
    assert [r.getMessage() for r in failures] == ["owner tick failed"] * 2
    assert all(r.exc_info and "broke" in str(r.exc_info[1]) for r in failures)
    assert not ticker.running


def test_close_waits_for_a_tick_in_progress_up_to_its_bound() -> None:
    entered, release = threading.Event(), threading.Event()

    def blocking_tick() -> None:
        entered.set()
        release.wait(30)

    ticker = Ticker(blocking_tick, FAST_S, name="test-ticker-busy", failed="tick failed")
    ticker.start()
    try:
        assert entered.wait(10), "the ticker never called"
        ticker.close(wait_s=0.05)
        assert ticker.running, "the tick in progress was not waited for, or was cut short"
    finally:
        release.set()
    wait_for(lambda: not ticker.running, timeout=10, what="the ticker to end after its tick")


def test_a_tick_may_close_its_own_ticker(caplog: pytest.LogCaptureFixture) -> None:
    ticker: Ticker

    def closing_tick() -> None:
        ticker.close()  # joining its own thread would raise

    ticker = Ticker(closing_tick, FAST_S, name="test-ticker-self", failed="self-close failed")
    with caplog.at_level(logging.ERROR):
        ticker.start()
        wait_for(lambda: not ticker.running, timeout=10, what="the ticker to close itself")
    assert "self-close failed" not in caplog.messages
