"""Scheduled jobs: a job spec run on a cron schedule (``@hourly``, ``0 3 * * *``…), suspended,
resumed or run now, as Hugging Face's scheduled jobs API has them (docs/jobs.md). A ticker
thread submits due runs to :class:`spacehost.lifecycle.jobs.Jobs`; the clock is injected."""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cronsim import CronSim, CronSimError

from spacehost.errors import Conflict, InvalidRequest
from spacehost.lifecycle.jobs import TERMINAL, Jobs, stored_spec
from spacehost.lifecycle.jobspec import JobSpec
from spacehost.store.jobs import JobRow, ScheduledRow
from spacehost.ticker import Ticker

log = logging.getLogger(__name__)

ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
TICK_S = 1.0


def next_run(schedule: str, after: float) -> float:
    """The first time after *after* (Unix seconds, UTC) that *schedule* fires.

    Raises:
        InvalidRequest: not a cron expression or one of the ``@`` names.
    """
    expr = ALIASES.get(schedule.strip().lower(), schedule.strip())
    try:
        sim = CronSim(expr, datetime.fromtimestamp(after, UTC))
        return next(sim).timestamp()
    except (CronSimError, StopIteration) as exc:
        raise InvalidRequest(
            f"schedule {schedule!r} is not a cron expression ({exc})",
            hint="use @hourly, @daily, @weekly, @monthly, @yearly or five cron fields, "
            "e.g. '*/15 * * * *'",
        ) from exc


class Schedules:
    """Scheduled jobs over *jobs*; ``start()`` runs the ticker."""

    def __init__(self, jobs: Jobs, clock: Callable[[], float] = time.time):
        self.jobs, self.store, self._clock = jobs, jobs.store, clock
        self._lock = threading.Lock()
        self._ticker = Ticker(
            self.tick, TICK_S, name="job-schedules", failed="scheduled jobs", log=log
        )

    def create(
        self,
        namespace: str,
        spec: JobSpec,
        schedule: object,
        initiator: dict[str, Any],
        *,
        suspend: bool = False,
        concurrency: bool = False,
        owner_type: str = "user",
    ) -> ScheduledRow:
        if not isinstance(schedule, str) or not schedule.strip():
            raise InvalidRequest(
                "a scheduled job needs 'schedule'", hint="e.g. @hourly or '0 3 * * *'"
            )
        now = self._clock()
        nxt = next_run(schedule, now)
        self.jobs.limits(spec.flavor)  # this host, or on a swarm the nodes, can run it
        sid = secrets.token_hex(12)
        self.store.add_scheduled(
            ScheduledRow(
                id=sid, namespace=namespace, owner_type=owner_type, initiator=initiator,
                spec=spec.to_json(), secrets=self.jobs.box.encrypt(json.dumps(dict(spec.secrets))),
                schedule=schedule.strip(), suspend=suspend, concurrency=concurrency,
                created_at=now, last_job_id=None, last_at=None, next_at=nxt,
            )
        )  # fmt: skip
        return self.store.get_scheduled(namespace, sid)

    def suspend(self, namespace: str, sid: str, suspended: bool) -> ScheduledRow:
        row = self.store.get_scheduled(namespace, sid)
        values: dict[str, Any] = {"suspend": int(suspended)}
        if not suspended:
            values["next_at"] = next_run(row.schedule, self._clock())
        self.store.update_scheduled(sid, **values)
        return self.store.get_scheduled(namespace, sid)

    def reschedule(self, namespace: str, sid: str, schedule: object) -> ScheduledRow:
        """A new schedule; the next run is planned from now.

        Raises:
            InvalidRequest: not a schedule.
        """
        self.store.get_scheduled(namespace, sid)
        if not isinstance(schedule, str) or not schedule.strip():
            raise InvalidRequest("send {'schedule': ...}", hint="e.g. @daily or '0 3 * * *'")
        nxt = next_run(schedule, self._clock())
        self.store.update_scheduled(sid, schedule=schedule.strip(), next_at=nxt)
        return self.store.get_scheduled(namespace, sid)

    def relabel(self, namespace: str, sid: str, labels: dict[str, str]) -> ScheduledRow:
        """Replace the labels of the jobs it runs (and its own, as ``jobSpec.labels``)."""
        row = self.store.get_scheduled(namespace, sid)
        self.store.update_scheduled(sid, spec={**row.spec, "labels": labels})
        return self.store.get_scheduled(namespace, sid)

    def delete(self, namespace: str, sid: str) -> None:
        self.store.get_scheduled(namespace, sid)
        self.store.delete_scheduled(sid)

    def run_now(self, namespace: str, sid: str) -> JobRow:
        """Run the scheduled job once now.

        Raises:
            Conflict: its last run is still active and it does not allow concurrent runs.
        """
        with self._lock:
            row = self.store.get_scheduled(namespace, sid)
            return self._run(row)

    def _run(self, row: ScheduledRow) -> JobRow:
        if not row.concurrency and row.last_job_id:
            last = self.store.find_job(row.last_job_id)
            if last is not None and last.stage not in TERMINAL:
                raise Conflict(
                    f"scheduled job {row.id}'s last run ({last.id}) is still {last.stage}",
                    hint="wait for it to end, cancel it (`hf jobs cancel`), or create the "
                    "scheduled job with concurrency allowed",
                )
        spec = stored_spec(_as_job(row), self.jobs.box)
        initiator = {"type": "scheduled-job", "id": row.id, "name": row.initiator.get("name")}
        job = self.jobs.submit(
            row.namespace, spec, initiator, owner_type=row.owner_type, scheduled_id=row.id
        )
        self.store.update_scheduled(row.id, last_job_id=job.id, last_at=job.created_at)
        return job

    def tick(self) -> None:
        """Submit every due run (a run that cannot start is logged; the next one is planned)."""
        now = self._clock()
        with self._lock:
            for row in self.store.list_scheduled():
                if row.suspend or row.next_at is None or row.next_at > now:
                    continue
                self.store.update_scheduled(row.id, next_at=next_run(row.schedule, now))
                try:
                    self._run(row)
                except Exception as exc:  # one bad schedule never stops the others
                    log.warning("scheduled job %s: %s", row.id, exc)

    def start(self) -> None:
        """Run :meth:`tick` every second in a daemon thread, until :meth:`close`."""
        self._ticker.start()

    def close(self) -> None:
        self._ticker.close()


def _as_job(row: ScheduledRow) -> JobRow:
    return JobRow(
        id=row.id, namespace=row.namespace, owner_type=row.owner_type, initiator=row.initiator,
        spec=row.spec, secrets=row.secrets, stage="SCHEDULING", message="",
        created_at=row.created_at, started_at=None, finished_at=None, container_id=None,
        token_id=None, scheduled_id=row.id,
    )  # fmt: skip
