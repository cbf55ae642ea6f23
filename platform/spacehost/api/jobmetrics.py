"""``GET /api/jobs/{namespace}/{id}/metrics``: a running job's live figures as Hugging Face
streams them for ``hf jobs stats`` and ``HfApi.fetch_job_metrics`` (docs/jobs.md, "Live
figures"): server-sent events ``event: metric`` / ``data: {"cpu_usage_pct", "cpu_millicores",
"memory_used_bytes", "memory_total_bytes", "rx_bps", "tx_bps", "gpus", "replica"}``, one a second
from the engine's stats of the job's container (lifecycle/jobmetrics.py), ending when the job
ends. A waiting job's stream stays open (``: keep-alive`` every 30 s) until it runs; a job that
has ended answers 406, as on HF (its client reads it as "no figures"). A job on the swarm's nodes
(``SPACEHOST_SWARM_JOBS=swarm``) has no figures here: 501 ``not_supported`` says why (its client
shows that message rather than "Is it running?")."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Generator
from typing import Any

from aiohttp import web

from spacehost.api.eventstream import client_connected, open_event_stream, sse
from spacehost.api.jobaccess import require_read
from spacehost.appkeys import JOBS
from spacehost.errors import JobEnded, NotSupported, SpacehostError
from spacehost.lifecycle.jobs import TERMINAL, Jobs
from spacehost.store.jobs import JobRow

log = logging.getLogger(__name__)
WAIT_POLL_S = 0.5
KEEP_ALIVE_S = 30


def _ended(row: JobRow) -> JobEnded:
    return JobEnded(
        f"job {row.id} has ended ({row.stage}): figures are read only while a job runs",
        hint=f"`hf jobs inspect {row.id}` shows how it ended",
    )


def _not_relayed(row: JobRow) -> NotSupported:
    return NotSupported(
        f"job {row.id} runs on a node of the swarm, whose engine keeps its containers' "
        "figures: the swarm's nodes do not relay stats, so spacehost has none to show",
        hint=f"`hf jobs logs {row.id}` and `hf jobs inspect {row.id}` follow it; for live "
        "figures run jobs on the build engine (SPACEHOST_SWARM_JOBS=engine)",
    )


async def _until_running(request: web.Request, resp: web.StreamResponse, row: JobRow) -> JobRow:
    """Wait (keeping the stream alive) while *row* is SCHEDULING; the job as it is then."""
    store = request.app[JOBS].store
    quiet_since = time.monotonic()
    while row.stage == "SCHEDULING" and client_connected(request):
        await asyncio.sleep(WAIT_POLL_S)
        found = await asyncio.to_thread(store.find_job, row.id)
        if found is None:
            break
        row = found
        if time.monotonic() - quiet_since >= KEEP_ALIVE_S:
            await resp.write(b": keep-alive\n\n")
            quiet_since = time.monotonic()
    return row


async def _send_figures(request: web.Request, resp: web.StreamResponse, row: JobRow) -> None:
    jobs: Jobs = request.app[JOBS]
    figures: Generator[dict[str, Any], None, None] = jobs.metrics(row)
    try:
        while client_connected(request):
            sample = await asyncio.to_thread(next, figures, None)
            if sample is None:
                return
            await resp.write(sse("metric", sample))
            found = await asyncio.to_thread(jobs.store.find_job, row.id)
            if found is None or found.stage in TERMINAL:
                return
    except SpacehostError as exc:
        log.warning("job %s: reading its figures: %s", row.id, exc)
    finally:
        with contextlib.suppress(ValueError):  # still running in its thread: it ends by itself
            await asyncio.to_thread(figures.close)


async def job_metrics(request: web.Request) -> web.StreamResponse:
    """``GET /api/jobs/{namespace}/{id}/metrics`` (see the module doc).

    Raises:
        JobEnded: the job has ended (406). NotFound: no such job. NotSupported: it runs on
            the swarm's nodes (501).
    """
    require_read(request)
    m = request.match_info
    store = request.app[JOBS].store
    row = await asyncio.to_thread(store.get_job, m["namespace"], m["id"])
    if row.stage in TERMINAL:
        raise _ended(row)
    if not request.app[JOBS].relays_figures():
        raise _not_relayed(row)
    resp = await open_event_stream(request)
    with contextlib.suppress(ConnectionResetError):  # the client has gone
        row = await _until_running(request, resp, row)
        if row.stage == "RUNNING":
            await _send_figures(request, resp, row)
        await resp.write_eof()
    return resp
