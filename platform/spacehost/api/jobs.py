"""Jobs, compatible with Hugging Face's Jobs API (huggingface_hub ``run_job``, ``hf jobs …``;
docs/jobs.md): ``/api/jobs/{namespace}`` (run, list), ``…/{id}`` (inspect), ``…/{id}/cancel``,
``…/{id}/logs`` (SSE ``data: {"data", "timestamp"}``), ``…/{id}/metrics`` (api/jobmetrics.py),
``…/{id}/labels``,
``/api/jobs/hardware`` and ``/api/scheduled-jobs/{namespace}…``.

Jobs belong to a namespace: running, cancelling and scheduling need write access to it, reading
(list, inspect, logs) membership of it (``access.require_namespace_write``,
``api/jobaccess.require_read``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from spacehost import access
from spacehost.api.eventstream import client_connected, open_event_stream, sse
from spacehost.api.jobaccess import require_read
from spacehost.api.jobmetrics import job_metrics
from spacehost.api.jobnews import job_news, wait_for_news
from spacehost.api.spacevolumes import check_access
from spacehost.appkeys import JOBS, SCHEDULES
from spacehost.errors import InvalidRequest
from spacehost.identity import Actor, Kind
from spacehost.lifecycle.jobs import TERMINAL
from spacehost.lifecycle.jobspec import parse_job_spec
from spacehost.store.jobs import JobLogLine, JobRow, JobStore, ScheduledRow

LOG_RECHECK_S = 1.0  # a follower wakes on the store's news; this only rechecks the client
KEEP_ALIVE_S = 30
HIDDEN_SECRET = "********"


def iso(ts: float | None) -> str | None:
    """A time as HF sends it: ``2026-12-07T06:10:00.123Z``."""
    if ts is None:
        return None
    dt = datetime.fromtimestamp(ts, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _owner(namespace: str, owner_type: str) -> dict[str, str]:
    return {"id": namespace, "name": namespace, "type": owner_type}


def _label_filter(raw: str) -> tuple[str, str | None]:
    key, sep, value = raw.partition("=")
    return key, value if sep else None


def _labelled(row: JobRow, wanted: list[tuple[str, str | None]]) -> bool:
    """*row* has every wanted label (``key=value``, or ``key`` alone: present)."""
    labels = row.spec.get("labels") or {}
    return all(k in labels and (v is None or labels[k] == v) for k, v in wanted)


def job_json(row: JobRow, now: float, secret_names: list[str] | None = None) -> dict[str, Any]:
    """A job in HF's ``JobInfo`` shape."""
    end = row.finished_at if row.finished_at is not None else now
    started = row.started_at
    out: dict[str, Any] = {
        **row.spec,
        "id": row.id,
        "createdAt": iso(row.created_at),
        "startedAt": iso(started),
        "finishedAt": iso(row.finished_at),
        "secrets": dict.fromkeys(secret_names or [], HIDDEN_SECRET),
        "status": {"stage": row.stage, "message": row.message or None},
        "durations": {
            "schedulingSecs": int((started or end) - row.created_at),
            "runningSecs": int(end - started) if started is not None else None,
            "totalSecs": int(end - row.created_at),
        },
        "owner": _owner(row.namespace, row.owner_type),
        "initiator": row.initiator or None,
    }
    out.pop("timeoutSeconds", None)
    if "timeoutSeconds" in row.spec:
        out["timeout"] = row.spec["timeoutSeconds"]
    return out


def scheduled_json(row: ScheduledRow) -> dict[str, Any]:
    """A scheduled job in HF's ``ScheduledJobInfo`` shape."""
    last = {"id": row.last_job_id, "at": iso(row.last_at)} if row.last_job_id else None
    return {
        "id": row.id,
        "createdAt": iso(row.created_at),
        "jobSpec": row.spec,
        "schedule": row.schedule,
        "suspend": row.suspend,
        "concurrency": row.concurrency,
        "status": {"lastJob": last, "nextJobRunAt": iso(row.next_at)},
        "owner": _owner(row.namespace, row.owner_type),
    }


