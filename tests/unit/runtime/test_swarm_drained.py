"""A task the manager stopped after the service's last update (its node drained or lost; the
restart policy ``none`` makes no other) is a stopped app, so the lifecycle's crash handling
places the space again; a scale-up the manager has not acted on yet is still starting. Pure."""

from __future__ import annotations

from typing import Any

import pytest

from spacehost.runtime.swarm_info import (
    forced_update,
    has_live_task,
    info_from_service,
    shut_down_since_update,
)

LABELS = {"spacehost.space": "alice/demo", "spacehost.revision": "r1", "spacehost.port": "7860"}


def service(updated: str | None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "ID": "s1",
        "Spec": {"Name": "svc", "Labels": LABELS, "Mode": {"Replicated": {"Replicas": 1}}},
    }
    if updated is not None:
        found["UpdatedAt"] = updated
    return found


def shut_down(at: str) -> dict[str, Any]:
    return {
        "Version": {"Index": 7},
        "DesiredState": "shutdown",
        "NodeID": "n2",
        "Status": {"State": "shutdown", "Timestamp": at, "ContainerStatus": {"ExitCode": 0}},
    }


@pytest.mark.parametrize(
    ("updated", "stopped", "status"),
    [
        # drained: created at 10:00, its task stopped by the manager at 10:05 -> exited
        ("2026-12-07T10:00:00.123456789Z", "2026-12-07T10:05:01.5Z", "exited"),
        # woken: scaled to one at 10:06, the task of the scale-down (10:05) is all there is
        ("2026-12-07T10:06:00.000000001Z", "2026-12-07T10:05:01.987654321Z", "created"),
        # no update time known: starting, as before
        (None, "2026-12-07T10:05:01Z", "created"),
    ],
)
def test_a_task_stopped_since_the_last_update_is_not_a_wake(
    updated: str | None, stopped: str, status: str
) -> None:
    info = info_from_service(service(updated), shut_down(stopped), "10.0.0.12")
    assert info.status == status


def test_nanosecond_timestamps_compare_by_their_microseconds() -> None:
    assert shut_down_since_update(
        service("2026-12-07T10:00:00.000001Z"), shut_down("2026-12-07T10:00:00.000002999Z")
    )
    assert not shut_down_since_update(service("garbage"), shut_down("2026-12-07T10:00:00Z"))


def ended(state: str, at: str, desired: str = "shutdown") -> dict[str, Any]:
    return {**shut_down(at), "DesiredState": desired, "Status": {"State": state, "Timestamp": at}}


@pytest.mark.parametrize(
    ("updated", "state", "status"),
    [
        # its app crashed at 10:05 after the service's last update (10:00): it exited
        ("2026-12-07T10:00:00Z", "failed", "exited"),
        ("2026-12-07T10:00:00Z", "complete", "exited"),
        # a wake forced an update at 10:06 after that crash: new tasks are on their way
        ("2026-12-07T10:06:00Z", "failed", "created"),
        # no update time known: the crash stands
        (None, "failed", "exited"),
    ],
)
def test_an_ended_task_is_a_wake_under_way_only_after_a_later_update(
    updated: str | None, state: str, status: str
) -> None:
    task = ended(state, "2026-12-07T10:05:00Z", desired="running")
    assert info_from_service(service(updated), task, "10.0.0.12").status == status


def test_a_service_runs_a_live_task_only_while_one_is_meant_to_run_and_not_ended() -> None:
    at = "2026-12-07T10:05:00Z"
    assert has_live_task([ended("running", at, desired="running")])
    assert has_live_task([ended("pending", at, desired="running")])
    assert not has_live_task([ended("failed", at, desired="running")])
    assert not has_live_task([ended("running", at, desired="shutdown")])  # being stopped
    assert not has_live_task([])


def test_a_forced_update_raises_the_counter_and_keeps_the_template() -> None:
    svc = service(None)
    svc["Spec"]["TaskTemplate"] = {"ContainerSpec": {"Image": "img"}, "ForceUpdate": 2}
    assert forced_update(svc) == {"ContainerSpec": {"Image": "img"}, "ForceUpdate": 3}
    assert forced_update(service(None)) == {"ForceUpdate": 1}
