"""``SPACEHOST_SWARM_DATA``: where a Swarm space's /data lives (runtime/swarm_data.py)."""

from __future__ import annotations

import pytest

from spacehost.errors import InvalidRequest
from spacehost.settings import Settings


def test_pinned_by_default_and_ephemeral_when_asked() -> None:
    assert Settings.from_env({}).swarm_data == "pinned"
    assert Settings.from_env({"SPACEHOST_SWARM_DATA": " Ephemeral "}).swarm_data == "ephemeral"


def test_another_value_is_refused_naming_the_three() -> None:
    with pytest.raises(InvalidRequest, match="invalid SPACEHOST_SWARM_DATA 'nfs'") as err:
        Settings.from_env({"SPACEHOST_SWARM_DATA": "nfs"})
    assert all(f"'{mode}'" in err.value.hint for mode in ("pinned", "ephemeral", "shared"))


SHARED = {"SPACEHOST_SWARM_DATA": "shared"}


def test_shared_takes_the_folder_every_node_mounts() -> None:
    settings = Settings.from_env({**SHARED, "SPACEHOST_SWARM_SHARED_DIR": " /mnt/spacehost-data "})
    assert (settings.swarm_data, settings.swarm_shared_dir) == ("shared", "/mnt/spacehost-data")


def test_shared_without_a_folder_is_refused_saying_which_setting() -> None:
    with pytest.raises(InvalidRequest, match="needs SPACEHOST_SWARM_SHARED_DIR") as err:
        Settings.from_env(SHARED)
    assert "/mnt/spacehost-data" in err.value.hint and "every node" in err.value.hint


@pytest.mark.parametrize("path", ["mnt/data", "./data", "/mnt/../etc", "/mnt/data/.."])
def test_a_relative_folder_or_one_with_dotdot_is_refused(path: str) -> None:
    with pytest.raises(InvalidRequest, match=r"absolute path without '\.\.'") as err:
        Settings.from_env({**SHARED, "SPACEHOST_SWARM_SHARED_DIR": path})
    assert repr(path) in err.value.message


def test_the_folder_alone_changes_nothing_for_the_other_modes() -> None:
    settings = Settings.from_env({"SPACEHOST_SWARM_SHARED_DIR": "relative/is/unused"})
    assert settings.swarm_data == "pinned"
