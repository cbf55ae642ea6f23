"""ContainerInfo from inspect documents, error translation and log line splitting (no engine)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from docker.errors import APIError, DockerException, ImageNotFound
from docker.errors import NotFound as DockerNotFound

from spacehost.dockerengine import container_error
from spacehost.domain import SpaceId
from spacehost.errors import (
    Conflict,
    EngineUnavailable,
    HardwareUnavailable,
    InvalidRequest,
    NotFound,
)
from spacehost.runtime.docker_backend import DockerBackend, free_port
from spacehost.runtime.info import info_from_attrs
from spacehost.runtime.lines import split_lines, unseen_tail

ZERO = "0001-01-01T00:00:00Z"


def attrs(status: str = "running", *, network: str = "bridge", **state: Any) -> dict[str, Any]:
    return {
        "Id": "c0ffee",
        "Name": "/spacehost-alice--demo-abc-1234",
        "Config": {
            "Labels": {
                "spacehost.managed": "true",
                "spacehost.space": "alice/demo",
                "spacehost.revision": "abc",
                "spacehost.port": "7860",
            }
        },
        "HostConfig": {"NetworkMode": network},
        "NetworkSettings": {
            "Ports": {"7860/tcp": [{"HostIp": "127.0.0.1", "HostPort": "49153"}]}
            if status in ("running", "paused")
            else {}
        },
        "State": {
            "Status": status,
            "ExitCode": 0,
            "OOMKilled": False,
            "StartedAt": "2026-01-02T03:04:05.1Z",
            "FinishedAt": ZERO,
            **state,
        },
    }


# --- info ----------------------------------------------------------------------------------------


def test_running_container_reports_its_published_port() -> None:
    info = info_from_attrs(attrs())
    assert (info.id, info.name, info.space, info.revision) == (
        "c0ffee", "spacehost-alice--demo-abc-1234", SpaceId("alice", "demo"), "abc"
    )  # fmt: skip
    assert (info.status, info.host, info.port, info.exit_code) == (
        "running",
        "127.0.0.1",
        49153,
        None,
    )
    assert (info.started_at, info.finished_at, info.oom_killed) == (
        "2026-01-02T03:04:05.1Z",
        None,
        False,
    )
    assert info.is_running


def test_paused_container_keeps_its_address() -> None:
    info = info_from_attrs(attrs("paused"))
    assert (info.host, info.port, info.is_running) == ("127.0.0.1", 49153, False)


def test_exited_container_has_exit_code_and_no_address() -> None:
    info = info_from_attrs(
        attrs("exited", ExitCode=137, OOMKilled=True, FinishedAt="2026-01-02T03:05Z")
    )
    assert (info.host, info.port, info.exit_code, info.oom_killed) == (None, None, 137, True)
    assert info.finished_at == "2026-01-02T03:05Z"


def test_created_container_has_no_times_and_no_exit_code() -> None:
    info = info_from_attrs(attrs("created", StartedAt=ZERO))
    assert (info.started_at, info.finished_at, info.exit_code, info.port) == (
        None,
        None,
        None,
        None,
    )


def test_host_network_container_is_reached_on_its_label_port() -> None:
    doc = attrs(network="host")
    doc["NetworkSettings"]["Ports"] = {}
    doc["Config"]["Labels"]["spacehost.port"] = "41000"
    info = info_from_attrs(doc)
    assert (info.host, info.port) == ("127.0.0.1", 41000)


def test_a_gpu_container_names_the_gpus_it_was_given() -> None:
    doc = attrs()
    assert info_from_attrs(doc).gpu_ids == ()
    doc["Config"]["Labels"]["spacehost.gpus"] = "1,3"
    assert info_from_attrs(doc).gpu_ids == ("1", "3")  # read back after a platform restart


def test_wildcard_binding_is_reached_on_loopback() -> None:
    doc = attrs()
    doc["NetworkSettings"]["Ports"]["7860/tcp"] = [{"HostIp": "0.0.0.0", "HostPort": "5000"}]
    assert (info_from_attrs(doc).host, info_from_attrs(doc).port) == ("127.0.0.1", 5000)


def test_running_container_without_binding_yet_has_no_port() -> None:
    doc = attrs()
    doc["NetworkSettings"]["Ports"] = {"7860/tcp": None}
    assert info_from_attrs(doc).port is None


# --- errors --------------------------------------------------------------------------------------


def api_error(status: int, explanation: str) -> APIError:
    response = requests.Response()
    response.status_code = status
    return APIError(f"{status} Client Error", response=response, explanation=explanation)


def test_missing_image_says_rebuild() -> None:
    err = container_error(ImageNotFound("No such image: x:1"), "starting a/b", image="x:1")
    assert isinstance(err, NotFound)
    assert "image x:1 not found" in err.message and "rebuild" in err.hint


def test_missing_container_is_not_found() -> None:
    err = container_error(DockerNotFound("No such container: abc"), "pausing container abc")
    assert isinstance(err, NotFound) and "pausing container abc" in err.message


def test_409_is_conflict() -> None:
    err = container_error(api_error(409, "Container abc is not running"), "pausing container abc")
    assert isinstance(err, Conflict) and "is not running" in err.message


def test_state_errors_answered_with_500_are_conflict_too() -> None:
    err = container_error(api_error(500, "Container abc is not paused"), "unpausing container abc")
    assert isinstance(err, Conflict)


def test_device_failure_with_gpu_is_hardware_unavailable() -> None:
    exc = api_error(500, 'could not select device driver "" with capabilities: [[gpu]]')
    err = container_error(exc, "starting a/b", gpu=True)
    assert isinstance(err, HardwareUnavailable) and "SPACEHOST_GPU_FALLBACK" in err.hint
    assert isinstance(container_error(exc, "starting a/b", gpu=False), EngineUnavailable)


@pytest.mark.parametrize(
    ("exc", "said"),
    [
        (
            api_error(500, "driver failed programming external connectivity"),
            "the Docker Engine refused it",
        ),
        (
            requests.exceptions.ConnectionError("Connection refused"),
            "cannot reach the Docker Engine",
        ),
        (
            DockerException("Error while fetching server API version"),
            "cannot reach the Docker Engine",
        ),
        (requests.exceptions.ReadTimeout("read timed out"), "the Docker Engine stopped answering"),
    ],
)
def test_everything_else_is_engine_unavailable(exc: Exception, said: str) -> None:
    err = container_error(exc, "listing containers")
    assert isinstance(err, EngineUnavailable)
    assert err.message.startswith(f"listing containers: {said}")
    assert "docker info" in err.hint


def test_network_mode_none_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="unreachable"):
        DockerBackend(client=None, network_mode="none")


def test_free_port_is_bindable() -> None:
    import socket

    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
    assert 0 < port < 65536


# --- log lines -----------------------------------------------------------------------------------


def test_lines_split_across_chunks_and_characters() -> None:
    text = "héllo\nwörld\r\npartial ✓".encode()
    chunks = [text[i : i + 3] for i in range(0, len(text), 3)]
    assert list(split_lines(chunks)) == ["héllo", "wörld", "partial ✓"]


def test_bad_utf8_is_replaced_and_empty_lines_kept() -> None:
    assert list(split_lines([b"a\xff\n", b"\n", b"b\n"])) == ["a\ufffd", "", "b"]


def test_no_chunks_no_lines() -> None:
    assert list(split_lines([])) == []


@pytest.mark.parametrize(
    ("seen", "latest", "missed"),
    [
        (["a", "b"], ["a", "b"], []),
        (["a", "b"], ["a", "b", "c"], ["c"]),
        (["x", "a", "b"], ["b", "c", "d"], ["c", "d"]),
        ([], ["a"], ["a"]),
        (["a"], [], []),
        (["z"], ["a", "b"], ["a", "b"]),
        (["q", "x"], ["x", "x"], ["x"]),  # a repeated line the follower missed once
        (["a", "b", "c"], ["b", "c"], []),
    ],
)
def test_unseen_tail_is_what_a_follower_missed(
    seen: list[str], latest: list[str], missed: list[str]
) -> None:
    assert unseen_tail(seen, latest) == missed
