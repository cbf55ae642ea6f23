"""The Jobs pages' HTML (docs/pages.md, "Jobs"): a namespace's job list and one job's page.
Pure: rows in, HTML out. Everything a job supplies (command, image, labels, log lines,
message) is escaped; environment and secret *values* are never shown, only their names."""

from __future__ import annotations

import html
import shlex
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from spacehost.errors import SpacehostError
from spacehost.lifecycle.jobflavors import Limits
from spacehost.lifecycle.jobs import TERMINAL
from spacehost.store.jobs import JobLogLine, JobPush, JobRow
from spacehost.web.joblog_script import SCRIPT as LOG_SCRIPT
from spacehost.web.jobstage_script import SCRIPT as STAGE_SCRIPT
from spacehost.web.layout import shell

e = html.escape
GIB = 1 << 30

CSS = """<style>
.jobs td code{word-break:break-all}.job dl{display:grid;grid-template-columns:max-content 1fr;
gap:4px 14px}.job dt{color:#6b7280}.job dd{margin:0}.meta{color:#6b7280;font-size:.9rem}
.badge.done{background:#e0e7ff;color:#3730a3}
</style>"""

_STAGE_CLASS = {"RUNNING": "running", "SCHEDULING": "busy", "ERROR": "error", "COMPLETED": "done"}
_REPO_PATH = {"model": "", "dataset": "datasets/", "space": "spaces/"}


def stage_badge(stage: str, ident: str = "") -> str:
    """A job's stage as a badge (SCHEDULING busy, RUNNING running, ERROR red, …)."""
    cls = _STAGE_CLASS.get(stage, "")
    attr = f" id={ident}" if ident else ""
    return f"<span class='badge {cls}'{attr}>{e(stage)}</span>"


def duration(row: JobRow, now: float) -> str:
    """How long the job ran (or has been running; "waiting" before it starts)."""
    if row.started_at is None:
        return "waiting" if row.finished_at is None else "—"
    secs = int((row.finished_at if row.finished_at is not None else now) - row.started_at)
    if secs < 60:
        return f"{secs} s"
    if secs < 3600:
        return f"{secs // 60} min {secs % 60} s"
    return f"{secs // 3600} h {secs % 3600 // 60} min"


Sizes = Callable[[str], Limits]
"""What a job of a flavor runs with (``Jobs.limits``: this host's share, or on a swarm, the
nodes that hold it)."""


def resources(row: JobRow, sizes: Sizes) -> str:
    """The flavor and what it gives where the job runs: ``cpu-basic · 2 CPU · 16 GiB``."""
    flavor = str(row.spec.get("flavor") or "cpu-basic")
    try:
        lim = sizes(flavor)
    except SpacehostError:  # no such flavor (any more), no node holds it, the manager is down
        return flavor
    gpus = f" · {lim.gpus} GPU" if lim.gpus else ""
    return f"{flavor} · {lim.cpus:g} CPU · {lim.memory / GIB:.3g} GiB{gpus}"


def command_line(row: JobRow) -> str:
    """The command and its arguments as one shell line."""
    words = [str(w) for w in (row.spec.get("command") or [])]
    words += [str(w) for w in (row.spec.get("arguments") or [])]
    return shlex.join(words)


def image_of(row: JobRow) -> str:
    spec = row.spec
    if spec.get("spaceId"):
        return f"space {spec['spaceId']}"
    return str(spec.get("dockerImage") or "")


def when(ts: float | None) -> str:
    return "—" if ts is None else time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ts))


def job_url(row: JobRow) -> str:
    return f"/jobs/{quote(row.namespace)}/{quote(row.id)}"


def job_list_row(row: JobRow, sizes: Sizes, now: float) -> str:
    return (
        f"<tr data-job='{e(row.id, quote=True)}'><td><a href='{job_url(row)}'><code>"
        f"{e(row.id)}</code></a></td><td>{stage_badge(row.stage)}</td>"
        f"<td class=duration>{e(duration(row, now))}</td><td>{e(resources(row, sizes))}</td>"
        f"<td><code>{e(command_line(row))}</code></td><td>{when(row.created_at)}</td></tr>"
    )


def _live(api: str, rows: Sequence[JobRow]) -> str:
    """``data-api`` for the stage script while any of *rows* is still waiting or running."""
    active = any(r.stage not in TERMINAL for r in rows)
    return f" data-api='{e(api, quote=True)}'" if active else ""


