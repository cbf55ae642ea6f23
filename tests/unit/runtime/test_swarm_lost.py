"""A node is lost when neither its task's port nor its engine's gossip port takes a connection,
twice; a later start avoids it (runtime/swarm_lost.py, swarm_spec.py). Pure."""

from __future__ import annotations

from spacehost.runtime.swarm_info import pinned_node
from spacehost.runtime.swarm_lost import GOSSIP_PORT, Connect, node_back, node_silent
from spacehost.runtime.swarm_spec import task_template
from tests.support.docker_runtime import make_spec


def answering(*open_ports: int, after: int = 99) -> tuple[list[int], Connect]:
    """A connect that accepts *open_ports*, and every port from try number *after* on."""
    tried: list[int] = []

    def connect(host: str, port: int) -> bool:
        tried.append(port)
        return port in open_ports or len(tried) > after

    return tried, connect


def test_a_node_whose_task_and_engine_refuse_twice_is_silent() -> None:
    tried, connect = answering()
    assert node_silent("10.0.0.12", 30001, connect, pause=lambda s: None)
    assert tried == [30001, GOSSIP_PORT, 30001, GOSSIP_PORT]


def test_a_node_whose_engine_answers_is_not_silent() -> None:
    # the app crashed or is restarting: its node reports it to the manager itself
    _, connect = answering(GOSSIP_PORT)
    assert not node_silent("10.0.0.12", 30001, connect, pause=lambda s: None)
    # a refusal that does not last (the second look finds the app) is no loss
    _, flaky = answering(after=2)
    assert not node_silent("10.0.0.12", 30001, flaky, pause=lambda s: None)
    _, back = answering(GOSSIP_PORT)
    assert node_back("10.0.0.12", back)


def test_a_start_avoids_silent_nodes_unless_pinned() -> None:
    spec = make_spec()
    avoided = task_template(spec, "img", avoid=("n1", "n2"))
    assert avoided["Placement"] == {"Constraints": ["node.id!=n1", "node.id!=n2"]}
    pinned = task_template(spec, "img", node_id="n3", avoid=("n1",))
    assert pinned["Placement"] == {"Constraints": ["node.id==n3"]}
    assert "Placement" not in task_template(spec, "img")


def test_a_service_pinned_to_one_node_cannot_move() -> None:
    def service(*constraints: str) -> dict[str, object]:
        return {"Spec": {"TaskTemplate": {"Placement": {"Constraints": list(constraints)}}}}

    assert pinned_node(service("node.id==n3"))
    assert pinned_node(service("node.id == n3"))
    assert not pinned_node(service("node.id!=n1"))
    assert not pinned_node({"Spec": {}})
