"""Two writers racing on one space's stage, on a real SQLite file (issue 11, A12).

The check of a stage transition must happen inside the transaction that writes the new stage:
otherwise both writers read the old stage, both pass the check, and the last one wins even when
its move is not allowed from the stage the first one wrote.
"""

from __future__ import annotations

import threading
from pathlib import Path

from spacehost.domain import SpaceId, Stage
from spacehost.errors import InvalidTransition
from spacehost.store import Store

SPACE = SpaceId("alice", "race")
WAIT_S = 10.0


class OrderedClock:
    """A clock that makes the race happen the same way every time. ``update_space`` reads the
    clock once per write; here each writer waits in it: the deleter until the sleeper has
    reached its clock too, the sleeper until the deleter has written. So both have decided on
    their move (the old code: passed the check) before either writes, and the deleter writes
    first."""

    def __init__(self) -> None:
        self.armed = False
        self.sleeper_at_clock = threading.Event()
        self.deleter_done = threading.Event()

    def __call__(self) -> float:
        name = threading.current_thread().name
        if self.armed and name == "deleter":
            assert self.sleeper_at_clock.wait(WAIT_S)
        elif self.armed and name == "sleeper":
            self.sleeper_at_clock.set()
            assert self.deleter_done.wait(WAIT_S)
        return 1_000.0


def test_a_transition_is_checked_inside_the_transaction_that_writes_it(tmp_path: Path) -> None:
    clock = OrderedClock()
    # two connections to one file, as two processes (the control plane and the CLI) would have
    deleter_store = Store(tmp_path / "spacehost.db", clock=clock)
    sleeper_store = Store(tmp_path / "spacehost.db", clock=clock)
    deleter_store.create_space(SPACE, stage=Stage.RUNNING, manifest={})
    refused: list[BaseException] = []

    def delete() -> None:
        try:
            deleter_store.update_space(SPACE, stage=Stage.DELETING)
        finally:
            clock.deleter_done.set()

    def sleep() -> None:
        try:
            sleeper_store.update_space(SPACE, stage=Stage.SLEEPING)
        except InvalidTransition as exc:
            refused.append(exc)

    clock.armed = True
    threads = [
        threading.Thread(target=delete, name="deleter"),
        threading.Thread(target=sleep, name="sleeper"),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT_S * 2)
    clock.armed = False
    try:
        # DELETING -> SLEEPING is not allowed: the second writer is refused, the space stays
        # DELETING (before the fix it went back to SLEEPING, and its delete was lost)
        assert deleter_store.get_space(SPACE).stage is Stage.DELETING
        assert len(refused) == 1
        assert "cannot go from DELETING to SLEEPING" in str(refused[0])
    finally:
        deleter_store.close()
        sleeper_store.close()
