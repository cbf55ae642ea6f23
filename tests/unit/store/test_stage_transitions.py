"""The explicit stage-transition table and its enforcement where stages are written."""

from __future__ import annotations

from pathlib import Path

import pytest

from spacehost.domain import TRANSITIONS, SpaceId, Stage, transition_allowed
from spacehost.errors import InvalidTransition
from spacehost.store import Store


def test_every_stage_has_a_row() -> None:
    assert set(TRANSITIONS) == set(Stage)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (Stage.BUILDING, Stage.APP_STARTING),
        (Stage.APP_STARTING, Stage.RUNNING),
        (Stage.RUNNING, Stage.RUNNING_BUILDING),
        (Stage.RUNNING_BUILDING, Stage.RUNNING_APP_STARTING),
        (Stage.RUNNING_APP_STARTING, Stage.RUNNING),
        (Stage.RUNNING, Stage.SLEEPING),
        (Stage.SLEEPING, Stage.RUNNING),
        (Stage.RUNNING, Stage.RUNTIME_ERROR),
        (Stage.RUNTIME_ERROR, Stage.APP_STARTING),
        (Stage.BUILD_ERROR, Stage.BUILDING),
        (Stage.BUILDING, Stage.PAUSED),
        (Stage.PAUSED, Stage.APP_STARTING),
        (Stage.RUNNING, Stage.DELETING),
        (Stage.RUNNING, Stage.RUNNING),
    ],
)
def test_allowed(old: Stage, new: Stage) -> None:
    assert transition_allowed(old, new)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (Stage.DELETING, Stage.RUNNING),
        (Stage.DELETING, Stage.BUILDING),
        (Stage.BUILDING, Stage.SLEEPING),
        (Stage.PAUSED, Stage.SLEEPING),
        (Stage.BUILD_ERROR, Stage.RUNNING_APP_STARTING),
        (Stage.APP_STARTING, Stage.RUNNING_BUILDING),
        (Stage.SLEEPING, Stage.RUNNING_APP_STARTING),
        (Stage.NO_APP_FILE, Stage.APP_STARTING),
    ],
)
def test_refused(old: Stage, new: Stage) -> None:
    assert not transition_allowed(old, new)


def test_the_store_refuses_an_invalid_transition(tmp_path: Path) -> None:
    store = Store(tmp_path / "db")
    space = SpaceId("a", "b")
    store.create_space(space, stage=Stage.BUILDING, manifest={})
    store.update_space(space, stage=Stage.DELETING)
    with pytest.raises(InvalidTransition, match="cannot go from DELETING to RUNNING"):
        store.update_space(space, stage=Stage.RUNNING)
    assert store.get_space(space).stage is Stage.DELETING
    store.close()
