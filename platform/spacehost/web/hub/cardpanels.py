"""What a repo page's card tab shows around the README: above it, the jobs whose token pushed
the repo (api/jobpushes.py, to visitors who may see them), its lineage, the model-index results
and a dataset's preview; below it, the curves of its metrics file and study (web/charts.py)."""

from __future__ import annotations

import asyncio
import html
from collections.abc import Sequence
from urllib.parse import quote

from aiohttp import web

from spacehost.appkeys import JOBS
from spacehost.domain import RepoKind
from spacehost.identity import Action, Kind, Resource, can
from spacehost.store import HubStore
from spacehost.store.hub import HubCommit
from spacehost.web.hub.card import Card
from spacehost.web.hub.metrics import curves_html
from spacehost.web.hub.modelindex import lineage, results_table
from spacehost.web.hub.preview import read_preview, render_preview
from spacehost.web.usermenu import request_actor


def below_card(hub: HubStore, commit: HubCommit) -> str:
    """The charts of *commit*'s metrics file and study trials ("" without them)."""
    return curves_html(hub, commit)


def above_card(
    hub: HubStore, kind: RepoKind, card: Card, head: HubCommit, jobs: Sequence[MadeBy]
) -> str:
    """Made by (jobs), lineage, evaluation results and, for a dataset, its preview."""
    preview = (
        render_preview(read_preview(hub, head, card), card) if kind is RepoKind.DATASET else ""
    )
    return made_by(jobs) + lineage(card) + results_table(card) + preview


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
