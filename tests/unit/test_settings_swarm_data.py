"""``SPACEHOST_SWARM_DATA``: where a Swarm space's /data lives (runtime/swarm_data.py)."""

from __future__ import annotations

import pytest

from spacehost.errors import InvalidRequest
from spacehost.settings import Settings


def test_pinned_by_default_and_ephemeral_when_asked() -> None:
    assert Settings.from_env({}).swarm_data == "pinned"
    assert Settings.from_env({"SPACEHOST_SWARM_DATA": " Ephemeral "}).swarm_data == "ephemeral"


def test_another_value_is_refused_naming_the_two() -> None:
    with pytest.raises(InvalidRequest, match="invalid SPACEHOST_SWARM_DATA 'nfs'") as err:
        Settings.from_env({"SPACEHOST_SWARM_DATA": "nfs"})
    assert "'pinned'" in err.value.hint and "'ephemeral'" in err.value.hint
