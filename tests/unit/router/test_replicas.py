"""Choosing a replica: sticky sessions, new ones in turn, a refusing replica skipped."""

from __future__ import annotations

from spacehost.router.replicas import DOWN_S, Replicas
from spacehost.router.table import Upstream

R = tuple(Upstream("127.0.0.1", p) for p in (1001, 1002, 1003))


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_new_sessions_take_turns_apart_from_requests_of_none() -> None:
    rs = Replicas(Clock())
    sessions = []
    for i in range(6):
        rs.pick("a/b", R, None)  # a page, config, an asset between them
        sessions.append(rs.pick("a/b", R, f"s{i}").upstream.port)
    assert sessions == [1001, 1002, 1003, 1001, 1002, 1003]


def test_a_known_session_keeps_its_replica() -> None:
    rs = Replicas(Clock())
    first = rs.pick("a/b", R, "s")
    assert first.fresh
    for _ in range(5):
        rs.pick("a/b", R, "other" + str(_))
        again = rs.pick("a/b", R, "s")
        assert (again.upstream, again.fresh) == (first.upstream, False)
    assert rs.pick("c/d", R, "s").fresh  # sessions are per space


def test_a_session_on_a_replica_no_longer_listed_starts_anew() -> None:
    rs = Replicas(Clock())
    first = rs.pick("a/b", R, "s")
    rest = tuple(r for r in R if r != first.upstream)
    moved = rs.pick("a/b", rest, "s")
    assert moved.fresh and moved.upstream in rest


def test_a_refusing_replica_moves_a_new_session_and_is_skipped_for_a_while() -> None:
    clock = Clock()
    rs = Replicas(clock)
    pick = rs.pick("a/b", R, "s")
    assert pick.upstream == R[0]
    other = rs.refused("a/b", pick)
    assert other == R[1] and pick.tried == (R[0].key, R[1].key)
    assert rs.pick("a/b", R, "s").upstream == R[1]  # rebound
    assert [rs.pick("a/b", R, f"n{i}").upstream for i in range(4)] == [R[2], R[1], R[2], R[1]]
    clock.now = DOWN_S + 1
    assert {rs.pick("a/b", R, f"m{i}").upstream for i in range(3)} == set(R)


def test_a_session_on_a_refusing_replica_fails_and_is_forgotten() -> None:
    rs = Replicas(Clock())
    rs.pick("a/b", R, "s")
    known = rs.pick("a/b", R, "s")
    assert rs.refused("a/b", known) is None
    assert rs.pick("a/b", R, "s").fresh  # the client's next request starts a new session


def test_when_every_replica_refused_the_request_fails() -> None:
    rs = Replicas(Clock())
    pick = rs.pick("a/b", R, None)
    assert rs.refused("a/b", pick) is not None
    assert rs.refused("a/b", pick) is not None
    assert rs.refused("a/b", pick) is None
