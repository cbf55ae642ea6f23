"""A space mounts only the hub repos its namespace may read (issue 14): a private repo of
another namespace is, for the space, a repo that does not exist — the same CONFIG_ERROR, and
no close-name suggestion that would leak its name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from spacehost.domain import RepoKind, SpaceId, Stage
from spacehost.identity import Accounts, Role
from spacehost.lifecycle import Platform
from spacehost.store import HubStore
from tests.fakes import FakeBackend, FakeBuilder
from tests.support.platforms import platform_in

MODEL = "acme/secret-bert"

Env = tuple[Platform, FakeBackend, FakeBuilder, Accounts]


def files(models: str) -> dict[str, bytes]:
    return {
        "README.md": f"---\ntitle: Demo\nsdk: gradio\nmodels: [{models}]\n---\n".encode(),
        "app.py": b"print('hi')",
    }


@pytest.fixture()
def env(tmp_path: Path) -> Iterator[Env]:
    hub = HubStore(tmp_path / "hub")
    model = tmp_path / "m"
    model.mkdir()
    (model / "config.json").write_text("{}")
    hub.push(RepoKind.MODEL, MODEL, model)
    backend, builder = FakeBackend(), FakeBuilder()
    with platform_in(tmp_path, backend, builder, hub=hub) as platform:
        accounts = Accounts(platform.settings.identity_db)
        accounts.add_user("root", admin=True)
        accounts.add_user("alice")
        accounts.add_user("mallory")
        accounts.create_org("acme", "root")
        accounts.set_private("model", MODEL, True)
        yield platform, backend, builder, accounts
        accounts.close()
    hub.close()


def stage_after_push(p: Platform, space: SpaceId, models: str) -> tuple[Stage, str]:
    p.push(space, files(models))
    assert p.wait_idle()
    rec = p.store.get_space(space)
    return rec.stage, rec.error_message


def test_a_private_repo_of_another_namespace_is_not_found_and_not_suggested(env: Env) -> None:
    p, backend, builder, _ = env
    stage, error = stage_after_push(p, SpaceId("mallory", "steal"), MODEL)
    assert stage is Stage.CONFIG_ERROR and builder.builds == [] and not backend.containers
    assert error.startswith(f"README.md: models: no model '{MODEL}' on this platform")
    stage, error = stage_after_push(p, SpaceId("mallory", "guess"), "acme/secret-bart")
    assert stage is Stage.CONFIG_ERROR and "did you mean" not in error, error


@pytest.mark.parametrize(
    ("space", "member"),
    [("acme/demo", None), ("alice/demo", Role.READ), ("root/demo", None)],
    ids=["own-namespace", "member-of-the-org", "admin"],
)
def test_a_space_mounts_a_private_repo_its_namespace_may_read(
    env: Env, space: str, member: Role | None
) -> None:
    p, backend, _, accounts = env
    if member is not None:
        accounts.set_member("acme", "alice", member)
    stage, error = stage_after_push(p, SpaceId.parse(space), MODEL)
    assert stage is Stage.RUNNING, error
    assert len(backend.containers) == 1


def test_a_public_repo_of_another_namespace_mounts(env: Env) -> None:
    p, _, _, accounts = env
    accounts.set_private("model", MODEL, False)
    assert stage_after_push(p, SpaceId("mallory", "demo"), MODEL)[0] is Stage.RUNNING
