"""When APP_STARTING ends: the first answer on ``/`` that is not a server error (an API-only
app's 404 included, as on Hugging Face); a 5xx or no answer keeps waiting."""

from __future__ import annotations

import pytest

from spacehost.domain import SpaceId
from spacehost.lifecycle.health import answers, wait_healthy
from spacehost.runtime.base import ContainerInfo

RUNNING = ContainerInfo(
    id="c1",
    name="c1",
    space=SpaceId("o", "n"),
    revision="r" * 64,
    status="running",
    host="127.0.0.1",
    port=7860,
    exit_code=None,
    oom_killed=False,
    started_at=None,
    finished_at=None,
)


@pytest.mark.parametrize(
    ("status", "up"),
    [(200, True), (302, True), (401, True), (404, True), (None, False), (500, False), (502, False)],
)
def test_which_answers_mean_the_app_is_up(status: int | None, up: bool) -> None:
    assert answers(status) is up


def run(statuses: list[int | None], deadline_s: float = 10.0) -> tuple[bool, str, int]:
    """wait_healthy over a probe that answers *statuses* in turn, on a fake clock."""
    now = [0.0]
    asked: list[str] = []

    def probe(upstream: str) -> int | None:
        asked.append(upstream)
        return statuses[min(len(asked), len(statuses)) - 1]

    def pause(seconds: float) -> None:
        now[0] += seconds

    result = wait_healthy(
        lambda: RUNNING, deadline_s=deadline_s, probe=probe, clock=lambda: now[0], pause=pause
    )
    return result.healthy, result.reason, len(asked)


def test_an_api_only_app_whose_root_is_404_is_up() -> None:
    assert run([None, None, 404]) == (True, "", 3)


def test_a_server_error_keeps_waiting_until_the_app_answers() -> None:
    assert run([502, 503, 200]) == (True, "", 3)


def test_an_app_that_only_fails_times_out() -> None:
    healthy, reason, _ = run([500], deadline_s=1.0)
    assert (healthy, reason) == (False, "timeout")
