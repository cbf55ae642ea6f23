"""store/jobwatch.py through the jobs database: a stored log line, the start and the end of a
job each wake its watchers (and only its), until they stop watching."""

from __future__ import annotations

from pathlib import Path

from spacehost.store.jobs import JobRow, JobStore


def _job(job_id: str) -> JobRow:
    return JobRow(
        id=job_id, namespace="bob", owner_type="user", initiator={}, spec={}, secrets="",
        stage="SCHEDULING", message="", created_at=1.0, started_at=None, finished_at=None,
        container_id=None, token_id=None, scheduled_id=None,
    )  # fmt: skip


def test_a_line_the_start_and_the_end_of_a_job_wake_its_watchers(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.db")
    store.add_job(_job("j1"))
    store.add_job(_job("j2"))
    woken: list[str] = []
    stop = store.watchers.watch("j1", lambda: woken.append("j1"))
    store.watchers.watch("j2", lambda: woken.append("j2"))
    store.set_running("j1", "c1", 2.0)
    store.add_log("j1", 2.1, "hello")
    store.finish("j1", "COMPLETED", "", 3.0)
    assert woken == ["j1", "j1", "j1"]
    stop()
    store.add_log("j1", 3.1, "after the end")
    store.add_log("j2", 3.2, "other job")
    assert woken == ["j1", "j1", "j1", "j2"]
    store.close()
