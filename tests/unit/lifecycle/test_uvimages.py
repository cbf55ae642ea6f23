"""Astral's uv images (what `hf jobs uv run` sends) mapped to the uv images spacehost makes
(lifecycle/uvimages.py), and a job that names one (lifecycle/jobs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from spacehost.errors import NotFound
from spacehost.lifecycle.jobs import NO_INDEX_NOTE
from spacehost.lifecycle.jobspec import parse_job_spec
from spacehost.lifecycle.uvimages import is_uv_image, local_uv_image
from tests.support.fake_jobs import IMAGE, FakeJobContainers, fake_jobs
from tests.support.polling import wait_for

MADE = ["spacehost/uv:python3.11-bookworm", "spacehost/uv:python3.13-trixie", IMAGE]
ALICE = {"type": "user", "id": "alice", "name": "alice"}


def test_hfs_default_uv_image_runs_on_the_python_made_for_its_suite() -> None:
    found = local_uv_image("ghcr.io/astral-sh/uv:python3.12-bookworm", MADE)
    assert found.image == "spacehost/uv:python3.11-bookworm"
    assert found.note == (
        "spacehost: ghcr.io/astral-sh/uv:python3.12-bookworm runs as "
        "spacehost/uv:python3.11-bookworm (Python 3.11: this platform has no Python 3.12 on "
        "bookworm)"
    )


@pytest.mark.parametrize(
    ("tag", "image"),
    [
        ("python3.11-bookworm", "spacehost/uv:python3.11-bookworm"),
        ("python3.11-bookworm-slim", "spacehost/uv:python3.11-bookworm"),
        ("0.13.9-python3.13-trixie", "spacehost/uv:python3.13-trixie"),
        ("trixie-slim", "spacehost/uv:python3.13-trixie"),
    ],
)
def test_other_tags_of_a_suite_made_here(tag: str, image: str) -> None:
    found = local_uv_image(f"ghcr.io/astral-sh/uv:{tag}", MADE)
    assert found == type(found)(image, "")


@pytest.mark.parametrize("tag", ["latest", "python3.12-alpine", "0.13.9", "python3.12-bullseye"])
def test_a_tag_not_made_here_is_refused_naming_those_that_are(tag: str) -> None:
    with pytest.raises(NotFound) as err:
        local_uv_image(f"ghcr.io/astral-sh/uv:{tag}", MADE)
    assert "ghcr.io/astral-sh/uv:python3.11-bookworm" in err.value.message
    assert "ghcr.io/astral-sh/uv:python3.13-trixie" in err.value.message
    assert "spacehost prepare" in err.value.hint


def test_only_astrals_repository_is_a_uv_image() -> None:
    assert is_uv_image("ghcr.io/astral-sh/uv:python3.12-bookworm")
    assert not is_uv_image("ghcr.io/astral-sh/uvx:1") and not is_uv_image("python:3.12")


def test_a_uv_job_runs_spacehosts_image_and_its_log_says_which(tmp_path: Path) -> None:
    engine = FakeJobContainers(images=tuple(MADE))
    jobs, _ = fake_jobs(tmp_path, engine)
    try:
        body = {
            "dockerImage": "ghcr.io/astral-sh/uv:python3.12-bookworm",
            "command": ["uv", "run", "python", "-c", "print(1)"],
        }
        job = jobs.submit("alice", parse_job_spec(body), ALICE)
        cid = engine.of_job(job.id)
        assert engine.containers[cid].spec.image == "spacehost/uv:python3.11-bookworm"
        engine.say(cid, "1")
        engine.finish(cid)
        wait_for(lambda: jobs.store.get_job("alice", job.id).stage == "COMPLETED", 10)
        lines = [ln.line for ln in jobs.store.logs(job.id)]
        assert lines[0].startswith("spacehost: ghcr.io/astral-sh/uv:python3.12-bookworm runs as")
        assert lines[1] == NO_INDEX_NOTE  # this runner offers no package index: said first
        assert lines[2:] == ["1"]
        with pytest.raises(NotFound, match="is not made here"):
            jobs.submit("alice", parse_job_spec({**body, "dockerImage": "ghcr.io/astral-sh/uv"}),
                        ALICE)  # fmt: skip
    finally:
        engine.end_all()
        jobs.close()
