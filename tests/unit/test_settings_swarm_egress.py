"""``SPACEHOST_SPACE_EGRESS=on`` is refused with the Swarm backend: its spaces' network has no
way out (runtime/swarm_node_fence.py, docs/cluster.md "Networking")."""

from __future__ import annotations

import pytest

from spacehost.errors import InvalidRequest
from spacehost.settings import Settings

SWARM = {
    "SPACEHOST_RUNTIME": "swarm",
    "SPACEHOST_SWARM_URL": "tcp://10.0.0.1:2375",
    "SPACEHOST_REGISTRY": "127.0.0.1:5000",
}


def test_egress_on_a_swarm_is_refused_saying_what_to_do() -> None:
    with pytest.raises(InvalidRequest, match="SPACEHOST_SPACE_EGRESS=on is not supported") as err:
        Settings.from_env({**SWARM, "SPACEHOST_SPACE_EGRESS": "on"})
    assert "SPACEHOST_SPACE_EGRESS" in err.value.hint and "Docker backend" in err.value.hint


def test_egress_off_on_a_swarm_and_on_with_one_host_are_accepted() -> None:
    assert not Settings.from_env({**SWARM, "SPACEHOST_SPACE_EGRESS": "off"}).space_egress
    assert Settings.from_env({"SPACEHOST_SPACE_EGRESS": "on"}).space_egress
