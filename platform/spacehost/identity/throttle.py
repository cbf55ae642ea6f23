"""Throttling failed sign-ins: after ``FREE_FAILURES`` failures for one user name or one client
address within ``WINDOW_S``, each further attempt waits twice as long as the last (1 s, 2 s, 4 s
… up to ``MAX_LOCK_S``), whether the password is right or not. Pure; the clock is passed in;
kept in memory (a restart forgets, which costs an attacker nothing they did not have)."""

from __future__ import annotations

from dataclasses import dataclass

FREE_FAILURES = 5
WINDOW_S = 15 * 60
MAX_LOCK_S = 15 * 60
_MAX_KEYS = 100_000


@dataclass
class _Count:
    failures: int
    first: float
    locked_until: float = 0.0


class Throttle:
    def __init__(self) -> None:
        self._counts: dict[str, _Count] = {}

    def wait_s(self, keys: list[str], now: float) -> float:
        """Seconds to wait before another attempt for any of *keys* (0: go ahead)."""
        waits = [c.locked_until - now for k in keys if (c := self._counts.get(k))]
        return max([0.0, *waits])

    def failed(self, keys: list[str], now: float) -> None:
        if len(self._counts) > _MAX_KEYS:
            self._counts.clear()
        for key in keys:
            count = self._counts.get(key)
            if count is None or now - count.first > WINDOW_S:
                count = self._counts[key] = _Count(0, now)
            count.failures += 1
            over = count.failures - FREE_FAILURES
            if over > 0:
                count.locked_until = now + min(MAX_LOCK_S, 2.0 ** (over - 1))

    def succeeded(self, keys: list[str]) -> None:
        for key in keys:
            self._counts.pop(key, None)
