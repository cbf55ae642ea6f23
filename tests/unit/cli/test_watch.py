"""The CLI's wait for a deploy (cli/watch.py) against a scripted API client: the build's lines
with a progress bar, a timeout (exit 12, the deploy goes on), a newer push replacing the
revision (exit 5), and a failure after the build (exit 7)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from spacehost.cli.watch import Deploy, watch
from spacehost.domain import SpaceId
from spacehost.errors import AppFailed, Conflict, DeployTimeout

SPACE = SpaceId("alice", "demo")
REV, OTHER = "a" * 64, "b" * 64


class ScriptedClient:
    """Answers the three calls watch makes from fixed data."""

    def __init__(self, stages: list[str], sha: str = REV, error: str | None = None) -> None:
        self.stages, self.sha, self.error = stages, sha, error
        self.followed: dict[str, Any] = {}

    def follow_logs(self, space: SpaceId, **kw: Any) -> Iterator[tuple[str, dict[str, Any]]]:
        self.followed = kw
        yield "stage", {"stage": "BUILDING"}
        yield "message", {"data": "Step 1/2 : FROM spacehost/gradio"}
        yield "message", {"data": " ---> 1234"}
        yield "build", {"status": "succeeded"}

    def runtime(self, space: SpaceId) -> dict[str, Any]:
        stage = self.stages.pop(0) if len(self.stages) > 1 else self.stages[0]
        return {"stage": stage, "errorMessage": self.error}

    def info(self, space: SpaceId) -> dict[str, Any]:
        return {
            "id": str(space),
            "sha": self.sha,
            "servingSha": None,
            "builds": [{"id": 4, "revision": REV, "status": "succeeded"}],
        }


def test_a_deploy_that_goes_live_prints_its_build_and_stages(
    capsys: pytest.CaptureFixture[str],
) -> None:
    client = ScriptedClient(["APP_STARTING", "RUNNING"])
    watch(client, Deploy(SPACE, REV, since_build=3))  # type: ignore[arg-type]
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "[############------------] 1/2 FROM spacehost/gradio",
        "   ---> 1234",
        "stage: APP_STARTING",
        "stage: RUNNING",
    ]
    assert client.followed["since_build"] == 3 and client.followed["revision"] == REV


def test_still_deploying_at_the_timeout_is_exit_12() -> None:
    client = ScriptedClient(["RUNNING_APP_STARTING"])
    with pytest.raises(DeployTimeout) as exc:
        watch(client, Deploy(SPACE, REV, 3), timeout=0.01)  # type: ignore[arg-type]
    assert exc.value.exit_code == 12
    assert "still RUNNING_APP_STARTING after 0.01 s; the deploy goes on" in exc.value.message


def test_a_newer_push_replacing_the_revision_is_exit_5() -> None:
    client = ScriptedClient(["RUNNING"], sha=OTHER)
    with pytest.raises(Conflict) as exc:
        watch(client, Deploy(SPACE, REV, 3))  # type: ignore[arg-type]
    assert exc.value.exit_code == 5 and f"newer push (revision {OTHER[:12]})" in exc.value.message


def test_an_app_that_did_not_start_is_exit_7() -> None:
    client = ScriptedClient(["RUNTIME_ERROR"], error="the app exited with code 1 while starting")
    with pytest.raises(AppFailed) as exc:
        watch(client, Deploy(SPACE, REV, 3))  # type: ignore[arg-type]
    assert exc.value.exit_code == 7 and "failed to start" in exc.value.message