# -- access --------------------------------------------------------------------------------


async def _require_write(request: web.Request) -> Actor:
    ns = request.match_info["namespace"]
    return await access.require_namespace_write(request, Kind.NAMESPACE, ns, "")


def _initiator(who: Actor) -> dict[str, Any]:
    return {"type": "user", "id": who.name or "", "name": who.name}


def _owner_type(request: web.Request, namespace: str) -> str:
    kind = access.accounts(request).namespace_kind(namespace)
    return "org" if kind == "org" else "user"


async def _body(request: web.Request) -> Any:
    try:
        return await request.json()
    except ValueError as exc:
        raise InvalidRequest(
            "the body is not JSON", hint="send the job spec as a JSON object"
        ) from exc


# -- jobs ----------------------------------------------------------------------------------


async def hardware(request: web.Request) -> web.Response:
    """``GET /api/jobs/hardware``: the flavors this host (or the swarm's nodes, with
    ``SPACEHOST_SWARM_JOBS=swarm``) can run (no token needed)."""
    return web.json_response(await asyncio.to_thread(request.app[JOBS].offered))


async def run_job(request: web.Request) -> web.Response:
    """``POST /api/jobs/{namespace}``: queue a job (started at once when there is room)."""
    who = await _require_write(request)
    ns = request.match_info["namespace"]
    spec = parse_job_spec(await _body(request))
    for volume in spec.volumes:  # mounting a bucket must not be a way into another's
        await check_access(request, volume)
    jobs = request.app[JOBS]
    owner_type = _owner_type(request, ns)
    row = await asyncio.to_thread(jobs.submit, ns, spec, _initiator(who), owner_type=owner_type)
    return web.json_response(job_json(row, time.time(), sorted(spec.secrets)))


async def list_jobs(request: web.Request) -> web.Response:
    """``GET /api/jobs/{namespace}?stage=…&label=k=v``: newest first (one page)."""
    require_read(request)
    ns = request.match_info["namespace"]
    stages = [s.upper() for s in request.query.getall("stage", [])]
    wanted = [_label_filter(lbl) for lbl in request.query.getall("label", []) if lbl]
    rows = await asyncio.to_thread(request.app[JOBS].store.list_jobs, ns, stages)
    now = time.time()
    out = [job_json(r, now) for r in rows if _labelled(r, wanted)]
    return web.json_response(out)


async def inspect_job(request: web.Request) -> web.Response:
    """``GET /api/jobs/{namespace}/{id}``."""
    require_read(request)
    m = request.match_info
    row = await asyncio.to_thread(request.app[JOBS].store.get_job, m["namespace"], m["id"])
    return web.json_response(job_json(row, time.time()))


async def cancel_job(request: web.Request) -> web.Response:
    """``POST /api/jobs/{namespace}/{id}/cancel`` (the body is ignored, as on HF)."""
    await _require_write(request)
    m = request.match_info
    row = await asyncio.to_thread(request.app[JOBS].cancel, m["namespace"], m["id"])
    return web.json_response(job_json(row, time.time()))


async def _labels(request: web.Request) -> dict[str, str]:
    body = await _body(request)
    labels = body.get("labels") if isinstance(body, dict) else None
    if not isinstance(labels, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in labels.items()
    ):
        raise InvalidRequest("send {'labels': {key: value}}", hint="labels map strings to strings")
    return labels


async def set_labels(request: web.Request) -> web.Response:
    """``PUT /api/jobs/{namespace}/{id}/labels`` with ``{"labels": {...}}``."""
    await _require_write(request)
    m = request.match_info
    labels = await _labels(request)
    store = request.app[JOBS].store
    row = await asyncio.to_thread(store.get_job, m["namespace"], m["id"])
    await asyncio.to_thread(store.set_labels, row.id, {**row.spec, "labels": labels})
    row = await asyncio.to_thread(store.get_job, m["namespace"], m["id"])
    return web.json_response(job_json(row, time.time()))


