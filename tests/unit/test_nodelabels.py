"""Node labels from configuration (nodelabels.py): how ``SPACEHOST_SWARM_NODE_LABELS`` and
``SPACEHOST_SWARM_HARDWARE_LABELS`` are read, the constraints they become and which nodes
carry them. Pure."""

from __future__ import annotations

import pytest

from spacehost.domain import HF_FLAVORS
from spacehost.errors import InvalidRequest
from spacehost.lifecycle.jobflavors import FLAVORS
from spacehost.nodelabels import (
    FLAVOR_NAMES,
    NodeLabels,
    carries,
    constraints,
    from_constraints,
    parse_hardware_labels,
    parse_labels,
)


def test_labels_are_key_value_pairs_and_a_bare_key_asks_for_true() -> None:
    assert parse_labels("") == ()
    assert parse_labels(" zone=eu , tier=demo,") == (("zone", "eu"), ("tier", "demo"))
    assert parse_labels("spacehost") == (("spacehost", "true"),)
    assert parse_labels("a=1,a=1") == (("a", "1"),)  # named twice: once
    assert constraints(parse_labels("zone=eu,com.example.rack=r-1_2")) == [
        "node.labels.zone==eu",
        "node.labels.com.example.rack==r-1_2",
    ]


@pytest.mark.parametrize(
    "text",
    ["=eu", "zone=", "zone==eu", "zone!=eu", "zone=eu!=x", "zone=e u", "zone=eu\nnode.id==x",
     "zo ne=eu", "zone=eu/west", "-zone=eu", "zone=eu==x"],
)  # fmt: skip
def test_a_bad_label_is_refused_naming_the_setting_and_the_entry(text: str) -> None:
    with pytest.raises(InvalidRequest) as err:
        parse_labels(f"ok=1,{text}")
    assert err.value.message.startswith("invalid SPACEHOST_SWARM_NODE_LABELS: bad label ")
    assert repr(text.split(",")[-1].strip()) in err.value.message
    assert "key=value" in err.value.hint


def test_hardware_labels_are_flavor_entries_separated_by_semicolons() -> None:
    found = parse_hardware_labels(" a100-large: gpu=a100 ; t4-small:gpu=t4,zone=eu;")
    assert found == {"a100-large": (("gpu", "a100"),), "t4-small": (("gpu", "t4"), ("zone", "eu"))}
    labels = NodeLabels((("zone", "eu"), ("tier", "demo")), found)
    assert labels.required("a100-large") == (("zone", "eu"), ("tier", "demo"), ("gpu", "a100"))
    assert labels.required("t4-small") == (("zone", "eu"), ("tier", "demo"), ("gpu", "t4"))
    assert labels.required("cpu-basic") == labels.required(None) == labels.everywhere
    assert not NodeLabels() and labels


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("a100-large", "write FLAVOR:key=value"),
        ("a100-large:", "write FLAVOR:key=value"),
        ("a100-largeish:gpu=a100", "'a100-largeish' is no hardware flavor; use one of"),
        ("t4-small:gpu=t4;t4-small:zone=eu", "t4-small is named twice"),
    ],
)
def test_a_bad_hardware_entry_is_refused_naming_it(text: str, said: str) -> None:
    with pytest.raises(InvalidRequest) as err:
        parse_hardware_labels(text)
    assert err.value.message.startswith("invalid SPACEHOST_SWARM_HARDWARE_LABELS: bad entry ")
    assert said in err.value.message
    assert "FLAVOR:key=value" in err.value.hint


def test_a_bad_label_of_a_flavor_names_the_hardware_setting() -> None:
    with pytest.raises(InvalidRequest, match="HARDWARE_LABELS: bad label 'gpu!=t4'"):
        parse_hardware_labels("t4-small:gpu!=t4")


def test_a_node_carries_labels_as_the_manager_compares_them() -> None:
    need = (("zone", "eu"), ("gpu", "A100"))
    assert carries({"zone": "EU", "gpu": "a100", "other": "x"}, need)
    assert not carries({"zone": "eu"}, need)
    assert not carries({"zone": "us", "gpu": "a100"}, need)
    assert carries({}, ())


def test_the_labels_of_a_services_constraints_are_read_back() -> None:
    placed = ["node.labels.zone == eu", "node.id!=n1", "node.labels.spacehost.hub.v==true"]
    assert from_constraints(placed) == (("zone", "eu"), ("spacehost.hub.v", "true"))


def test_the_flavor_names_are_those_of_spaces_and_jobs() -> None:
    assert set(HF_FLAVORS) | {f.name for f in FLAVORS} == FLAVOR_NAMES
