"""A client that calls one URL back to back while something happens to the platform, recording
every failed request (for the zero-failure tests)."""

from __future__ import annotations

import threading

import requests


class RequestLoop:
    """GETs *url* back to back on one keep-alive connection until the ``with`` block ends.

    A request counts as served when it answers 200 and its body contains *expect*; anything
    else (an exception, another status, another page) is recorded in ``failures``.
    """

    def __init__(self, url: str, expect: str = "", timeout: float = 30) -> None:
        self.url, self.expect, self.timeout = url, expect, timeout
        self.served = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RequestLoop:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        with requests.Session() as session:
            while not self._stop.is_set():
                try:
                    resp = session.get(self.url, timeout=self.timeout)
                except requests.RequestException as e:
                    self.failures.append(f"{type(e).__name__}: {e}")
                    continue
                if resp.status_code != 200 or self.expect not in resp.text:
                    self.failures.append(f"HTTP {resp.status_code}: {resp.text[:120]!r}")
                else:
                    self.served += 1


class ClientThreads:
    """*n* threads, each running :meth:`_run` (a bounded loop that stops when ``_stop`` is set)
    until the ``with`` block ends; what they answer goes into ``answers[i]``, every failure into
    ``failures``. Subclasses say what one client does."""

    def __init__(self, n: int, join_s: float = 60) -> None:
        self.answers: list[list[str]] = [[] for _ in range(n)]
        self.failures: list[str] = []
        self._join_s = join_s
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(n)
        ]

    def __enter__(self) -> ClientThreads:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(self._join_s)

    def _run(self, i: int) -> None:
        raise NotImplementedError