def _tail(request: web.Request) -> int | None:
    raw = request.query.get("tail")
    if raw is None:
        return None
    if not raw.isdigit():
        raise InvalidRequest(f"tail must be a number of lines, not {raw!r}", hint="e.g. ?tail=100")
    return int(raw)


async def job_logs(request: web.Request) -> web.StreamResponse:
    """``GET /api/jobs/{namespace}/{id}/logs[?tail=N]``: the job's lines as server-sent events
    (``data: {"data": line, "timestamp": iso}``), then new ones as they are stored (woken by the
    store, api/jobnews.py), until the job has ended and every line was sent; ``: keep-alive``
    every 30 s of silence."""
    require_read(request)
    m = request.match_info
    store = request.app[JOBS].store
    row = await asyncio.to_thread(store.get_job, m["namespace"], m["id"])
    tail = _tail(request)
    resp = await open_event_stream(request)
    with contextlib.suppress(ConnectionResetError):  # the page was closed or moved on
        with job_news(store, row.id) as news:
            await _follow_log(request, resp, store, row.id, news, tail)
        await resp.write_eof()
    return resp


async def _send_lines(resp: web.StreamResponse, lines: list[JobLogLine]) -> None:
    for line in lines:
        await resp.write(sse(None, {"data": line.line, "timestamp": iso(line.at)}))


async def _follow_log(
    request: web.Request,
    resp: web.StreamResponse,
    store: JobStore,
    job_id: str,
    news: asyncio.Event,
    tail: int | None,
) -> None:
    seq, quiet_since, first = 0, time.monotonic(), True
    while client_connected(request):
        news.clear()  # before the read: a line stored after it sets it again
        lines = await asyncio.to_thread(store.logs, job_id, seq, tail if first else None)
        first = False
        await _send_lines(resp, lines)
        if lines:
            seq, quiet_since = lines[-1].seq, time.monotonic()
            continue
        found = await asyncio.to_thread(store.find_job, job_id)
        if found is None or found.stage in TERMINAL:
            # lines written between the read above and the stage: one last read
            await _send_lines(resp, await asyncio.to_thread(store.logs, job_id, seq))
            return
        if time.monotonic() - quiet_since >= KEEP_ALIVE_S:
            await resp.write(b": keep-alive\n\n")
            quiet_since = time.monotonic()
        await wait_for_news(news, LOG_RECHECK_S)


# -- scheduled jobs ------------------------------------------------------------------------


async def create_scheduled(request: web.Request) -> web.Response:
    """``POST /api/scheduled-jobs/{namespace}`` with ``{jobSpec, schedule, suspend?,
    concurrency?}``."""
    who = await _require_write(request)
    ns = request.match_info["namespace"]
    body = await _body(request)
    if not isinstance(body, dict):
        raise InvalidRequest("a scheduled job is a JSON object", hint="see docs/jobs.md")
    spec = parse_job_spec(body.get("jobSpec"))
    for volume in spec.volumes:
        await check_access(request, volume)
    row = await asyncio.to_thread(
        request.app[SCHEDULES].create,
        ns,
        spec,
        body.get("schedule"),
        _initiator(who),
        suspend=bool(body.get("suspend")),
        concurrency=bool(body.get("concurrency")),
        owner_type=_owner_type(request, ns),
    )
    return web.json_response(scheduled_json(row))


async def list_scheduled(request: web.Request) -> web.Response:
    """``GET /api/scheduled-jobs/{namespace}``: a plain list, as on HF."""
    require_read(request)
    ns = request.match_info["namespace"]
    rows = await asyncio.to_thread(request.app[JOBS].store.list_scheduled, ns)
    return web.json_response([scheduled_json(r) for r in rows])


