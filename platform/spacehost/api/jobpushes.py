"""Which job made a commit: a commit sent with a job's token (``job-ID``, made for each job by
server/jobs.py) is recorded in the jobs database, so the job's page lists what it pushed and a
repo's page links the job that made it (docs/jobs.md, "What a job pushed"). Both ways in record
here: the commit API (api/commit.py, per commit) and git's push (api/gitreceive.py, the new
commit of each branch a push moved)."""

from __future__ import annotations

import asyncio
import time

from aiohttp import web

from spacehost import access
from spacehost.appkeys import JOBS
from spacehost.identity import Actor
from spacehost.store.jobs import JobPush

JOB_TOKEN_PREFIX = "job-"


def job_of_token(token_name: str) -> str | None:
    """The job id a job token's name carries, or None for any other token."""
    if token_name.startswith(JOB_TOKEN_PREFIX) and len(token_name) > len(JOB_TOKEN_PREFIX):
        return token_name[len(JOB_TOKEN_PREFIX) :]
    return None


async def record_job_push(request: web.Request, kind: str, repo_id: str, sha: str) -> None:
    """Record commit *sha* to *repo_id* when *request* was made with a job's token of a job
    this platform ran (a user's own token called ``job-…`` names no job and is not recorded)."""
    await record_push_by(request.app, access.actor(request), kind, repo_id, sha)


async def record_push_by(
    app: web.Application, who: Actor, kind: str, repo_id: str, sha: str
) -> None:
    """Record commit *sha* to *repo_id* when *who* authenticated with a job's token (a push's
    hooks call back without the pusher's token, so git passes the pusher along)."""
    job_id = job_of_token(who.token_name)
    if job_id is None or JOBS not in app:
        return
    store = app[JOBS].store
    if await asyncio.to_thread(store.find_job, job_id) is None:
        return
    push = JobPush(job_id, kind, repo_id, sha, time.time())
    await asyncio.to_thread(store.add_push, push)
