"""``/jobs``, ``/jobs/{namespace}`` and ``/jobs/{namespace}/{id}``: the Jobs pages (docs/pages.md,
"Jobs"). Who sees what is the jobs API's rule (api/jobs.py): a namespace's members (and platform
admins) see its jobs; anyone else gets the same 404 as for a namespace with no such job, so a
private namespace's jobs stay hidden; visitors who are not signed in go to the sign-in page."""

from __future__ import annotations

import asyncio
import functools
import json
import time

from aiohttp import web

from spacehost.appkeys import HUB, JOBS
from spacehost.domain import RepoKind
from spacehost.errors import NotFound
from spacehost.identity import Action, Actor, Kind, Resource, can
from spacehost.lifecycle.jobs import Jobs
from spacehost.store import HubStore
from spacehost.store.jobs import JobPush, JobRow
from spacehost.web.account_kit import not_found_page, signed_in
from spacehost.web.hub.metrics import curves_html
from spacehost.web.job_render import JobView, render_job_list, render_job_page

MAX_LISTED = 200
MAX_PAGE_LINES = 2000  # the last lines rendered into a job's page; `hf jobs logs` has all


def may_read(who: Actor, namespace: str) -> bool:
    """*who* may see *namespace*'s jobs (the jobs API's rule)."""
    return can(who, Action.READ, Resource(Kind.NAMESPACE, namespace, private=True))


def namespaces_of(who: Actor) -> list[str]:
    """The visitor's own namespace, then their organizations'."""
    return [who.name or "", *sorted(who.orgs)]


def secret_names(jobs: Jobs, row: JobRow) -> list[str]:
    """The names of a job's secrets (their values are decrypted only to be dropped)."""
    if not row.secrets:
        return []
    return sorted(json.loads(jobs.box.decrypt(row.secrets, name="a job's secrets")))


def curves_of(hub: HubStore | None, pushes: list[JobPush]) -> str:
    """The charts of the newest commit the job pushed that has curves ("" without one)."""
    if hub is None:
        return ""
    for push in reversed(pushes):
        if push.kind not in (RepoKind.MODEL.value, RepoKind.DATASET.value):
            continue
        try:
            commit = hub.resolve(RepoKind(push.kind), push.repo_id, push.sha)
        except NotFound:
            continue
        charts = curves_html(hub, commit)
        if charts:
            return charts
    return ""


def _job_view(jobs: Jobs, hub: HubStore | None, namespace: str, job_id: str) -> JobView:
    row = jobs.store.get_job(namespace, job_id)
    pushes = jobs.store.pushes_of(row.id)
    return JobView(
        row,
        jobs.store.logs(row.id, 0, MAX_PAGE_LINES),
        secret_names(jobs, row),
        pushes,
        curves_of(hub, pushes),
    )


def _html(text: str) -> web.Response:
    return web.Response(text=text, content_type="text/html")


async def jobs_home(request: web.Request) -> web.Response:
    """``GET /jobs``: the signed-in visitor's own jobs."""
    who = signed_in(request)
    raise web.HTTPSeeOther(f"/jobs/{who.name}")


async def jobs_list_page(request: web.Request) -> web.Response:
    """``GET /jobs/{namespace}``: the namespace's jobs, newest first."""
    who = signed_in(request)
    ns = request.match_info["namespace"]
    if not may_read(who, ns):
        return not_found_page()
    jobs = request.app[JOBS]
    rows = (await asyncio.to_thread(jobs.store.list_jobs, ns))[:MAX_LISTED]
    others = [n for n in namespaces_of(who) if n.lower() != ns.lower()]
    sizes = functools.cache(jobs.limits)  # on a swarm: one look at the nodes per flavor
    return _html(await asyncio.to_thread(render_job_list, ns, rows, sizes, time.time(), others))


async def job_page(request: web.Request) -> web.Response:
    """``GET /jobs/{namespace}/{id}``: one job (the link ``hf jobs run`` prints)."""
    who = signed_in(request)
    ns, job_id = request.match_info["namespace"], request.match_info["id"]
    if not may_read(who, ns):
        return not_found_page()
    jobs, hub = request.app[JOBS], request.app.get(HUB)
    try:
        view = await asyncio.to_thread(_job_view, jobs, hub, ns, job_id)
    except NotFound:
        return not_found_page()
    return _html(await asyncio.to_thread(render_job_page, view, jobs.limits, time.time()))


def add_job_pages(app: web.Application) -> None:
    """The Jobs pages; registered before the hub's ``/{owner}/{name}`` (``jobs`` is a reserved
    owner name, domain.RESERVED_OWNERS)."""
    app.router.add_get("/jobs", jobs_home)
    app.router.add_get("/jobs/{namespace}", jobs_list_page)
    app.router.add_get("/jobs/{namespace}/{id}", job_page)
