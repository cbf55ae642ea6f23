"""What every Swarm node needs so that its spaces reach nothing they were not given
(runtime/swarm_node_fence.py; the live fence: tests/integration/runtime/test_swarm_isolation.py)."""

from __future__ import annotations

from spacehost.domain import SpaceId
from spacehost.runtime.base import ContainerSpec
from spacehost.runtime.hubsnapshot import HubSnapshot
from spacehost.runtime.swarm_hubcache import FillRequest, fill_args
from spacehost.runtime.swarm_node_fence import (
    NODE_DAEMON_CONFIG,
    job_admit_rules,
    node_firewall_rules,
)
from spacehost.runtime.swarm_spec import create_args, prep_args

SPEC = ContainerSpec(space=SpaceId("alice", "demo"), revision="0123456789abcdef", image="img",
                     data_volume="vol", replicas=2)  # fmt: skip
REFUSE = ("-i", "docker0", "-m", "conntrack", "!", "--ctstate", "ESTABLISHED,RELATED",
          "-j", "REJECT")  # fmt: skip
JOBS_REFUSE = ("-i", "docker_gwbridge", *REFUSE[2:])


def test_the_nodes_bridge_has_no_traffic_between_containers_and_no_masquerading() -> None:
    assert NODE_DAEMON_CONFIG == {"icc": False, "userland-proxy": False, "ip-masq": False}


def test_what_a_space_starts_is_refused_and_only_the_platform_opens_published_ports() -> None:
    published = ("-p", "tcp", "!", "-s", "10.0.0.1", "-m", "conntrack", "--ctstate", "NEW",
                 "--ctorigdst", "10.0.0.11", "--ctorigdstport", "32768:60999",
                 "-j", "DROP")  # fmt: skip
    assert node_firewall_rules("10.0.0.1", "10.0.0.11") == [
        ("DOCKER-USER", published),
        ("DOCKER-USER", REFUSE),
        ("INPUT", REFUSE),
        ("DOCKER-USER", JOBS_REFUSE),
        ("INPUT", JOBS_REFUSE),
    ]


def test_a_job_on_an_overlay_reaches_the_platforms_address_and_port_only() -> None:
    to_platform = ("-i", "docker_gwbridge", "-d", "10.0.0.1", "-p", "tcp", "--dport", "8000")
    assert job_admit_rules("10.0.0.1", 8000) == [
        ("DOCKER-USER", (*to_platform, "-j", "RETURN")),
        ("INPUT", (*to_platform, "-j", "ACCEPT")),
    ]


def test_spaces_sit_on_the_fenced_bridge_and_hub_fills_on_the_nodes_own_network() -> None:
    space = create_args(SPEC, "reg/img@sha256:x", "svc")["task_template"]
    prep = prep_args(SPEC, "reg/img@sha256:x", "svc-data", node_id="n1")["task_template"]
    snapshot = HubSnapshot("model", "alice/tiny", "ab" * 20, "/hub/models--alice--tiny")
    request = FillRequest(SPEC, "img", "svc", resources={}, labels={})
    fill = fill_args(snapshot, request, "svc-hub0", hub_url="http://10.0.0.1:8000", token=None,
                     node_id="n1")["task_template"]  # fmt: skip
    assert "Networks" not in space and "Networks" not in prep  # the node's default bridge
    assert fill["Networks"] == [{"Target": "host"}]  # it must reach the platform's hub URL
