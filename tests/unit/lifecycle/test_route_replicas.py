"""The lifecycle's hook for a space with several replicas: their upstreams reach the route."""

from __future__ import annotations

from pathlib import Path

from spacehost.domain import SpaceId
from spacehost.lifecycle.routes import route_entry, route_upstreams
from spacehost.runtime.base import ContainerInfo
from spacehost.settings import Settings
from tests.support.platforms import platform_in

SPACE = SpaceId("alice", "many")


def info(host: str | None, port: int | None, status: str = "running") -> ContainerInfo:
    return ContainerInfo(
        id="c", name="n", space=SPACE, revision="r", status=status, host=host, port=port,
        exit_code=None, oom_killed=False, started_at=None, finished_at=None,
    )  # fmt: skip


def test_route_upstreams_lists_the_reachable_replicas_once() -> None:
    infos = [info("10.0.0.2", 7860), info(None, None, "created"), info("10.0.0.3", 7860)]
    infos.append(info("10.0.0.2", 7860))
    assert route_upstreams(infos) == ("10.0.0.2:7860", "10.0.0.3:7860")
    assert route_upstreams([]) == ()


def test_route_entry_publishes_the_replicas_of_a_serving_space(tmp_path: Path) -> None:
    with platform_in(tmp_path, settings=Settings(data_dir=tmp_path)) as p:
        p.push(SPACE, {"README.md": b"---\nsdk: gradio\n---\n", "app.py": b"print(1)"})
        assert p.wait_idle()
        rec = p.store.get_space(SPACE)
        files = p.files
    assert rec.stage.is_serving and rec.upstream
    many = ("10.0.0.2:7860", "10.0.0.3:7860")
    entry = route_entry(rec, files, replicas=many)
    assert (entry.upstream, entry.replicas) == (many[0], many)
    assert route_entry(rec, files, replicas=many[:1]).replicas == ()
    assert route_entry(rec, files).upstream == rec.upstream  # no replicas: as before
