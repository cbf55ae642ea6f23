"""``SPACEHOST_SWARM_NODE_LABELS`` and ``SPACEHOST_SWARM_HARDWARE_LABELS``: where on a swarm
spaces and jobs may run (nodelabels.py); bad values stop the platform before it starts."""

from __future__ import annotations

import pytest

from spacehost.errors import InvalidRequest
from spacehost.nodelabels import NodeLabels
from spacehost.settings import Settings


def test_none_by_default_and_both_read_from_the_environment() -> None:
    assert Settings.from_env({}).node_labels == NodeLabels()
    settings = Settings.from_env({
        "SPACEHOST_SWARM_NODE_LABELS": "zone=eu,spacehost",
        "SPACEHOST_SWARM_HARDWARE_LABELS": "a100-large:gpu=a100;t4-small:gpu=t4,zone=eu",
    })  # fmt: skip
    labels = settings.node_labels
    assert labels.everywhere == (("zone", "eu"), ("spacehost", "true"))
    assert labels.required("t4-small") == (("zone", "eu"), ("spacehost", "true"), ("gpu", "t4"))


def test_a_bad_label_stops_the_platform_naming_the_setting_and_the_label() -> None:
    with pytest.raises(InvalidRequest) as err:
        Settings.from_env({"SPACEHOST_SWARM_NODE_LABELS": "zone=eu,tier!=demo"})
    assert "SPACEHOST_SWARM_NODE_LABELS" in err.value.message
    assert "'tier!=demo'" in err.value.message


def test_an_unknown_flavor_stops_the_platform_naming_it() -> None:
    with pytest.raises(InvalidRequest) as err:
        Settings.from_env({"SPACEHOST_SWARM_HARDWARE_LABELS": "a100:gpu=a100"})
    assert "SPACEHOST_SWARM_HARDWARE_LABELS" in err.value.message
    assert "'a100' is no hardware flavor" in err.value.message
    assert "a100-large" in err.value.message