async def inspect_scheduled(request: web.Request) -> web.Response:
    require_read(request)
    m = request.match_info
    row = await asyncio.to_thread(request.app[JOBS].store.get_scheduled, m["namespace"], m["id"])
    return web.json_response(scheduled_json(row))


async def delete_scheduled(request: web.Request) -> web.Response:
    await _require_write(request)
    m = request.match_info
    await asyncio.to_thread(request.app[SCHEDULES].delete, m["namespace"], m["id"])
    return web.json_response({})


async def suspend_scheduled(request: web.Request) -> web.Response:
    await _require_write(request)
    m = request.match_info
    row = await asyncio.to_thread(request.app[SCHEDULES].suspend, m["namespace"], m["id"], True)
    return web.json_response(scheduled_json(row))


async def resume_scheduled(request: web.Request) -> web.Response:
    await _require_write(request)
    m = request.match_info
    row = await asyncio.to_thread(request.app[SCHEDULES].suspend, m["namespace"], m["id"], False)
    return web.json_response(scheduled_json(row))


async def reschedule(request: web.Request) -> web.Response:
    """``POST /api/scheduled-jobs/{namespace}/{id}/schedule`` with ``{"schedule"}``."""
    await _require_write(request)
    m = request.match_info
    body = await _body(request)
    schedule = body.get("schedule") if isinstance(body, dict) else None
    sched = request.app[SCHEDULES]
    row = await asyncio.to_thread(sched.reschedule, m["namespace"], m["id"], schedule)
    return web.json_response(scheduled_json(row))


async def relabel_scheduled(request: web.Request) -> web.Response:
    """``PUT /api/scheduled-jobs/{namespace}/{id}/labels`` with ``{"labels": {...}}``."""
    await _require_write(request)
    m = request.match_info
    labels = await _labels(request)
    sched = request.app[SCHEDULES]
    row = await asyncio.to_thread(sched.relabel, m["namespace"], m["id"], labels)
    return web.json_response(scheduled_json(row))


async def run_scheduled(request: web.Request) -> web.Response:
    """``POST /api/scheduled-jobs/{namespace}/{id}/run``: one run now; a JobInfo (409 while the
    last run is active, unless concurrency is allowed)."""
    await _require_write(request)
    m = request.match_info
    row = await asyncio.to_thread(request.app[SCHEDULES].run_now, m["namespace"], m["id"])
    return web.json_response(job_json(row, time.time()))


def add_job_routes(app: web.Application) -> None:
    """Register the jobs routes (``/api/jobs/hardware`` before ``/api/jobs/{namespace}``)."""
    jobs, sched = "/api/jobs/{namespace}", "/api/scheduled-jobs/{namespace}"
    app.router.add_get("/api/jobs/hardware", hardware)
    app.router.add_post(jobs, run_job)
    app.router.add_get(jobs, list_jobs)
    app.router.add_get(f"{jobs}/{{id}}", inspect_job)
    app.router.add_post(f"{jobs}/{{id}}/cancel", cancel_job)
    app.router.add_get(f"{jobs}/{{id}}/logs", job_logs)
    app.router.add_get(f"{jobs}/{{id}}/metrics", job_metrics)
    app.router.add_put(f"{jobs}/{{id}}/labels", set_labels)
    app.router.add_post(sched, create_scheduled)
    app.router.add_get(sched, list_scheduled)
    app.router.add_get(f"{sched}/{{id}}", inspect_scheduled)
    app.router.add_delete(f"{sched}/{{id}}", delete_scheduled)
    app.router.add_post(f"{sched}/{{id}}/suspend", suspend_scheduled)
    app.router.add_post(f"{sched}/{{id}}/resume", resume_scheduled)
    app.router.add_post(f"{sched}/{{id}}/run", run_scheduled)
    app.router.add_post(f"{sched}/{{id}}/schedule", reschedule)
    app.router.add_put(f"{sched}/{{id}}/labels", relabel_scheduled)
