"""Failed sign-ins are throttled per user name and per client address: five free failures in
the window, then each further attempt waits twice as long as the last (capped), right password
or not; the window starting again forgets the count."""

from __future__ import annotations

from pathlib import Path

import pytest

from spacehost.errors import TooManyAttempts, Unauthorized
from spacehost.identity import Accounts
from spacehost.identity.throttle import FREE_FAILURES, MAX_LOCK_S, WINDOW_S, Throttle

PASSWORD = "correct horse battery"
KEYS = ["user:bob", "client:10.0.0.1"]


def test_five_failures_are_free_then_the_wait_doubles() -> None:
    t, now = Throttle(), 100.0
    for _ in range(FREE_FAILURES):
        t.failed(KEYS, now)
        assert t.wait_s(KEYS, now) == 0
    waits = []
    for _ in range(4):
        t.failed(KEYS, now)
        waits.append(t.wait_s(KEYS, now))
        now += waits[-1]
    assert waits == [1.0, 2.0, 4.0, 8.0]


def test_the_wait_is_capped() -> None:
    t = Throttle()
    for _ in range(FREE_FAILURES + 40):
        t.failed(KEYS, 0.0)
    assert t.wait_s(KEYS, 0.0) == MAX_LOCK_S


def test_a_new_window_forgets_old_failures() -> None:
    t = Throttle()
    for _ in range(FREE_FAILURES):
        t.failed(KEYS, 0.0)
    t.failed(KEYS, WINDOW_S + 1)  # the window has passed: this is the first failure again
    assert t.wait_s(KEYS, WINDOW_S + 1) == 0


def test_success_clears_the_count() -> None:
    t = Throttle()
    for _ in range(FREE_FAILURES + 1):
        t.failed(KEYS, 0.0)
    t.succeeded(KEYS)
    assert t.wait_s(KEYS, 0.0) == 0


class Clock:
    now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_sign_in_waits_even_with_the_right_password_and_per_client(tmp_path: Path) -> None:
    clock = Clock()
    acc = Accounts(tmp_path / "identity.db", clock=clock)
    try:
        acc.add_user("bob", password=PASSWORD)
        for i in range(FREE_FAILURES + 1):  # different user names, one client address
            with pytest.raises(Unauthorized) as failed:
                acc.sign_in(f"guess{i}", "wrong password", "10.0.0.1")
            assert not isinstance(failed.value, TooManyAttempts)
        with pytest.raises(TooManyAttempts) as locked:
            acc.sign_in("bob", PASSWORD, "10.0.0.1")
        assert locked.value.details == {"retry_after": 2}
        assert acc.sign_in("bob", PASSWORD, "10.0.0.2")  # another client: not locked
        clock.now += 1
        assert acc.sign_in("bob", PASSWORD, "10.0.0.1")  # the lock has passed
    finally:
        acc.close()