def render_job_list(
    namespace: str, rows: Sequence[JobRow], sizes: Sizes, now: float, others: Sequence[str]
) -> str:
    """``/jobs/{namespace}``: its jobs, newest first, and links to the visitor's other
    namespaces (*others*)."""
    if rows:
        body = "".join(job_list_row(r, sizes, now) for r in rows)
        live = _live(f"/api/jobs/{quote(namespace)}", rows)
        table = (
            f"<table class=jobs id=jobs{live}><tr><th>Job</th><th>Stage</th><th>Duration</th>"
            f"<th>Resources</th><th>Command</th><th>Created</th></tr>{body}</table>{STAGE_SCRIPT}"
        )
    else:
        table = (
            "<p id=jobs>No jobs yet. Run one with <code>hf jobs run python:3.11 python -c "
            "\"print('hello')\"</code> (<a href='/docs/jobs'>Jobs guide</a>).</p>"
        )
    links = " · ".join(f"<a href='/jobs/{quote(n)}'>{e(n)}</a>" for n in others)
    switch = f"<p class=meta>Other namespaces: {links}</p>" if links else ""
    text = f"{CSS}<h1>Jobs of {e(namespace)}</h1>{switch}{table}"
    return shell(f"Jobs · {namespace} · spacehost", text, nav="jobs")


def _names(names: Sequence[str]) -> str:
    return ", ".join(f"<code>{e(n)}</code>" for n in names) or "—"


def pushes_list(pushes: Sequence[JobPush]) -> str:
    """The commits the job made, newest repo state last: links to the repos and revisions."""
    if not pushes:
        return "<p id=pushes class=meta>Nothing pushed to the hub with this job's token.</p>"
    items = "".join(
        f"<li><a href='/{_REPO_PATH.get(p.kind, '')}{e(p.repo_id, quote=True)}'>"
        f"{e(p.kind)} {e(p.repo_id)}</a> · commit <code>{e(p.sha[:12])}</code> · {when(p.at)}</li>"
        for p in pushes
    )
    return f"<ul id=pushes>{items}</ul>"


@dataclass(frozen=True)
class JobView:
    """What a job's page shows: the job, its stored log lines, its commits, its curves."""

    row: JobRow
    lines: Sequence[JobLogLine]
    secret_names: Sequence[str]
    pushes: Sequence[JobPush]
    curves: str  # the charts' HTML (web/hub/metrics.py), "" without curves


def render_job_page(view: JobView, sizes: Sizes, now: float) -> str:
    """``/jobs/{namespace}/{id}``: the job's spec, stage, logs (followed live) and results."""
    row = view.row
    api = f"/api/jobs/{quote(row.namespace)}/{quote(row.id)}"
    labels = row.spec.get("labels") or {}
    facts = (
        f"<dt>Stage</dt><dd>{stage_badge(row.stage, 'job-stage')} "
        f"<span id=job-message>{e(row.message)}</span></dd>"
        f"<dt>Command</dt><dd><code id=job-command>{e(command_line(row))}</code></dd>"
        f"<dt>Image</dt><dd><code>{e(image_of(row))}</code></dd>"
        f"<dt>Resources</dt><dd>{e(resources(row, sizes))}</dd>"
        f"<dt>Environment</dt><dd>{_names(sorted(row.spec.get('environment') or {}))}</dd>"
        f"<dt>Secrets</dt><dd>{_names(sorted(view.secret_names))}</dd>"
        f"<dt>Labels</dt><dd>{_names([f'{k}={v}' for k, v in labels.items()])}</dd>"
        f"<dt>Created</dt><dd>{when(row.created_at)}</dd>"
        f"<dt>Started</dt><dd id=job-started>{when(row.started_at)}</dd>"
        f"<dt>Finished</dt><dd id=job-finished>{when(row.finished_at)}</dd>"
        f"<dt>Duration</dt><dd id=job-duration>{e(duration(row, now))}</dd>"
    )
    log = "".join(e(line.line) + "\n" for line in view.lines)
    # seq numbers run 1, 2, …: the last one is how many lines the log stream sends first
    stored = view.lines[-1].seq if view.lines else 0
    earlier = view.lines[0].seq - 1 if view.lines else 0
    cut = (
        f"<p class=meta id=log-cut>{earlier} earlier lines not shown: <code>hf jobs logs "
        f"{e(row.id)}</code> prints them all.</p>"
        if earlier
        else ""
    )
    follow = f" data-follow='{e(api, quote=True)}'"
    text = (
        f"{CSS}<div class=job><p class=meta><a href='/jobs/{quote(row.namespace)}'>Jobs of "
        f"{e(row.namespace)}</a></p><h1>Job <code>{e(row.id)}</code></h1>"
        f"<dl id=job-facts{_live(api, [row])}>{facts}</dl>"
        f"<section><h2>Logs</h2>{cut}<pre id=job-log data-lines={stored}{follow}>{log}</pre>"
        f"</section><section><h2>Pushed to the hub</h2>{pushes_list(view.pushes)}</section>"
        f"{view.curves}</div>{LOG_SCRIPT}{STAGE_SCRIPT}"
    )
    return shell(f"Job {row.id} · spacehost", text, nav="jobs")
