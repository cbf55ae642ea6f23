"""A build against an engine that stops answering (issue 11, A12): the real DockerBuilder talks
to a local socket that accepts connections and never answers, with a 1 s client timeout. The
space ends in BUILD_ERROR with a message saying so, and the build row is not left "running"
(before: the ReadTimeout escaped as "internal error while deploying")."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from spacehost.builder import DockerBuilder
from spacehost.domain import SpaceId, Stage
from spacehost.settings import PipSettings, Settings
from tests.support.platforms import new_platform

SPACE = SpaceId("alice", "hang")
FILES = {"README.md": b"---\ntitle: Hang\nsdk: gradio\n---\n", "app.py": b"print('hi')\n"}


@pytest.fixture()
def silent_engine() -> Iterator[str]:
    """An address where connections are accepted (by the kernel's backlog) and never answered."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"tcp://127.0.0.1:{listener.getsockname()[1]}"


def test_an_engine_timing_out_during_a_build_is_a_build_error(
    tmp_path: Path, silent_engine: str
) -> None:
    settings = Settings(
        data_dir=tmp_path, startup_timeout_s=3.0, pip=PipSettings(source="none", mirror_port=0)
    )
    client = docker.DockerClient(base_url=silent_engine, version="1.41", timeout=1)
    builder = DockerBuilder(client, settings)
    platform = new_platform(tmp_path, builder=builder, settings=settings)
    try:
        platform.push(SPACE, FILES)
        assert platform.wait_idle()
        rec = platform.store.get_space(SPACE)
        assert rec.stage is Stage.BUILD_ERROR, rec
        assert "the Docker Engine stopped answering" in rec.error_message
        assert "internal error" not in rec.error_message
        build = platform.store.builds(SPACE)[0]
        assert build.status == "failed" and build.finished_at is not None
        assert "stopped answering" in build.error
    finally:
        platform.close()
        builder.close()
        client.close()


class BrokenBuilder:
    """A builder with a bug: its build raises something that is no spacehost error."""

    def build(self, *args: object, **kwargs: object) -> object:
        raise RuntimeError("a bug in the builder")


def test_an_unexpected_builder_error_leaves_no_build_running(tmp_path: Path) -> None:
    platform = new_platform(tmp_path, builder=BrokenBuilder())  # type: ignore[arg-type]
    try:
        platform.push(SPACE, FILES)
        assert platform.wait_idle()
        assert "internal error" in platform.store.get_space(SPACE).error_message
        build = platform.store.builds(SPACE)[0]
        assert (build.status, build.error) == (
            "failed",
            "internal error while building; see the platform's log",
        )
    finally:
        platform.close()
