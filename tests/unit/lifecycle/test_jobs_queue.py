"""The job runner (lifecycle/jobs.py, jobschedule.py) over an engine in memory
(tests/support/fake_jobs.py): capacity, stages, failures with their log tail, cancel, time
limits, adoption after a restart, tokens and scheduled runs. The real engine: e2e/test_jobs.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from spacehost.errors import Conflict, NotFound
from spacehost.lifecycle.jobs import Jobs, resolve_image
from spacehost.lifecycle.jobschedule import Schedules
from spacehost.lifecycle.jobspec import parse_job_spec
from tests.support.fake_jobs import IMAGE, MADE, FakeJobContainers, fake_jobs
from tests.support.polling import wait_for

ALICE = {"type": "user", "id": "alice", "name": "alice"}


def spec(**extra: Any) -> Any:
    return parse_job_spec({"dockerImage": IMAGE, "command": ["python", "-c", "1"], **extra})


@pytest.fixture()
def runner(tmp_path: Path, engine: FakeJobContainers) -> Iterator[tuple[Jobs, Schedules]]:
    jobs, schedules = fake_jobs(tmp_path, engine)
    yield jobs, schedules
    jobs.close()


def stage(jobs: Jobs, job_id: str) -> str:
    found = jobs.store.find_job(job_id)
    assert found is not None
    return found.stage


def test_more_jobs_than_slots_wait_and_never_overcommit(
    runner: tuple[Jobs, Schedules], engine: FakeJobContainers
) -> None:
    jobs, _ = runner
    ids = [jobs.submit("alice", spec(), ALICE).id for _ in range(3)]
    assert [stage(jobs, i) for i in ids] == ["RUNNING", "SCHEDULING", "SCHEDULING"]
    for n, job_id in enumerate(ids):
        assert len(engine.running()) == 1
        engine.say(engine.of_job(job_id), f"line {n}")
        engine.finish(engine.of_job(job_id))
        wait_for(lambda j=job_id: stage(jobs, j) == "COMPLETED", 10, what=f"job {n} to end")
        assert len(engine.running()) <= 1
    assert [ln.line for ln in jobs.store.logs(ids[2])] == ["line 2"]
    assert engine.removed == [engine.of_job(i) for i in ids]  # logs kept, containers gone


def test_a_failing_job_is_error_with_its_exit_code_and_log_tail(
    runner: tuple[Jobs, Schedules], engine: FakeJobContainers
) -> None:
    jobs, _ = runner
    job = jobs.submit("alice", spec(), ALICE)
    cid = engine.of_job(job.id)
    for line in ("working", "Traceback (most recent call last):", "ValueError: boom"):
        engine.say(cid, line)
    engine.finish(cid, 1)
    wait_for(lambda: stage(jobs, job.id) == "ERROR", 10, what="the job to fail")
    found = jobs.store.get_job("alice", job.id)
    assert found.message.startswith("the command exited with code 1:")
    assert found.message.endswith("ValueError: boom")


def test_cancel_stops_a_running_job_and_keeps_its_logs(
    runner: tuple[Jobs, Schedules], engine: FakeJobContainers
) -> None:
    jobs, _ = runner
    running = jobs.submit("alice", spec(), ALICE)
    waiting = jobs.submit("alice", spec(), ALICE)
    engine.say(engine.of_job(running.id), "started")
    wait_for(lambda: jobs.store.logs(running.id), 10, what="the first line stored")
    assert jobs.cancel("alice", waiting.id).stage == "CANCELED"
    assert jobs.cancel("alice", running.id).stage == "CANCELED"
    assert engine.stopped == [engine.of_job(running.id)]
    wait_for(lambda: engine.removed, 10, what="the container removed")
    assert stage(jobs, running.id) == "CANCELED"  # its exit (143) did not overwrite it
    assert [ln.line for ln in jobs.store.logs(running.id)] == ["started"]
    assert len(engine.containers) == 1  # the waiting one never started
    with pytest.raises(NotFound):
        jobs.cancel("bob", running.id)  # another namespace's job is not found


def test_a_job_past_its_time_limit_is_stopped_with_error_timed_out(
    runner: tuple[Jobs, Schedules], engine: FakeJobContainers
) -> None:
    jobs, _ = runner
    job = jobs.submit("alice", spec(timeoutSeconds=1), ALICE)
    wait_for(lambda: stage(jobs, job.id) == "ERROR", 10, what="the time limit")
    assert jobs.store.get_job("alice", job.id).message == "Job timed out after 1 s"
    assert engine.stopped == [engine.of_job(job.id)]


def test_a_restarted_runner_adopts_running_jobs_and_fails_lost_ones(
    tmp_path: Path, engine: FakeJobContainers
) -> None:
    jobs, _ = fake_jobs(tmp_path, engine, max_jobs=2)
    kept = jobs.submit("alice", spec(), ALICE)
    lost = jobs.submit("alice", spec(), ALICE)
    engine.say(engine.of_job(kept.id), "before")
    wait_for(lambda: jobs.store.logs(kept.id), 10, what="the first line stored")
    jobs.close()  # the control plane stops; containers keep running
    engine.removed.append(engine.of_job(lost.id))  # this one went with the engine
    again, _ = fake_jobs(tmp_path, engine, max_jobs=2)
    asked = engine.endpoints
    again.start()
    assert engine.endpoints == asked + 1  # the relay is back before any adopted job needs it
    assert stage(again, lost.id) == "ERROR"
    assert "gone when the platform started again" in again.store.get_job("alice", lost.id).message
    engine.say(engine.of_job(kept.id), "after")
    engine.finish(engine.of_job(kept.id))
    wait_for(lambda: stage(again, kept.id) == "COMPLETED", 10, what="the adopted job to end")
    assert "after" in [ln.line for ln in again.store.logs(kept.id)]
    again.close()


def test_images_resolve_to_the_engines_or_are_refused_naming_them(
    engine: FakeJobContainers,
) -> None:
    def no_space(space: str) -> str | None:
        return None

    def image_of(body: dict[str, Any]) -> str:
        return resolve_image(parse_job_spec({"command": ["x"], **body}), engine, no_space)

    # regression: the tag a user is told to run lacks the contract's -hf1 that prepare makes
    # (a fresh machine has only spacehost/python:3.11-bookworm-hf1)
    assert image_of({"dockerImage": IMAGE}) == MADE == "spacehost/python:3.11-bookworm-hf1"
    assert image_of({"dockerImage": "python:3.11-bookworm"}) == MADE  # its short name
    assert image_of({"dockerImage": "python:3.11"}) == MADE  # a runtime image by short name
    assert image_of({"dockerImage": MADE}) == MADE
    with pytest.raises(NotFound, match=r"'python:3\.12' is not in this platform's Docker"):
        image_of({"dockerImage": "python:3.12"})
    with pytest.raises(NotFound, match="space alice/demo has no built image"):
        image_of({"spaceId": "alice/demo"})


class Tokens:
    def __init__(self) -> None:
        self.issued: list[tuple[str, str, int]] = []
        self.revoked: list[int] = []

    def issue(self, user: str, job_id: str, ttl_s: int) -> tuple[str, int] | None:
        self.issued.append((user, job_id, ttl_s))
        return f"hf_job{len(self.issued)}", len(self.issued)

    def revoke(self, token_id: int) -> None:
        self.revoked.append(token_id)


def test_a_job_gets_the_endpoint_its_secrets_and_a_token_revoked_at_its_end(
    tmp_path: Path, engine: FakeJobContainers
) -> None:
    tokens = Tokens()
    jobs, _ = fake_jobs(tmp_path, engine, tokens=tokens)
    job = jobs.submit("acme", spec(secrets={"KEY": "s3"}, timeoutSeconds=60), ALICE)
    env = engine.containers[engine.of_job(job.id)].spec.env
    assert env["HF_ENDPOINT"] == "http://platform.test" and env["JOB_ID"] == job.id
    assert env["KEY"] == "s3" and env["HF_TOKEN"] == "hf_job1"
    assert env["HF_HUB_OFFLINE"] == "0"  # online to the hub, even in a space's image
    assert tokens.issued == [("alice", job.id, 660)]  # the job's time limit and a margin
    assert "s3" not in (tmp_path / "jobs.db").read_bytes().decode(errors="replace")
    engine.finish(engine.of_job(job.id))
    wait_for(lambda: tokens.revoked == [1], 10, what="the token revoked")
    jobs.close()


def test_scheduled_runs_wait_for_the_last_one_unless_concurrent(
    runner: tuple[Jobs, Schedules], engine: FakeJobContainers
) -> None:
    jobs, schedules = runner
    made = schedules.create("alice", spec(), "@hourly", ALICE)
    first = schedules.run_now("alice", made.id)
    assert first.initiator == {"type": "scheduled-job", "id": made.id, "name": "alice"}
    with pytest.raises(Conflict, match="still RUNNING"):
        schedules.run_now("alice", made.id)
    schedules.suspend("alice", made.id, True)
    assert jobs.store.get_scheduled("alice", made.id).suspend
    engine.finish(engine.of_job(first.id))
    wait_for(lambda: stage(jobs, first.id) == "COMPLETED", 10, what="the run to end")
    schedules.suspend("alice", made.id, False)
    jobs.store.update_scheduled(made.id, next_at=0)  # due now
    schedules.tick()
    row = jobs.store.get_scheduled("alice", made.id)
    assert row.last_job_id not in (None, first.id) and row.next_at and row.next_at > 0
    moved = schedules.reschedule("alice", made.id, "@weekly")
    assert moved.schedule == "@weekly" and moved.next_at and moved.next_at > row.next_at
    assert schedules.relabel("alice", made.id, {"team": "ml"}).spec["labels"] == {"team": "ml"}


def test_gpu_jobs_get_their_own_gpus_and_wait_for_free_ones(
    tmp_path: Path, engine: FakeJobContainers
) -> None:
    jobs, _ = fake_jobs(tmp_path, engine, max_jobs=3, gpus=2)
    first = jobs.submit("alice", spec(flavor="a10g-small"), ALICE)
    second = jobs.submit("alice", spec(flavor="a10g-small"), ALICE)
    third = jobs.submit("alice", spec(flavor="a10g-small"), ALICE)
    cpu = jobs.submit("alice", spec(), ALICE)
    given = {j.id: engine.containers[engine.of_job(j.id)].spec.gpu_ids for j in (first, second)}
    assert sorted(given.values()) == [("0",), ("1",)]  # never the same GPU twice
    assert stage(jobs, third.id) == "SCHEDULING"  # waits for a GPU ...
    assert stage(jobs, cpu.id) == "RUNNING"  # ... while a CPU job takes the free slot
    engine.finish(engine.of_job(cpu.id))
    engine.finish(engine.of_job(first.id))
    wait_for(lambda: stage(jobs, third.id) == "RUNNING", 10, what="the freed GPU")
    assert engine.containers[engine.of_job(third.id)].spec.gpu_ids == given[first.id]
    jobs.close()
