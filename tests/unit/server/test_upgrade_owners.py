"""Upgrading to accounts (issue 14): an earlier version's data keeps working. The owners of its
spaces and hub repos become organizations, the first admin becomes their admin, and the
platform's old token keeps working as that admin's."""

from __future__ import annotations

from pathlib import Path

from spacehost.domain import RepoKind, SpaceId
from spacehost.identity import Accounts, Role
from spacehost.server.main import adopt_owners
from spacehost.store import HubStore
from tests.support.platforms import platform_in

FILES = {"README.md": b"---\ntitle: Demo\nsdk: gradio\n---\n", "app.py": b"print('hi')"}
OLD_TOKEN = "sh_the-token-of-an-earlier-version"


def test_owners_of_existing_spaces_and_repos_become_orgs_of_the_first_admin(tmp_path: Path) -> None:
    hub = HubStore(tmp_path / "hub")
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    hub.push(RepoKind.MODEL, "lab/tiny", model, "first")
    with platform_in(tmp_path) as platform:
        platform.push(SpaceId("class2024", "demo"), FILES)
        accounts = Accounts(tmp_path / "identity.db", OLD_TOKEN)
        adopt_owners(accounts, platform, hub)
        assert [o.name for o in accounts.list_orgs()] == ["class2024", "lab"]
        assert accounts.members("lab") == []  # no admin yet: the old token alone writes
        operator = accounts.actor_for_token(OLD_TOKEN)
        assert operator is not None and operator.is_admin and operator.name == "admin"

        accounts.add_user("ada", admin=True)
        assert {m.user: m.role for m in accounts.members("lab")} == {"ada": Role.ADMIN}
        assert {m.user: m.role for m in accounts.members("class2024")} == {"ada": Role.ADMIN}
        operator = accounts.actor_for_token(OLD_TOKEN)
        assert operator is not None and operator.name == "ada" and operator.is_admin
        adopt_owners(accounts, platform, hub)  # the next start: nothing new
        assert len(accounts.list_orgs()) == 2


def test_an_owner_that_is_already_a_user_stays_a_user(tmp_path: Path) -> None:
    with platform_in(tmp_path) as platform:
        platform.push(SpaceId("bob", "demo"), FILES)
        accounts = Accounts(tmp_path / "identity.db", OLD_TOKEN)
        accounts.add_user("bob")
        adopt_owners(accounts, platform, HubStore(tmp_path / "hub"))
        assert accounts.namespace_kind("bob") == "user" and accounts.list_orgs() == []
