"""A bounded memory of which replica holds which session: a segmented LRU with expiry.

Session keys come from clients, so anyone can send made-up ones as fast as they like. The map
never holds more than ``probation + protected`` entries, and a flood of keys that are each seen
once cannot push out the sessions in use: a key enters *probation* when first bound and moves to
the *protected* segment when it is seen again (a real Gradio session is seen many times: its
heartbeat, joins, event streams), so new keys only evict other new keys. An entry not seen for
``ttl`` seconds is gone (checked when it is looked up, and at the cold end when inserting).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

_Segment = OrderedDict[str, tuple[str, float]]

PROBATION = 16_384
PROTECTED = 65_536
TTL_S = 3600.0


class SessionMap:
    """Session key -> replica key, bounded.

    Args:
        clock: monotonic seconds.
        probation: how many keys seen once are kept.
        protected: how many keys seen more than once are kept.
        ttl: seconds after its last use that an entry is forgotten.
    """

    def __init__(
        self,
        clock: Callable[[], float],
        probation: int = PROBATION,
        protected: int = PROTECTED,
        ttl: float = TTL_S,
    ) -> None:
        self._clock = clock
        self._sizes = (probation, protected)
        self._ttl = ttl
        self._probation: _Segment = OrderedDict()
        self._protected: _Segment = OrderedDict()

    def __len__(self) -> int:
        return len(self._probation) + len(self._protected)

    def get(self, key: str) -> str | None:
        """The replica *key* is bound to, refreshing it; None when unknown or expired."""
        now = self._clock()
        found = self._protected.pop(key, None) or self._probation.pop(key, None)
        if found is None or now - found[1] > self._ttl:
            return None
        self._put(self._protected, self._sizes[1], key, (found[0], now))
        return found[0]

    def bind(self, key: str, replica: str) -> None:
        """Remember that *key* is held by *replica* (a new session, or a rebinding)."""
        now = self._clock()
        if key in self._protected:
            self._protected[key] = (replica, now)
            self._protected.move_to_end(key)
            return
        self._probation.pop(key, None)
        self._put(self._probation, self._sizes[0], key, (replica, now))

    def forget(self, key: str) -> None:
        """Drop *key* (its replica died: the client starts a new session)."""
        self._protected.pop(key, None)
        self._probation.pop(key, None)

    def _put(
        self,
        segment: OrderedDict[str, tuple[str, float]],
        size: int,
        key: str,
        value: tuple[str, float],
    ) -> None:
        segment[key] = value
        now = value[1]
        while segment and (
            len(segment) > size or now - next(iter(segment.values()))[1] > self._ttl
        ):
            evicted, old = segment.popitem(last=False)
            if segment is self._protected and now - old[1] <= self._ttl:
                # a protected key pushed out gets one more chance as a new one
                self._put(self._probation, self._sizes[0], evicted, old)
