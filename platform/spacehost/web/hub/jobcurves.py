"""What a repo page shows of the jobs that made it: its metrics file's curves (web/charts.py)
and links to the jobs whose token pushed it (api/jobpushes.py), to visitors who may see them."""

from __future__ import annotations

import asyncio
import html
from collections.abc import Sequence
from urllib.parse import quote

from aiohttp import web

from spacehost.appkeys import JOBS
from spacehost.identity import Action, Kind, Resource, can
from spacehost.store import HubStore
from spacehost.store.hub import HubCommit
from spacehost.web.hub.metrics import curves_html
from spacehost.web.usermenu import request_actor


def repo_curves(hub: HubStore, commit: HubCommit) -> str:
    """The charts of *commit*'s metrics file and study trials ("" without them)."""
    return curves_html(hub, commit)


MadeBy = tuple[str, str]  # (job id, the job's namespace)


async def jobs_that_pushed(request: web.Request, kind: str, repo_id: str) -> list[MadeBy]:
    """The jobs that pushed the repo, newest first, of namespaces the visitor may see."""
    if JOBS not in request.app:
        return []
    store = request.app[JOBS].store
    pushes = await asyncio.to_thread(store.pushes_to, kind, repo_id)
    who = request_actor(request)
    out: list[MadeBy] = []
    for job_id in dict.fromkeys(p.job_id for p in pushes):
        row = await asyncio.to_thread(store.find_job, job_id)
        if row is not None and can(
            who, Action.READ, Resource(Kind.NAMESPACE, row.namespace, private=True)
        ):
            out.append((job_id, row.namespace))
    return out


def made_by(jobs: Sequence[MadeBy]) -> str:
    """The "Made by" panel: a link to each job that pushed the repo ("" without one)."""
    if not jobs:
        return ""
    items = "".join(
        f"<li><a href='/jobs/{quote(ns)}/{quote(jid)}'>job {html.escape(jid)}</a> "
        f"<span class=note>({html.escape(ns)})</span></li>"
        for jid, ns in jobs
    )
    return f"<section class=panel id=made-by><h2>Made by</h2><ul>{items}</ul></section>"
