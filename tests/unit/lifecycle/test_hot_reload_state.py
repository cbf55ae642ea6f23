"""Which space states allow a hot reload (lifecycle/hotreload.py ``state_refusal``): only a
running space serving its newest revision without an error; a sleeping, stopped, paused,
building or failed one is deployed the normal way."""

from __future__ import annotations

from dataclasses import replace

import pytest

from spacehost.domain import SpaceId, Stage
from spacehost.lifecycle.hotreload import state_refusal
from spacehost.store import SpaceRecord

RUNNING = SpaceRecord(
    id=SpaceId("alice", "demo"),
    created_at=0.0,
    updated_at=0.0,
    stage=Stage.RUNNING,
    error_message="",
    desired="running",
    revision="r1",
    serving_revision="r1",
    container_id="c1",
    upstream="127.0.0.1:4000",
    image="img",
    manifest={"sdk": "gradio", "app_file": "app.py"},
    hardware="cpu-basic",
)


def test_a_running_space_may_be_hot_reloaded() -> None:
    assert state_refusal(RUNNING) is None


@pytest.mark.parametrize(
    "stage",
    [
        Stage.SLEEPING,
        Stage.PAUSED,
        Stage.BUILDING,
        Stage.RUNNING_BUILDING,
        Stage.RUNNING_APP_STARTING,
        Stage.RUNTIME_ERROR,
    ],
)
def test_other_stages_are_deployed(stage: Stage) -> None:
    reason = state_refusal(replace(RUNNING, stage=stage))
    assert reason is not None and stage.value in reason


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"error_message": "the build failed"}, "error"),
        ({"container_id": None, "upstream": None}, "no running container"),
        ({"revision": "r2"}, "being deployed"),
        ({"sleep_level": "stopped", "stage": Stage.SLEEPING}, "SLEEPING"),
    ],
)
def test_states_that_need_a_deploy(changes: dict[str, object], words: str) -> None:
    reason = state_refusal(replace(RUNNING, **changes))  # type: ignore[arg-type]
    assert reason is not None and words in reason
