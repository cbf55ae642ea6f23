"""Hub repos a space names: resolution against a real HubStore, mounts, pins, CONFIG_ERROR."""

from __future__ import annotations

from pathlib import Path

import pytest

from spacehost.domain import RepoKind, SpaceId
from spacehost.errors import EntryNotFound, RepoNotFound, RevisionNotFound
from spacehost.lifecycle.hubmounts import (
    HUB_CACHE,
    HubRef,
    hub_mounts,
    hub_refs,
    hub_summary,
    pin_dir,
    remove_pins,
    resolve_refs,
    write_pins,
)
from spacehost.manifest.parse import parse_manifest
from spacehost.store import HubStore

MODEL = "acme/tiny-bert"
DATASET = "acme/reviews"


def manifest(extra: str) -> object:
    return parse_manifest(f"---\ntitle: t\nsdk: gradio\n{extra}---\n")


@pytest.fixture()
def hub(tmp_path: Path) -> HubStore:
    store = HubStore(tmp_path / "hub")
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text('{"hidden_size": 8}')
    (model / "model.safetensors").write_bytes(b"\0" * 64)
    store.push(RepoKind.MODEL, MODEL, model)
    data = tmp_path / "data"
    (data / "data").mkdir(parents=True)
    (data / "README.md").write_text("---\nlicense: mit\n---\n")
    (data / "data" / "train.csv").write_text("text,label\ngood,1\n")
    store.push(RepoKind.DATASET, DATASET, data)
    return store


def test_refs_come_from_models_datasets_and_preload() -> None:
    m = manifest(
        f"models: [{MODEL}]\ndatasets: [{DATASET}]\n"
        f"preload_from_hub: ['{MODEL} config.json', 'other/m a.bin,b.bin abc1234']\n"
    )
    refs = hub_refs(m)  # type: ignore[arg-type]
    assert [(r.kind, r.repo_id, r.field) for r in refs] == [
        (RepoKind.MODEL, MODEL, "models"),
        (RepoKind.DATASET, DATASET, "datasets"),
        (RepoKind.MODEL, MODEL, "preload_from_hub"),
        (RepoKind.MODEL, "other/m", "preload_from_hub"),
    ]
    assert refs[2].files == ("config.json",) and refs[3].revision == "abc1234"
    assert refs[3].files == ("a.bin", "b.bin")


def test_summary_has_one_entry_per_repo_with_every_field() -> None:
    m = manifest(f"models: [{MODEL}]\npreload_from_hub: ['{MODEL}']\ndatasets: [{DATASET}]\n")
    assert hub_summary(m) == [  # type: ignore[arg-type]
        {"kind": "model", "repo_id": MODEL, "fields": ["models", "preload_from_hub"]},
        {"kind": "dataset", "repo_id": DATASET, "fields": ["datasets"]},
    ]
    assert hub_summary(manifest("")) == []  # type: ignore[arg-type]


def test_resolve_pins_the_head_and_mounts_the_cache_folder(hub: HubStore, tmp_path: Path) -> None:
    refs = [
        HubRef(RepoKind.MODEL, MODEL, "models"),
        HubRef(RepoKind.DATASET, DATASET, "datasets"),
        HubRef(RepoKind.MODEL, MODEL, "preload_from_hub", files=("config.json",)),
    ]
    repos = resolve_refs(refs, hub)
    assert [(r.repo_id, r.fields) for r in repos] == [
        (MODEL, ("models", "preload_from_hub")),
        (DATASET, ("datasets",)),
    ]
    head = hub.repo(RepoKind.MODEL, MODEL).head.sha
    assert repos[0].sha == head and repos[0].cache_dir == hub.cache_dir(RepoKind.MODEL, MODEL)
    assert repos[0].summary() == {
        "kind": "model",
        "repo_id": MODEL,
        "sha": head,
        "fields": ["models", "preload_from_hub"],
    }
    pins = pin_dir(tmp_path, SpaceId("alice", "demo"))
    mounts = hub_mounts(repos, pins)
    model_dir = f"{HUB_CACHE}/models--acme--tiny-bert"
    assert [(m.host_path, m.container_path, m.read_only) for m in mounts[:2]] == [
        (str(repos[0].cache_dir), model_dir, True),
        (str(pins / "models--acme--tiny-bert"), f"{model_dir}/refs/main", True),
    ]
    assert mounts[2].container_path == f"{HUB_CACHE}/datasets--acme--reviews"
    assert model_dir == "/home/user/.cache/huggingface/hub/models--acme--tiny-bert"


