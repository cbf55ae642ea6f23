"""Who holds GPU *i*: the one answer that GPU spaces and GPU jobs are both given their GPUs
from (docs/gpu.md, "GPUs shared by spaces and jobs").

- A **job** takes GPUs that nobody holds, and holds them alone until it ends.
- A **space** (a dedicated GPU request: ``suggested_hardware: t4-small``, ``hardware: gpu:2``)
  takes GPUs that no job holds; spaces may share a GPU with each other, as they always did on
  a host with fewer GPUs than GPU spaces, but GPUs nobody holds are given first.
- A shared-GPU space (``hardware: zero``) holds a GPU while one of its ``@spaces.GPU`` calls
  has a lease on it; the broker leases no GPU a job holds (gpubroker.py).
- A space holds its GPUs while its container holds GPU memory: from the start of its container
  until it stops (sleeps stopped, is paused by its owner, is deleted, or crashes; asleep
  *paused*, its frozen process keeps its GPU memory, and its GPUs). The ledger does not follow
  every way a container ends: it asks, each time, which spaces hold GPUs now (*space_holds*,
  read from the store by the lifecycle), so a GPU is free again as soon as its space's record
  says so.

Thread-safe: the job runner, deploys and wakes call it from their own threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence

from spacehost.errors import HardwareUnavailable

SpaceHolds = Callable[[Mapping[str, tuple[str, ...]]], Mapping[str, tuple[str, ...]]]
"""Given the GPUs each space was last given (by this ledger, in this process), the GPUs each
space holds now: only spaces whose containers hold GPU memory, with GPUs recovered from their
containers for spaces started before the platform restarted."""


def _no_spaces(chosen: Mapping[str, tuple[str, ...]]) -> Mapping[str, tuple[str, ...]]:
    return {}


def job_holder(job_id: str) -> str:
    return f"job {job_id}"


def space_holder(space: str) -> str:
    return f"space {space}"


def _kinds(holders: list[str]) -> str:
    kinds = sorted({h.split(" ", 1)[0] for h in holders})
    return " and ".join(f"a {k}" for k in kinds)


class GpuLedger:
    """The GPUs of this host and who holds each.

    Args:
        gpu_ids: the host's GPUs, in the order they are handed out (``"0"``, ``"1"``, ...).
        space_holds: which spaces hold which GPUs now (see :data:`SpaceHolds`); none until
            the lifecycle tells (:meth:`follow_spaces`).
    """

    def __init__(self, gpu_ids: Sequence[str] = (), space_holds: SpaceHolds = _no_spaces):
        self.gpu_ids = tuple(gpu_ids)
        self._space_holds = space_holds
        self._lock = threading.RLock()
        # the jobs' part has a lock of its own, never held while calling out: the GPU broker
        # reads it on the event loop (held_by_jobs), which *space_holds* may wait for
        self._jobs_lock = threading.Lock()
        self._jobs: dict[str, tuple[str, ...]] = {}
        self._chosen: dict[str, tuple[str, ...]] = {}  # what each space was given last

    def follow_spaces(self, space_holds: SpaceHolds) -> None:
        """Read which spaces hold GPUs from *space_holds* from now on."""
        with self._lock:
            self._space_holds = space_holds

    # -- reading ----------------------------------------------------------------------------

    def holders(self) -> dict[str, list[str]]:
        """Each GPU and who holds it (``"space alice/demo"``, ``"job 65f1…"``), in id order."""
        with self._lock:
            found: dict[str, list[str]] = {i: [] for i in self.gpu_ids}
            for space, ids in sorted(self._space_holds(dict(self._chosen)).items()):
                for i in ids:
                    found.setdefault(i, []).append(space_holder(space))
            for job, ids in self._job_items():
                for i in ids:
                    found.setdefault(i, []).append(job_holder(job))
            return found

    def _job_items(self) -> list[tuple[str, tuple[str, ...]]]:
        with self._jobs_lock:
            return list(self._jobs.items())

    def held_by_jobs(self) -> frozenset[str]:
        """The GPUs jobs hold now; answers at once (the broker asks on its event loop)."""
        return frozenset(i for _, ids in self._job_items() for i in ids)

    def job_gpus(self, job_id: str) -> tuple[str, ...]:
        with self._jobs_lock:
            return self._jobs.get(job_id, ())

    def waiting_message(self, count: int) -> str:
        """Why a job that wants *count* GPUs cannot have them now: which GPUs are held, and by
        what kind of holder (a job's owner may not see whose space or job it is; ``GET
        /api/gpus`` names them to those who may)."""
        held = {i: who for i, who in self.holders().items() if who}
        busy = ", ".join(f"GPU {i} by {_kinds(who)}" for i, who in held.items())
        wanted = "a free GPU" if count == 1 else f"{count} free GPUs"
        return f"Waiting for {wanted} (held now: {busy or 'none'})"

    # -- jobs -------------------------------------------------------------------------------

    def take_for_job(self, job_id: str, count: int) -> tuple[str, ...] | None:
        """*count* GPUs nobody holds, now held by *job_id*; None when there are not enough."""
        with self._lock:
            if count <= 0:
                return ()
            free = [i for i, who in self.holders().items() if not who]
            if len(free) < count:
                return None
            with self._jobs_lock:
                self._jobs[job_id] = tuple(free[:count])
            return tuple(free[:count])

    def adopt_job(self, job_id: str, gpu_ids: Sequence[str]) -> None:
        """*job_id* holds *gpu_ids* (a job adopted after a restart: its container says which)."""
        with self._jobs_lock:
            if gpu_ids:
                self._jobs[job_id] = tuple(gpu_ids)

    def release_job(self, job_id: str) -> None:
        with self._jobs_lock:
            self._jobs.pop(job_id, None)

    # -- spaces -----------------------------------------------------------------------------

    def take_for_space(
        self,
        space: str,
        count: int,
        *,
        hardware: str = "",
        then: Callable[[], None] | None = None,
    ) -> tuple[str, ...]:
        """*count* GPUs no job holds, for *space*: the ones it had, when no job took them
        since, else GPUs nobody holds first, then GPUs only spaces hold, in id order.

        Args:
            then: called under the ledger's lock once the GPUs are chosen (the caller marks
                the space as holding them, so no job takes them in between).

        Raises:
            HardwareUnavailable: jobs hold so many GPUs that fewer than *count* are left;
                the message names the jobs.
        """
        with self._lock:
            holders = self.holders()
            by_jobs = {i for i, who in holders.items() if any(w.startswith("job ") for w in who)}
            before = self._chosen.get(space, ())
            if len(before) == count and not by_jobs.intersection(before):
                chosen = before
            else:
                open_ids = [i for i in self.gpu_ids if i not in by_jobs]
                open_ids.sort(key=lambda i: (bool(holders.get(i)), self.gpu_ids.index(i)))
                if len(open_ids) < count:
                    raise self._busy(space, count, holders, hardware)
                chosen = tuple(sorted(open_ids[:count], key=self.gpu_ids.index))
            self._chosen[space] = chosen
            if then is not None:
                then()
            return chosen

    def check_space(self, space: str, gpu_ids: Sequence[str], then: Callable[[], None]) -> None:
        """*space* gets *gpu_ids* again (its stopped container starts again with the GPUs it
        was made with): call *then* under the lock when no job holds any of them.

        Raises:
            HardwareUnavailable: a job holds one of them; the message names it.
        """
        with self._lock:
            holders = self.holders()
            taken = [i for i in gpu_ids if any(w.startswith("job ") for w in holders.get(i, ()))]
            if taken:
                raise self._busy(space, len(gpu_ids), holders, "", mine=tuple(gpu_ids))
            self._chosen[space] = tuple(gpu_ids)
            then()

    def chosen(self, space: str) -> tuple[str, ...]:
        """The GPUs *space* was given last in this process (none when unknown)."""
        with self._lock:
            return self._chosen.get(space, ())

    def forget_space(self, space: str) -> None:
        with self._lock:
            self._chosen.pop(space, None)

    def _busy(
        self,
        space: str,
        count: int,
        holders: Mapping[str, list[str]],
        hardware: str,
        mine: tuple[str, ...] = (),
    ) -> HardwareUnavailable:
        jobs = sorted({w for who in holders.values() for w in who if w.startswith("job ")})
        wanted = "a GPU" if count == 1 else f"{count} GPUs"
        asked = f" ({hardware})" if hardware else ""
        what = f"its GPU {', '.join(mine)}" if mine else f"{wanted}{asked} and jobs hold the others"
        return HardwareUnavailable(
            f"no free GPU for {space}: it needs {what}; held by {', '.join(jobs)}",
            hint="the space starts when you restart it once those jobs end "
            "(`hf jobs ps` lists them; `hf jobs cancel ID` ends one); `GET /api/gpus` shows "
            "who holds each GPU",
            details={"reason": "gpu_busy", "holders": {i: w for i, w in holders.items() if w}},
        )
