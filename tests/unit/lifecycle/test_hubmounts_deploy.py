"""Deploys of spaces that name hub repos, against FakeBackend/FakeBuilder and a real HubStore."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from spacehost.domain import RepoKind, SpaceId, Stage
from spacehost.lifecycle import Platform
from spacehost.lifecycle.datasetprep import SCRIPT, datasets_volume
from spacehost.lifecycle.hubmounts import DATASETS_CACHE, HUB_CACHE, pin_dir
from spacehost.runtime.base import TaskResult
from spacehost.store import HubStore
from tests.fakes import FakeBackend, FakeBuilder
from tests.support.platforms import platform_in
from tests.support.polling import wait_for

SPACE = SpaceId("alice", "search")
MODEL = "sentence-transformers/all-MiniLM-L6-v2"
DATASET = "spacehost/movie-reviews"

Env = tuple[Platform, FakeBackend, FakeBuilder, HubStore]


def files(extra: str) -> dict[str, bytes]:
    return {
        "README.md": f"---\ntitle: Search\nsdk: gradio\n{extra}---\n".encode(),
        "app.py": b"print('hi')",
    }


@pytest.fixture()
def env(tmp_path: Path) -> Iterator[Env]:
    hub = HubStore(tmp_path / "hub")
    model = tmp_path / "m"
    model.mkdir()
    (model / "config.json").write_text("{}")
    hub.push(RepoKind.MODEL, MODEL, model)
    data = tmp_path / "d"
    data.mkdir()
    (data / "train.csv").write_text("text,label\nok,1\n")
    hub.push(RepoKind.DATASET, DATASET, data)
    backend, builder = FakeBackend(), FakeBuilder()
    with platform_in(tmp_path, backend, builder, hub=hub) as platform:
        yield platform, backend, builder, hub
    hub.close()


def test_models_are_mounted_read_only_and_pinned(env: Env) -> None:
    p, backend, _, hub = env
    p.push(SPACE, files(f"models: [{MODEL}]\n"))
    assert p.wait_idle()
    rec = p.store.get_space(SPACE)
    assert rec.stage is Stage.RUNNING
    spec = next(iter(backend.containers.values())).spec
    target = f"{HUB_CACHE}/models--sentence-transformers--all-MiniLM-L6-v2"
    assert [(m.container_path, m.read_only, m.volume) for m in spec.mounts] == [
        (target, True, False),
        (f"{target}/refs/main", True, False),
    ]
    assert spec.mounts[0].host_path == str(hub.cache_dir(RepoKind.MODEL, MODEL))
    head = hub.repo(RepoKind.MODEL, MODEL).head.sha
    assert Path(spec.mounts[1].host_path).read_text() == head
    assert {
        k: spec.env[k] for k in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE")
    } == dict.fromkeys(("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"), "1")
    # the key the repo pages read ("spaces that use it")
    assert rec.manifest["hub"] == [
        {"kind": "model", "repo_id": MODEL, "sha": head, "fields": ["models"]}
    ]
    assert backend.tasks == []  # no datasets: nothing to prepare


def test_datasets_get_a_cache_volume_and_are_prepared_before_the_app(env: Env) -> None:
    p, backend, _, hub = env
    p.push(SPACE, files(f"datasets: [{DATASET}]\n"))
    assert p.wait_idle()
    assert p.store.get_space(SPACE).stage is Stage.RUNNING
    spec = next(iter(backend.containers.values())).spec
    volume = datasets_volume(SPACE, p.settings)
    assert [(m.host_path, m.container_path, m.read_only) for m in spec.mounts if m.volume] == [
        (volume, DATASETS_CACHE, False)
    ]
    (task,) = backend.tasks
    assert task.image == spec.image and task.mounts == spec.mounts
    assert task.command is not None and task.command[:3] == ("python3", "-c", SCRIPT)
    head = hub.repo(RepoKind.DATASET, DATASET).head.sha
    assert json.loads(task.command[3]) == [[DATASET, head]]
    # the task's output opens the run log of the container it prepared for
    cid = p.store.get_space(SPACE).container_id
    assert cid is not None
    wait_for(lambda: len(p.store.logs(SPACE, "run", ref=cid)) >= 2)
    assert [ln.line for ln in p.store.logs(SPACE, "run", ref=cid)][:2] == [
        "task done",
        f"starting {spec.revision[:12]}",
    ]
    p.delete(SPACE)
    assert volume not in backend.volumes and not pin_dir(p.settings.data_dir, SPACE).exists()


def test_a_failed_preparation_does_not_stop_the_space(env: Env) -> None:
    p, backend, _, _ = env
    backend.task_result = TaskResult(3, ("datasets: could not prepare x: boom",))
    p.push(SPACE, files(f"datasets: [{DATASET}]\n"))
    assert p.wait_idle()
    assert p.store.get_space(SPACE).stage is Stage.RUNNING
    assert any(kind == "datasets" for _, kind, _ in p.store.events(SPACE))


def test_a_misspelled_repo_is_a_config_error_before_any_build(env: Env) -> None:
    p, backend, builder, _ = env
    p.push(SPACE, files("models: [sentence-transformers/all-MiniLM-L6-v3]\n"))
    assert p.wait_idle()
    rec = p.store.get_space(SPACE)
    assert rec.stage is Stage.CONFIG_ERROR and builder.builds == [] and not backend.containers
    assert rec.error_message.startswith(
        "README.md: models: no model 'sentence-transformers/all-MiniLM-L6-v3' on this platform "
        f"(did you mean '{MODEL}'?)"
    )
    assert "spacehost push DIR --type model --name sentence-transformers/all-MiniLM-L6-v3" in (
        rec.error_message
    )
    # the declared repos are still recorded
    assert rec.manifest["hub"][0]["repo_id"] == "sentence-transformers/all-MiniLM-L6-v3"


def test_a_pushed_repo_fixes_the_space_on_restart(env: Env, tmp_path: Path) -> None:
    p, _, _, hub = env
    p.push(SPACE, files("models: [acme/late]\n"))
    assert p.wait_idle()
    assert p.store.get_space(SPACE).stage is Stage.CONFIG_ERROR
    folder = tmp_path / "late"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    hub.push(RepoKind.MODEL, "acme/late", folder)
    p.restart(SPACE)
    assert p.wait_idle()
    assert p.store.get_space(SPACE).stage is Stage.RUNNING


def test_a_space_without_hub_entries_is_unchanged(env: Env) -> None:
    p, backend, _, _ = env
    p.push(SPACE, files(""))
    assert p.wait_idle()
    spec = next(iter(backend.containers.values())).spec
    assert spec.mounts == () and backend.tasks == []
    assert p.store.get_space(SPACE).manifest["hub"] == []
