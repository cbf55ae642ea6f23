"""The bounded memory of sessions: a flood of made-up keys cannot evict sessions in use."""

from __future__ import annotations

from spacehost.router.sessionmap import SessionMap


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_bound_session_is_found_until_it_expires() -> None:
    clock = Clock()
    m = SessionMap(clock, ttl=10)
    m.bind("s", "r1")
    clock.now = 9
    assert m.get("s") == "r1"
    clock.now = 18  # refreshed at 9
    assert m.get("s") == "r1"
    clock.now = 29
    assert m.get("s") is None
    assert len(m) == 0


def test_a_flood_of_new_keys_evicts_only_new_keys() -> None:
    m = SessionMap(Clock(), probation=100, protected=50)
    for key in ("a", "b"):
        m.bind(key, "r-" + key)
        assert m.get(key) == "r-" + key  # seen again: in use
    for i in range(100_000):
        m.bind(f"made-up-{i}", "r")
    assert len(m) == 102
    assert (m.get("a"), m.get("b")) == ("r-a", "r-b")


def test_the_protected_segment_is_bounded_too() -> None:
    m = SessionMap(Clock(), probation=10, protected=10)
    for i in range(1000):
        m.bind(str(i), "r")
        m.get(str(i))
    assert len(m) <= 20
    assert m.get("999") == "r"


def test_forget_and_rebind() -> None:
    m = SessionMap(Clock())
    m.bind("s", "r1")
    m.get("s")
    m.bind("s", "r2")
    assert m.get("s") == "r2"
    m.forget("s")
    assert m.get("s") is None
