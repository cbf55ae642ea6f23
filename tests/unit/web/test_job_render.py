"""The Jobs pages' HTML (web/job_render.py), from rows: what a job page shows and never shows."""

from __future__ import annotations

from spacehost.lifecycle.jobflavors import GIB, HostResources, Limits, limits_for
from spacehost.store.jobs import JobLogLine, JobPush, JobRow
from spacehost.web.charts import curves_section
from spacehost.web.job_render import JobView, duration, render_job_list, render_job_page
from spacehost.web.metricsfile import parse_metrics

HOST = HostResources(2, 8 * GIB)


def host_sizes(flavor: str) -> Limits:  # Jobs.limits on this host
    return limits_for(flavor, HOST)


def row(**kw: object) -> JobRow:
    base: dict[str, object] = {
        "id": "abc123",
        "namespace": "bob",
        "owner_type": "user",
        "initiator": {},
        "spec": {
            "dockerImage": "python:3.11",
            "command": ["python", "-c", "print('<hi>')"],
            "environment": {"EPOCHS": "value-of-env"},
            "flavor": "cpu-basic",
            "labels": {"team": "ml"},
        },
        "secrets": "",
        "stage": "RUNNING",
        "message": "",
        "created_at": 1000.0,
        "started_at": 1010.0,
        "finished_at": None,
        "container_id": "c1",
        "token_id": None,
        "scheduled_id": None,
    }
    return JobRow(**{**base, **kw})  # type: ignore[arg-type]


def test_a_job_page_shows_names_not_values_and_escapes_what_the_job_supplies() -> None:
    lines = [JobLogLine(1, 1011.0, "<script>alert(1)</script>")]
    view = JobView(row(), lines, ["WANDB_KEY"], [], "")
    page = render_job_page(view, host_sizes, now=1075.0)
    assert "EPOCHS" in page and "value-of-env" not in page and "WANDB_KEY" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "&lt;hi&gt;" in page and "<hi>" not in page  # the command, shell-quoted, escaped
    assert "data-lines=1" in page and "data-follow='/api/jobs/bob/abc123'" in page
    assert "cpu-basic · 2 CPU · 6 GiB" in page  # capped to 75 % of the 8 GiB host
    assert "1 min 5 s" in page and "team=ml" in page
    assert "Nothing pushed" in page and "id=curves" not in page


def test_a_job_page_lists_its_pushes_and_draws_its_curves() -> None:
    pushes = [JobPush("abc123", "model", "bob/clf", "f" * 40, 1100.0)]
    curves = parse_metrics('{"step": 1, "loss": 0.5}\n{"step": 2, "loss": 0.25}\n')
    page = render_job_page(
        JobView(row(), [], [], pushes, curves_section(curves)), host_sizes, now=1200.0
    )
    assert "href='/bob/clf'" in page and "ffffffffffff" in page
    assert "data-metric='loss'" in page and page.count("<circle") == 2


def test_the_list_shows_stage_duration_resources_and_command() -> None:
    rows = [row(), row(id="q1", stage="SCHEDULING", started_at=None)]
    page = render_job_list("bob", rows, host_sizes, now=1020.0, others=["ml-team"])
    assert "href='/jobs/bob/abc123'" in page and "badge busy'>SCHEDULING" in page
    assert "10 s" in page and "waiting" in page and "href='/jobs/ml-team'" in page
    assert duration(row(started_at=0.0, finished_at=7300.0), 0) == "2 h 1 min"
    assert "No jobs yet" in render_job_list("bob", [], host_sizes, 0, [])


def test_a_long_log_shows_its_last_lines_and_the_stream_skips_every_stored_one() -> None:
    lines = [JobLogLine(seq, 1011.0, f"line {seq}") for seq in range(4001, 4003)]
    page = render_job_page(JobView(row(), lines, [], [], ""), host_sizes, now=1075.0)
    assert "4000 earlier lines not shown" in page and "data-lines=4002" in page
