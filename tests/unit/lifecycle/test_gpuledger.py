"""Who holds GPU i (lifecycle/gpuledger.py): jobs take GPUs nobody holds, spaces take GPUs no
job holds (sharing with other spaces), a space's hold follows what the store says of it."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from spacehost.errors import HardwareUnavailable
from spacehost.lifecycle.gpuledger import GpuLedger


class Spaces:
    """What the store says: the spaces whose containers hold GPUs now."""

    def __init__(self) -> None:
        self.awake: set[str] = set()

    def __call__(self, chosen: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        return {s: ids for s, ids in chosen.items() if s in self.awake}


def ledger(*ids: str) -> tuple[GpuLedger, Spaces]:
    spaces = Spaces()
    return GpuLedger(ids, spaces), spaces


def test_a_job_never_gets_a_gpu_a_space_holds_and_gets_it_once_the_space_sleeps() -> None:
    gpus, spaces = ledger("0")
    assert gpus.take_for_space("alice/a", 1, then=lambda: spaces.awake.add("alice/a")) == ("0",)
    assert gpus.take_for_job("j1", 1) is None
    assert gpus.waiting_message(1) == "Waiting for a free GPU (held now: GPU 0 by a space)"
    spaces.awake.discard("alice/a")  # stopped: its record says so
    assert gpus.take_for_job("j1", 1) == ("0",)
    assert gpus.holders() == {"0": ["job j1"]}


def test_a_space_never_gets_a_gpu_a_job_holds_and_the_error_names_the_job() -> None:
    gpus, spaces = ledger("0", "1")
    assert gpus.take_for_job("j1", 1) == ("0",)
    assert gpus.take_for_space("alice/a", 1) == ("1",)  # the one nobody holds
    spaces.awake.add("alice/a")
    assert gpus.take_for_job("j2", 1) is None
    with pytest.raises(HardwareUnavailable) as err:
        gpus.take_for_space("bob/b", 2, hardware="hardware: gpu:2")
    assert "no free GPU for bob/b" in err.value.message and "job j1" in err.value.message
    assert err.value.details["reason"] == "gpu_busy"
    gpus.release_job("j1")
    assert gpus.take_for_space("bob/b", 2) == ("0", "1")


def test_spaces_share_a_gpu_with_each_other_but_free_ones_go_first() -> None:
    gpus, spaces = ledger("0", "1")
    assert gpus.take_for_space("alice/a", 1) == ("0",)
    spaces.awake.add("alice/a")
    assert gpus.take_for_space("bob/b", 1) == ("1",)
    spaces.awake.add("bob/b")
    assert gpus.take_for_space("carol/c", 1) == ("0",)  # shared, as before jobs
    assert gpus.take_for_space("alice/a", 1) == ("0",)  # a space keeps its GPU on a restart


def test_a_waking_space_gets_its_own_gpus_back_unless_a_job_took_them() -> None:
    gpus, _ = ledger("0", "1")
    gpus.take_for_space("alice/a", 1)
    marked: list[str] = []
    gpus.check_space("alice/a", ("0",), then=lambda: marked.append("a"))
    assert marked == ["a"]
    assert gpus.take_for_job("j1", 2) == ("0", "1")  # alice/a sleeps: not in spaces.awake
    with pytest.raises(HardwareUnavailable, match="held by job j1"):
        gpus.check_space("alice/a", ("0",), then=lambda: marked.append("again"))
    assert marked == ["a"]


def test_adopted_jobs_hold_the_gpus_their_containers_name() -> None:
    gpus, _ = ledger("0", "1")
    gpus.adopt_job("old", ("1",))
    assert gpus.take_for_job("new", 1) == ("0",)
    assert gpus.job_gpus("old") == ("1",)
