"""A job's news on the event loop: an :class:`asyncio.Event` set (from the writing thread) when
the jobs database stores a log line or a new stage of the job (store/jobwatch.py), so a stream
that follows the job sends a line as soon as it is stored instead of on its next poll."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

from spacehost.store.jobs import JobStore


@contextlib.contextmanager
def job_news(store: JobStore, job_id: str) -> Iterator[asyncio.Event]:
    """An event set after each change of *job_id* while the block runs (clear it before
    reading, so no news is missed between the read and the wait)."""
    loop, news = asyncio.get_running_loop(), asyncio.Event()

    def wake() -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting
            loop.call_soon_threadsafe(news.set)

    unwatch = store.watchers.watch(job_id, wake)
    try:
        yield news
    finally:
        unwatch()


async def wait_for_news(news: asyncio.Event, at_most: float) -> None:
    """Until *news* is set or *at_most* seconds have passed."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(news.wait(), at_most)
