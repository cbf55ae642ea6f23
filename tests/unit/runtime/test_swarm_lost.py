"""A node is lost when neither its task's port nor its engine's gossip port takes a connection,
twice; a later start avoids it (runtime/swarm_lost.py, swarm_spec.py). Pure."""

from __future__ import annotations

from spacehost.runtime.swarm_info import pinned_node
from spacehost.runtime.swarm_lost import GOSSIP_PORT, Connect, node_back, node_silent
from spacehost.runtime.swarm_silent import SilentNodes
from spacehost.runtime.swarm_spec import avoiding, task_template
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
    hub = task_template(spec, "img", avoid=("n1",), require=("spacehost.hub.v1",))
    assert hub["Placement"] == {
        "Constraints": ["node.labels.spacehost.hub.v1==true", "node.id!=n1"]
    }


def test_a_wake_replaces_the_silent_nodes_it_avoids_unless_pinned() -> None:
    template = {"Placement": {"Constraints": ["node.labels.spacehost.hub.v==true",
                                              "node.id!=old"]}}  # fmt: skip
    woken = avoiding(template, ("n1",))
    assert woken is not None
    assert woken["Placement"]["Constraints"] == ["node.labels.spacehost.hub.v==true",
                                                 "node.id!=n1"]  # fmt: skip
    assert avoiding(woken, ("n1",)) is None  # nothing to change
    assert avoiding({"Placement": {"Constraints": ["node.id==n3"]}}, ("n1",)) is None
    assert avoiding({}, ()) is None
    cleared = avoiding(template, ())
    assert cleared is not None
    assert cleared["Placement"]["Constraints"] == ["node.labels.spacehost.hub.v==true"]


def test_silent_nodes_are_avoided_until_the_manager_knows_or_they_answer() -> None:
    answering_again: set[str] = set()
    states = {"n1": "ready", "n2": "ready", "n3": "ready"}
    silent = SilentNodes(back=lambda addr: addr in answering_again)
    for node_id in states:
        silent.found(node_id, f"10.0.0.{node_id[1]}")

    def inspect(node_id: str) -> dict[str, object] | None:
        state = states.get(node_id)
        return None if state is None else {"Status": {"State": state}}

    assert silent.current(inspect) == ("n1", "n2", "n3")
    states["n1"] = "down"  # the manager knows: its own scheduling avoids it
    answering_again.add("10.0.0.2")  # its engine is back
    del states["n3"]  # removed from the swarm
    assert silent.current(inspect) == ()


def service(*constraints: str, data: str | None = "volume") -> dict[str, object]:
    """A service's inspect: its placement and, unless *data* is None, a /data mount."""
    mounts = [{"Type": data, "Target": "/data"}] if data else []
    template = {"Placement": {"Constraints": list(constraints)},
                "ContainerSpec": {"Mounts": mounts}}  # fmt: skip
    return {"Spec": {"TaskTemplate": template}}


def test_a_service_pinned_to_the_node_of_its_data_volume_cannot_move() -> None:
    assert pinned_node(service("node.id==n3"))
    assert pinned_node(service("node.id == n3"))
    assert not pinned_node(service("node.id!=n1"))
    assert not pinned_node({"Spec": {}})


def test_a_service_pinned_only_by_its_hub_repos_may_move() -> None:
    """Pinned to the node its hub repos were filled on, with /data a tmpfs (ephemeral) or
    none: another node can be filled, so a lost node does not strand it."""
    assert not pinned_node(service("node.id==n3", data="tmpfs"))
    assert not pinned_node(service("node.id==n3", data=None))
