"""Who waits for a job's news: callbacks the jobs database runs after it stores a log line or a
new stage of the job, so a follower (the logs API's stream, api/jobs.py) wakes at once instead
of polling. Callbacks run in the writing thread, after the write; they must be quick and never
raise (a follower's only hands the news to its event loop)."""

from __future__ import annotations

import threading
from collections.abc import Callable

Callback = Callable[[], None]


class JobWatchers:
    """Callbacks by job id; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_job: dict[str, set[Callback]] = {}

    def watch(self, job_id: str, callback: Callback) -> Callable[[], None]:
        """Run *callback* after each change of *job_id*; returns what stops it."""
        with self._lock:
            self._by_job.setdefault(job_id, set()).add(callback)

        def unwatch() -> None:
            with self._lock:
                callbacks = self._by_job.get(job_id)
                if callbacks is not None:
                    callbacks.discard(callback)
                    if not callbacks:
                        del self._by_job[job_id]

        return unwatch

    def changed(self, job_id: str) -> None:
        """*job_id* has news: run its callbacks."""
        with self._lock:
            callbacks = list(self._by_job.get(job_id, ()))
        for callback in callbacks:
            callback()
