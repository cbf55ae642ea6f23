"""Choosing the replica of a space that answers a request: sticky sessions, spread, dead ones.

A space that runs as several processes (``RouteEntry.replicas``) has one Gradio queue and one
session state per process. :class:`Replicas` sends every request that names a session
(:mod:`spacehost.router.gradiosession`) to the replica that holds it; a request of a new session
(or of none) to the replica its affinity cookie prefers, else to the next replica in turn,
skipping one marked down. A replica that
refuses a connection is marked down for :data:`DOWN_S`; a new session is then retried on another
one (nothing was sent), a session it held fails and is forgotten, so the client's next request
starts a new session elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from spacehost.router.sessionmap import SessionMap
from spacehost.router.table import Upstream

DOWN_S = 5.0
# round-robin positions kept (one per space with replicas); beyond, they start again at zero
_MAX_SPACES = 4096


@dataclass(slots=True)
class Pick:
    """The replica chosen for one request.

    Attributes:
        upstream: where it goes.
        session: ``space\\0key`` of the session it names, "" for none.
        fresh: the session was new (or there is none): it may move to another replica while
            nothing has been sent.
        tried: the replicas tried so far, by pool key.
        replicas: the space's replicas when it was chosen.
    """

    upstream: Upstream
    session: str
    fresh: bool
    tried: tuple[str, ...]
    replicas: tuple[Upstream, ...]


class Replicas:
    """The router's memory of sessions and dead replicas, shared by every connection.

    Args:
        clock: monotonic seconds (the event loop's ``time``).
        sessions: where bound sessions are remembered (a default-sized :class:`SessionMap`).
    """

    def __init__(self, clock: Callable[[], float], sessions: SessionMap | None = None) -> None:
        self._clock = clock
        self.sessions = sessions if sessions is not None else SessionMap(clock)
        self._turn: dict[str, int] = {}
        self._down: dict[str, float] = {}

    def pick(
        self,
        space: str,
        replicas: tuple[Upstream, ...],
        session: str | None,
        preferred: Upstream | None = None,
    ) -> Pick:
        """The replica for a request of *space* that names *session* (or none).

        Args:
            space: ``owner/name``.
            replicas: the space's upstreams (two or more).
            session: the session key the request names, or None.
            preferred: the replica the request's affinity cookie names, if any.

        Returns:
            The bound replica of a known session (while it is still one of *replicas*), else
            *preferred* unless it is down, else the next live replica in turn; a named session
            is then bound to it.
        """
        key = f"{space}\0{session}" if session else ""
        if key:
            bound = self.sessions.get(key)
            if bound is not None:
                found = next((r for r in replicas if r.key == bound), None)
                if found is not None:
                    return Pick(found, key, False, (found.key,), replicas)
        if preferred is not None and not self.is_down(preferred):
            chosen = preferred
        else:
            # new sessions take turns apart from requests of none, so that sessions spread
            # evenly whatever else their clients ask for (pages, config, assets)
            chosen = self._next(space + "\0" if key else space, replicas, ())
        if key:
            self.sessions.bind(key, chosen.key)
        return Pick(chosen, key, True, (chosen.key,), replicas)

    def bind(self, space: str, key: str, upstream: Upstream) -> None:
        """Remember that *key* of *space* (an event a replica answered with) lives on
        *upstream*."""
        self.sessions.bind(f"{space}\0{key}", upstream.key)

    def refused(self, space: str, pick: Pick) -> Upstream | None:
        """*pick*'s replica refused the connection: mark it down, and choose another for a
        fresh session (bound to it), or forget the session it held.

        Returns:
            The replica to try next, or None when the request fails (its session lived on the
            dead replica, or every replica was tried).
        """
        if len(self._down) >= _MAX_SPACES:
            self._down.clear()
        self._down[pick.upstream.key] = self._clock() + DOWN_S
        replicas = pick.replicas
        if not pick.fresh or len(pick.tried) >= len(replicas):
            if pick.session:
                self.sessions.forget(pick.session)
            return None
        other = self._next(space + "\0" if pick.session else space, replicas, pick.tried)
        if other.key in pick.tried:
            return None
        pick.upstream = other
        pick.tried += (other.key,)
        if pick.session:
            self.sessions.bind(pick.session, other.key)
        return other

    def another(self, space: str, pick: Pick) -> Upstream | None:
        """A replica *pick* has not tried yet (asking each for a file in turn), or None."""
        if len(pick.tried) >= len(pick.replicas):
            return None
        other = self._next(space, pick.replicas, pick.tried)
        if other.key in pick.tried:
            return None
        pick.upstream = other
        pick.tried += (other.key,)
        return other

    def is_down(self, upstream: Upstream) -> bool:
        """Whether *upstream* refused a connection less than :data:`DOWN_S` ago."""
        until = self._down.get(upstream.key)
        if until is None:
            return False
        if until <= self._clock():
            del self._down[upstream.key]
            return False
        return True

    def _next(self, turn: str, replicas: Sequence[Upstream], tried: tuple[str, ...]) -> Upstream:
        """The next replica in *turn* that is neither down nor tried; the next in turn when
        none is left (a replica marked down may be back)."""
        if turn not in self._turn and len(self._turn) >= _MAX_SPACES:
            self._turn.clear()
        start = self._turn.get(turn, 0)
        count = len(replicas)
        for step in range(count):
            candidate = replicas[(start + step) % count]
            if candidate.key not in tried and not self.is_down(candidate):
                self._turn[turn] = (start + step + 1) % count
                return candidate
        self._turn[turn] = (start + 1) % count
        return replicas[start % count]
