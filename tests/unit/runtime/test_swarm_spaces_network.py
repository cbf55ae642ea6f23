"""The spaces' network on a Swarm and the node set-up it needs (runtime/swarm_spaces_network.py;
the live fence is tests/integration/runtime/test_swarm_isolation.py)."""

from __future__ import annotations

from spacehost.domain import SpaceId
from spacehost.runtime.base import ContainerSpec
from spacehost.runtime.hubsnapshot import HubSnapshot
from spacehost.runtime.swarm_hubcache import fill_args
from spacehost.runtime.swarm_spaces_network import (
    NODE_NETWORK_OPTIONS,
    SPACES_BRIDGE,
    SPACES_NETWORK,
    node_firewall_rules,
)
from spacehost.runtime.swarm_spec import create_args, prep_args

SPEC = ContainerSpec(space=SpaceId("alice", "demo"), revision="0123456789abcdef", image="img",
                     data_volume="vol", replicas=2)  # fmt: skip


def test_every_replica_of_a_space_joins_the_spaces_network() -> None:
    template = create_args(SPEC, "reg/img@sha256:x", "svc")["task_template"]
    assert template["Networks"] == [{"Target": SPACES_NETWORK}]


def test_the_platforms_helper_tasks_stay_off_it_to_reach_the_platform() -> None:
    prep = prep_args(SPEC, "reg/img@sha256:x", "svc-data")["task_template"]
    snapshot = HubSnapshot("model", "alice/tiny", "ab" * 20, "/hub/models--alice--tiny")
    fill = fill_args(snapshot, "img", "svc-hub0", hub_url="http://10.0.0.1:8000", token=None,
                     node_id="n1", resources=None, labels={})["task_template"]  # fmt: skip
    assert "Networks" not in prep and "Networks" not in fill


def test_each_node_makes_a_fixed_bridge_without_icc_or_masquerading() -> None:
    assert NODE_NETWORK_OPTIONS == {
        "com.docker.network.bridge.name": SPACES_BRIDGE,
        "com.docker.network.bridge.enable_icc": "false",
        "com.docker.network.bridge.enable_ip_masquerade": "false",
    }
    assert len(SPACES_BRIDGE) <= 15  # a Linux interface name


def test_the_node_rules_refuse_what_a_space_starts_and_let_answers_pass() -> None:
    refuse = ("-i", SPACES_BRIDGE, "-m", "conntrack", "!", "--ctstate", "ESTABLISHED,RELATED",
              "-j", "REJECT")  # fmt: skip
    assert node_firewall_rules() == [("INPUT", refuse), ("DOCKER-USER", refuse)]
