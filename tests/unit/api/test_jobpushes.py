"""Which tokens name a job (api/jobpushes.py), and the jobs database's record of a job's
commits (store/jobs.py ``job_pushes``)."""

from __future__ import annotations

from pathlib import Path

from spacehost.api.jobpushes import job_of_token
from spacehost.store.jobs import JobPush, JobStore


def test_only_a_job_tokens_name_carries_a_job_id() -> None:
    assert job_of_token("job-ab12") == "ab12"
    assert job_of_token("job-") is None and job_of_token("ci") is None
    assert job_of_token("my-job-ab12") is None


def test_a_jobs_pushes_are_kept_once_each_and_listed_per_job_and_per_repo(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.db")
    first = JobPush("j1", "model", "bob/clf", "a" * 40, 10.0)
    store.add_push(first)
    store.add_push(first)  # the same commit again (a retried request): one record
    store.add_push(JobPush("j1", "dataset", "bob/data", "b" * 40, 11.0))
    store.add_push(JobPush("j2", "model", "bob/clf", "c" * 40, 12.0))
    assert [p.repo_id for p in store.pushes_of("j1")] == ["bob/clf", "bob/data"]
    assert [p.job_id for p in store.pushes_to("model", "bob/clf")] == ["j2", "j1"]
    store.close()
