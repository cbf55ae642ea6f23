"""What serves while a space's next revision deploys, and after that deploy fails: the serving
revision, static files as much as a container (the route, its sdk and its headers follow what
answers, not the revision on its way)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from spacehost.domain import SpaceId, Stage
from spacehost.lifecycle import Platform
from spacehost.lifecycle.contract import manifest_summary
from spacehost.manifest import load_space
from spacehost.store import revision_hash
from tests.fakes import FakeBackend, FakeBuilder
from tests.support.platforms import platform_in, restart

SPACE = SpaceId("alice", "site")
COOP = "cross-origin-opener-policy"


def static_files(text: str, coop: str = "same-origin") -> dict[str, bytes]:
    readme = f"---\ntitle: Site\nsdk: static\ncustom_headers:\n  {COOP}: {coop}\n---\n"
    return {"README.md": readme.encode(), "index.html": f"<p>{text}</p>".encode()}


def gradio_files(code: str, coop: str = "unsafe-none") -> dict[str, bytes]:
    readme = f"---\ntitle: Site\nsdk: gradio\ncustom_headers:\n  {COOP}: {coop}\n---\n"
    return {"README.md": readme.encode(), "app.py": code.encode()}


@pytest.fixture()
def env(tmp_path: Path) -> Iterator[tuple[Platform, FakeBackend, FakeBuilder]]:
    backend, builder = FakeBackend(), FakeBuilder()
    with platform_in(tmp_path, backend, builder) as platform:
        yield platform, backend, builder


def route(p: Platform) -> dict[str, Any]:
    data = json.loads(p.settings.routes_file.read_text())
    entry: dict[str, Any] = {e["space"]: e for e in data["spaces"]}[str(SPACE)]
    return entry


def served_text(p: Platform) -> str:
    """What the router would answer for ``/`` from the route table alone."""
    r = route(p)
    assert r["static_dir"], f"no static files are routed: {r}"
    return Path(r["static_dir"], "index.html").read_text()


def serve_v1(p: Platform) -> str:
    v1 = p.push(SPACE, static_files("v1")).revision
    assert p.wait_idle()
    assert served_text(p) == "<p>v1</p>"
    return v1


Env = tuple[Platform, FakeBackend, FakeBuilder]


def test_static_revision_serves_while_a_gradio_revision_builds(env: Env) -> None:
    p, _, builder = env
    v1 = serve_v1(p)
    mid: list[tuple[str, str, str, str]] = []
    builder.gate = lambda: mid.append(
        (route(p)["stage"], route(p)["sdk"], served_text(p), route(p)["headers"][COOP])
    )
    v2 = p.push(SPACE, gradio_files("print(2)")).revision
    assert p.wait_idle()
    assert mid == [("RUNNING_BUILDING", "static", "<p>v1</p>", "same-origin")]
    rec = p.store.get_space(SPACE)
    assert rec.stage is Stage.RUNNING and rec.serving_revision == v2 != v1
    r = route(p)
    assert r["sdk"] == "gradio" and r["static_dir"] is None and r["upstream"] == rec.upstream
    assert r["headers"][COOP] == "unsafe-none"


def test_failed_build_leaves_the_static_revision_serving(env: Env) -> None:
    p, backend, _ = env
    v1 = serve_v1(p)
    p.push(SPACE, gradio_files("BUILD_FAIL", coop="unsafe-none"))
    assert p.wait_idle()
    rec = p.store.get_space(SPACE)
    assert rec.stage is Stage.RUNNING and rec.serving_revision == v1
    assert "pip install failed" in rec.error_message
    assert p.runtime_info(SPACE)["errorMessage"] == rec.error_message
    assert served_text(p) == "<p>v1</p>"
    # the headers and sdk of what answers, not of the revision that failed
    assert route(p)["sdk"] == "static" and route(p)["headers"][COOP] == "same-origin"
    assert not backend.containers


def test_app_failing_at_start_leaves_the_static_revision_serving(env: Env) -> None:
    p, backend, _ = env
    v1 = serve_v1(p)
    backend.exit_on_start = 1
    p.push(SPACE, gradio_files("raise SystemExit(1)"))
    assert p.wait_idle()
    rec = p.store.get_space(SPACE)
    assert rec.stage is Stage.RUNNING and rec.serving_revision == v1
    assert "exited with code 1" in rec.error_message
    assert served_text(p) == "<p>v1</p>" and not backend.containers


def test_a_fixed_push_after_a_failed_one_goes_live(env: Env) -> None:
    p, _, _ = env
    serve_v1(p)
    p.push(SPACE, gradio_files("BUILD_FAIL"))
    assert p.wait_idle()
    v3 = p.push(SPACE, static_files("v3")).revision
    assert p.wait_idle()
    rec = p.store.get_space(SPACE)
    assert rec.stage is Stage.RUNNING and rec.serving_revision == v3 and not rec.error_message
    assert served_text(p) == "<p>v3</p>"


def test_gradio_to_static_switches_routes_before_removing_the_container(env: Env) -> None:
    p, backend, _ = env
    p.push(SPACE, gradio_files("print(1)"))
    assert p.wait_idle()
    (old,) = backend.containers
    p.push(SPACE, static_files("v2"))
    assert p.wait_idle()
    assert served_text(p) == "<p>v2</p>" and route(p)["upstream"] is None
    assert old not in backend.containers
    assert p.store.get_space(SPACE).container_id is None


def test_restart_keeps_a_static_space_with_a_failed_successor_serving(env: Env) -> None:
    p, _, builder = env
    v1 = serve_v1(p)
    p.push(SPACE, gradio_files("BUILD_FAIL"))
    assert p.wait_idle()
    builds = len(builder.builds)
    p.settings.routes_file.unlink()
    restarted = restart(p)
    restarted.reconcile()
    assert restarted.wait_idle()
    rec = restarted.store.get_space(SPACE)
    assert rec.stage is Stage.RUNNING and rec.serving_revision == v1 and rec.error_message
    assert served_text(restarted) == "<p>v1</p>"
    assert len(builder.builds) == builds  # a failed build is reported, not retried
    restarted.close()


def test_restart_during_a_redeploy_retries_it_while_the_old_container_serves(env: Env) -> None:
    p, backend, _ = env
    p.push(SPACE, gradio_files("print(1)"))
    assert p.wait_idle()
    old = p.store.get_space(SPACE)
    # the platform died just after storing a push of v2: what push writes before it deploys
    source = load_space(gradio_files("print(2)"), default_title=SPACE.name)
    v2 = revision_hash(source.files)
    p.files.save(v2, source.files)
    p.store.add_revision(SPACE, v2, manifest_summary(source.manifest))
    p.store.update_space(SPACE, revision=v2, stage=Stage.RUNNING_BUILDING)
    restarted = restart(p)
    restarted.reconcile()
    assert restarted.wait_idle()
    rec = restarted.store.get_space(SPACE)
    assert rec.stage is Stage.RUNNING and rec.serving_revision == v2, rec.error_message
    assert old.container_id not in backend.containers  # replaced once v2 was live
    restarted.close()
