"""The lifecycle against FakeBackend/FakeBuilder: stages, routes, errors, reconcile."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from spacehost.domain import GpuRequest, SpaceId, Stage
from spacehost.errors import HardwareUnavailable, ManifestInvalid
from spacehost.lifecycle import Platform
from spacehost.settings import Settings
from tests.fakes import FakeBackend, FakeBuilder
from tests.support.platforms import new_platform, platform_in, restart
from tests.support.polling import wait_for
from tests.support.spacefiles import gradio_files, readme

SPACE = SpaceId("alice", "demo")


@pytest.fixture()
def env(tmp_path: Path) -> Iterator[tuple[Platform, FakeBackend, FakeBuilder]]:
    backend, builder = FakeBackend(), FakeBuilder()
    with platform_in(tmp_path, backend, builder) as platform:
        yield platform, backend, builder


def stage(p: Platform, space: SpaceId = SPACE) -> Stage:
    return p.store.get_space(space).stage


def routes(p: Platform) -> dict[str, dict[str, object]]:
    data = json.loads(p.settings.routes_file.read_text())
    return {e["space"]: e for e in data["spaces"]}


def fetch(upstream: str) -> str:
    with urllib.request.urlopen(f"http://{upstream}/", timeout=5) as resp:
        return str(resp.read().decode())


def test_push_builds_starts_and_publishes_a_route(env) -> None:  # type: ignore[no-untyped-def]
    p, backend, _ = env
    result = p.push(SPACE, gradio_files())
    assert p.wait_idle()
    assert stage(p) is Stage.RUNNING
    route = routes(p)["alice/demo"]
    assert route["stage"] == "RUNNING"
    assert fetch(str(route["upstream"])) == f"app {result.revision}"
    spec = next(iter(backend.containers.values())).spec
    assert spec.env["SPACE_ID"] == "alice/demo" and spec.env["GRADIO_SERVER_PORT"] == "7860"
    assert spec.env["HF_HUB_OFFLINE"] == "1" and spec.data_volume == (
        f"spacehost-data-{p.settings.instance[:8]}-alice--demo"
    )
    runtime = p.runtime_info(SPACE)
    assert runtime["stage"] == "RUNNING" and runtime["sdk"] == "gradio"
    assert runtime["errorMessage"] is None and runtime["hardware"]["requested"] == "cpu-basic"
    assert [ln.line for ln in p.store.logs(SPACE, "build")][-1] == "Step 2/2 : COPY app"


def test_same_files_twice_is_unchanged(env) -> None:  # type: ignore[no-untyped-def]
    p, _, builder = env
    p.push(SPACE, gradio_files())
    assert p.wait_idle()
    again = p.push(SPACE, gradio_files())
    assert again.unchanged and len(builder.builds) == 1


def test_redeploy_keeps_old_serving_until_new_is_healthy(env) -> None:  # type: ignore[no-untyped-def]
    p, backend, builder = env
    first = p.push(SPACE, gradio_files("v1"))
    assert p.wait_idle()
    old_upstream = str(routes(p)["alice/demo"]["upstream"])
    seen: list[str] = []
    builder.gate = lambda: seen.append(fetch(old_upstream))  # old still answers mid-build
    second = p.push(SPACE, gradio_files("v2"))
    assert p.wait_idle()
    assert seen == [f"app {first.revision}"]
    assert fetch(str(routes(p)["alice/demo"]["upstream"])) == f"app {second.revision}"
    assert len(backend.containers) == 1  # the old container was removed after the switch


def test_build_error_on_first_push(env) -> None:  # type: ignore[no-untyped-def]
    p, _, _ = env
    p.push(SPACE, gradio_files("BUILD_FAIL"))
    assert p.wait_idle()
    rec = p.store.get_space(SPACE)
    assert rec.stage is Stage.BUILD_ERROR
    assert "pip install failed" in rec.error_message
    # the builder's log tail (a list of lines) reads as lines, not as a Python list
    assert "RUN pip install\nERROR: no matching distribution" in rec.error_message
    assert "['" not in rec.error_message
    assert routes(p)["alice/demo"]["upstream"] is None
    assert p.store.builds(SPACE)[0].status == "failed"


def test_failed_build_leaves_the_old_revision_serving(env) -> None:  # type: ignore[no-untyped-def]
    p, _, _ = env
    first = p.push(SPACE, gradio_files("v1"))
    assert p.wait_idle()
    p.push(SPACE, gradio_files("BUILD_FAIL"))
    assert p.wait_idle()
    rec = p.store.get_space(SPACE)
    assert rec.stage is Stage.RUNNING and "pip install failed" in rec.error_message
    assert fetch(str(routes(p)["alice/demo"]["upstream"])) == f"app {first.revision}"


def test_app_exiting_at_start_is_a_runtime_error_with_log_tail(env) -> None:  # type: ignore[no-untyped-def]
    p, backend, _ = env
    backend.exit_on_start = 3
    p.push(SPACE, gradio_files())
    assert p.wait_idle()
    rec = p.store.get_space(SPACE)
    assert rec.stage is Stage.RUNTIME_ERROR
    assert "exited with code 3" in rec.error_message and "Traceback: boom" in rec.error_message


def test_app_never_answering_times_out(env) -> None:  # type: ignore[no-untyped-def]
    p, backend, _ = env
    backend.silent = True
    p.push(SPACE, gradio_files(extra="startup_duration_timeout: 1s\n"))
    assert p.wait_idle(timeout=20)
    rec = p.store.get_space(SPACE)
    assert rec.stage is Stage.RUNTIME_ERROR and "within 1 s" in rec.error_message


def test_crash_after_running_is_detected(env) -> None:  # type: ignore[no-untyped-def]
    p, backend, _ = env
    p.push(SPACE, gradio_files())
    assert p.wait_idle()
    cid = p.store.get_space(SPACE).container_id
    assert cid
    backend.crash(cid, code=137)
    wait_for(lambda: stage(p) is Stage.RUNTIME_ERROR)
    rec = p.store.get_space(SPACE)
    assert "code 137" in rec.error_message and "Killed by test" in rec.error_message
    assert routes(p)["alice/demo"]["upstream"] is None


def test_static_space_is_served_from_its_revision_folder(env) -> None:  # type: ignore[no-untyped-def]
    p, backend, builder = env
    files = {"README.md": readme("static"), "index.html": b"<h1>hi</h1>"}
    result = p.push(SPACE, files)
    assert p.wait_idle()
    route = routes(p)["alice/demo"]
    assert stage(p) is Stage.RUNNING and route["upstream"] is None
    assert Path(str(route["static_dir"]), "index.html").read_bytes() == b"<h1>hi</h1>"
    assert result.revision in str(route["static_dir"])
    assert not builder.builds and not backend.containers


def test_disable_embedding_and_custom_headers_reach_the_route(env) -> None:  # type: ignore[no-untyped-def]
    p, _, _ = env
    extra = "disable_embedding: true\ncustom_headers:\n  cross-origin-opener-policy: same-origin\n"
    p.push(SPACE, gradio_files(extra=extra))
    assert p.wait_idle()
    route = routes(p)["alice/demo"]
    assert route["frame_ancestors"] == "'none'"
    assert route["headers"] == {"cross-origin-opener-policy": "same-origin"}


def test_gpu_space_on_a_host_without_gpu_is_a_config_error(tmp_path: Path) -> None:
    def no_gpu(req: GpuRequest, hardware: str | None = None) -> list[str]:
        if req.wants_gpu:
            raise HardwareUnavailable(
                f"this space asks for 1 GPU ({hardware}) but this host has none"
            )
        return []

    p = new_platform(tmp_path, settings=Settings(data_dir=tmp_path), check_gpu=no_gpu)
    p.push(SPACE, gradio_files(extra="suggested_hardware: t4-small\n"))
    assert p.wait_idle()
    rec = p.store.get_space(SPACE)
    assert rec.stage is Stage.CONFIG_ERROR and "has none" in rec.error_message
    # the message names the field and flavor that asked for the GPU
    assert "(suggested_hardware: t4-small)" in rec.error_message
    p.close()


def test_invalid_push_stores_nothing(env) -> None:  # type: ignore[no-untyped-def]
    p, _, _ = env
    with pytest.raises(ManifestInvalid):
        p.push(SPACE, {"README.md": b"no front matter", "app.py": b""})
    assert p.store.find_space(SPACE) is None
    assert not list(p.files.root.iterdir())


def test_delete_removes_containers_volume_and_route(env) -> None:  # type: ignore[no-untyped-def]
    p, backend, _ = env
    p.push(SPACE, gradio_files())
    assert p.wait_idle()
    p.delete(SPACE)
    assert not backend.containers and not backend.volumes
    assert "alice/demo" not in routes(p)
    assert p.store.find_space(SPACE) is None


def test_reconcile_adopts_running_and_removes_orphans(env) -> None:  # type: ignore[no-untyped-def]
    p, backend, builder = env
    p.push(SPACE, gradio_files())
    assert p.wait_idle()
    cid = p.store.get_space(SPACE).container_id
    orphan = backend.start(next(iter(backend.containers.values())).spec)
    p.settings.routes_file.unlink()
    restarted = restart(p)
    restarted.reconcile()
    assert restarted.wait_idle()
    assert set(backend.containers) == {cid}
    assert orphan.id not in backend.containers
    assert routes(restarted)["alice/demo"]["upstream"] == p.store.get_space(SPACE).upstream
    assert len(builder.builds) == 1  # adopted, not rebuilt
    restarted.close()


def test_reconcile_redeploys_a_space_whose_container_is_gone(env) -> None:  # type: ignore[no-untyped-def]
    p, backend, _ = env
    p.push(SPACE, gradio_files())
    assert p.wait_idle()
    for cid in list(backend.containers):
        backend.remove(cid)
    restarted = restart(p)
    restarted.reconcile()
    assert restarted.wait_idle()
    assert stage(restarted) is Stage.RUNNING and len(backend.containers) == 1
    restarted.close()


def test_pushing_failed_files_again_builds_again(env) -> None:  # type: ignore[no-untyped-def]
    p, _, builder = env
    p.push(SPACE, gradio_files("v1"))
    assert p.wait_idle()
    p.push(SPACE, gradio_files("BUILD_FAIL"))
    assert p.wait_idle()
    again = p.push(SPACE, gradio_files("BUILD_FAIL"))
    assert p.wait_idle()
    assert not again.unchanged and len(builder.builds) == 3