def test_pins_keep_a_running_container_on_its_commit(hub: HubStore, tmp_path: Path) -> None:
    repos = resolve_refs([HubRef(RepoKind.MODEL, MODEL, "models")], hub)
    pins = pin_dir(tmp_path, SpaceId("alice", "demo"))
    write_pins(repos, pins)
    pin = pins / "models--acme--tiny-bert"
    assert pin.read_text() == repos[0].sha
    held = pin.open()  # what a bind mount of the file holds on to: this inode
    folder = tmp_path / "v2"
    folder.mkdir()
    (folder / "config.json").write_text('{"hidden_size": 16}')
    new = hub.push(RepoKind.MODEL, MODEL, folder)
    # the repo's own refs/main moved, the space's pin did not
    assert (hub.cache_dir(RepoKind.MODEL, MODEL) / "refs" / "main").read_text() == new.sha
    assert pin.read_text() == repos[0].sha
    again = resolve_refs([HubRef(RepoKind.MODEL, MODEL, "models")], hub)
    write_pins(again, pins)  # the next deploy: a new file, renamed over the old one
    assert pin.read_text() == new.sha and held.read() == repos[0].sha
    held.close()
    assert oct(pin.stat().st_mode & 0o777) == "0o644"
    remove_pins(pins)
    assert not pins.exists()


def test_a_misspelled_repo_names_it_with_close_names_and_a_hint(hub: HubStore) -> None:
    with pytest.raises(RepoNotFound) as info:
        resolve_refs([HubRef(RepoKind.MODEL, "acme/tiny-bret", "models")], hub)
    assert info.value.message == (
        "models: no model 'acme/tiny-bret' on this platform (did you mean 'acme/tiny-bert'?)"
    )
    assert "spacehost push DIR --type model --name acme/tiny-bret" in info.value.hint


def test_a_model_is_not_found_among_datasets(hub: HubStore) -> None:
    with pytest.raises(RepoNotFound, match="datasets: no dataset 'acme/tiny-bert'"):
        resolve_refs([HubRef(RepoKind.DATASET, MODEL, "datasets")], hub)


def test_a_repo_without_owner_says_names_have_owners(hub: HubStore) -> None:
    with pytest.raises(RepoNotFound) as info:
        resolve_refs([HubRef(RepoKind.MODEL, "tiny-bert", "models")], hub)
    assert "has no owner" in info.value.message and "did you mean 'acme/tiny-bert'" in (
        info.value.hint
    )


def test_preload_file_and_revision_are_checked(hub: HubStore) -> None:
    head = hub.repo(RepoKind.MODEL, MODEL).head.sha
    ok = HubRef(RepoKind.MODEL, MODEL, "preload_from_hub", head[:10], ("config.json",))
    assert resolve_refs([ok], hub)[0].sha == head
    with pytest.raises(EntryNotFound) as info:
        resolve_refs([HubRef(RepoKind.MODEL, MODEL, "preload_from_hub", None, ("x.bin",))], hub)
    assert "has no file 'x.bin' in revision main" in info.value.message
    with pytest.raises(RevisionNotFound, match="has no revision 'deadbeef00'"):
        resolve_refs([HubRef(RepoKind.MODEL, MODEL, "preload_from_hub", "deadbeef00")], hub)


def test_no_hub_is_a_config_error_too() -> None:
    with pytest.raises(RepoNotFound, match="no hub"):
        resolve_refs([HubRef(RepoKind.MODEL, MODEL, "models")], None)
    assert resolve_refs([], None) == ()


def test_a_moved_repo_is_mounted_from_its_new_folder_under_the_old_name(
    hub: HubStore, tmp_path: Path
) -> None:
    """A space whose README.md still names a moved model (POST /api/repos/move) keeps loading
    it by that name; a space that may not read it at its new id is told it does not exist."""
    head = hub.repo(RepoKind.MODEL, MODEL).head.sha
    hub.move(RepoKind.MODEL, MODEL, "acme/renamed")
    (repo,) = resolve_refs([HubRef(RepoKind.MODEL, MODEL, "models")], hub)
    assert (repo.repo_id, repo.sha) == (MODEL, head)
    assert repo.cache_dir == hub.cache_dir(RepoKind.MODEL, "acme/renamed")
    mount = hub_mounts([repo], pin_dir(tmp_path, SpaceId("alice", "demo")))[0]
    assert mount.container_path == f"{HUB_CACHE}/models--acme--tiny-bert"
    assert (repo.cache_dir / "snapshots" / head / "config.json").is_file()

    def not_the_new_one(kind: RepoKind, repo_id: str) -> bool:
        return repo_id != "acme/renamed"

    with pytest.raises(RepoNotFound, match="models: no model 'acme/tiny-bert'"):
        resolve_refs([HubRef(RepoKind.MODEL, MODEL, "models")], hub, not_the_new_one)
