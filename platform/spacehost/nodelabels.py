"""Node labels from configuration: where on a swarm spaces and jobs may run (docs/cluster.md,
"Where spaces and jobs may run: node labels"). Pure.

``SPACEHOST_SWARM_NODE_LABELS`` names the labels every node that runs spaces and jobs carries
(``zone=eu,tier=demo``); ``SPACEHOST_SWARM_HARDWARE_LABELS`` adds, per hardware flavor, the labels
a node needs to run that flavor (``a100-large:gpu=a100;t4-small:gpu=t4,zone=eu``). Each label
becomes one placement constraint ``node.labels.<key>==<value>``; keys and values are checked
against a plain character set, so no value can write another operator or constraint.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from spacehost.errors import InvalidRequest

NODE_LABELS_VAR = "SPACEHOST_SWARM_NODE_LABELS"
HARDWARE_LABELS_VAR = "SPACEHOST_SWARM_HARDWARE_LABELS"
# a bare ``key`` asks for ``key=true``: a Swarm constraint cannot test that a label is there
BARE_VALUE = "true"
# Swarm's constraint parser takes label keys of letters, digits, '.', '-' and '_' (no '/', no
# spaces); values are kept to the same set so a value can never hold another operator
_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")
_VALUE = re.compile(r"[A-Za-z0-9._-]+")

# The hardware flavors a space (``hardware``/``suggested_hardware``) or a job (``--flavor``) can
# name: domain.HF_FLAVORS and lifecycle/jobflavors.FLAVORS (a unit test keeps them equal; this
# module sits below both layers)
FLAVOR_NAMES: frozenset[str] = frozenset({
    "cpu-basic", "cpu-upgrade", "cpu-xl", "cpu-performance", "zero-a10g",
    "t4-small", "t4-medium", "l4x1", "l4x4", "l40sx1", "l40sx4", "l40sx8",
    "a10g-small", "a10g-large", "a10g-largex2", "a10g-largex4",
    "a100-large", "a100x4", "a100x8", "h100", "h100x8", "h200", "h200x2",
})  # fmt: skip

Label = tuple[str, str]  # (key, value)


def _no_flavors() -> dict[str, tuple[Label, ...]]:
    return {}


@dataclass(frozen=True)
class NodeLabels:
    """The node labels a space or job needs: *everywhere* for all, plus *by_flavor*'s for its
    hardware flavor."""

    everywhere: tuple[Label, ...] = ()
    by_flavor: Mapping[str, tuple[Label, ...]] = field(default_factory=_no_flavors)

    def required(self, flavor: str | None) -> tuple[Label, ...]:
        """The labels a node needs to run *flavor* (None or an unlisted one: the global ones;
        ``suggested_hardware: t4-small``, as messages name it, is ``t4-small``)."""
        extra = self.by_flavor.get((flavor or "").rpartition(": ")[2].strip(), ())
        return self.everywhere + tuple(label for label in extra if label not in self.everywhere)

    def __bool__(self) -> bool:
        return bool(self.everywhere or self.by_flavor)


def constraints(labels: tuple[Label, ...]) -> list[str]:
    """The Swarm placement constraints of *labels*: ``node.labels.<key>==<value>`` each."""
    return [f"node.labels.{key}=={value}" for key, value in labels]


def from_constraints(placed: Iterable[object]) -> tuple[Label, ...]:
    """The labels of the ``node.labels.<key>==<value>`` constraints among *placed* (a
    service's, as the manager shows them)."""
    found: list[Label] = []
    for text in placed:
        key, sep, value = str(text).replace(" ", "").partition("==")
        if sep and key.startswith("node.labels."):
            found.append((key.removeprefix("node.labels."), value))
    return tuple(found)


def carries(node_labels: Mapping[str, str], labels: tuple[Label, ...]) -> bool:
    """Whether a node with *node_labels* (its ``Spec.Labels``) carries every one of *labels*
    (values compared without case, as the Swarm manager compares them)."""
    return all(
        key in node_labels and str(node_labels[key]).lower() == value.lower()
        for key, value in labels
    )


def describe(labels: tuple[Label, ...]) -> str:
    """``zone=eu, gpu=a100``: *labels* as a person writes them."""
    return ", ".join(f"{key}={value}" for key, value in labels)


def label_hint(labels: tuple[Label, ...]) -> str:
    """How an operator labels a node with *labels*."""
    adds = " ".join(f"--label-add {key}={value}" for key, value in labels)
    return (
        f"label a node that may run it: `docker node update {adds} NODE` on a manager, or "
        f"change {NODE_LABELS_VAR} / {HARDWARE_LABELS_VAR} (docs/cluster.md)"
    )


def parse_labels(text: str, setting: str = NODE_LABELS_VAR) -> tuple[Label, ...]:
    """``"zone=eu,tier=demo"`` -> ``(("zone", "eu"), ("tier", "demo"))``; a bare ``key`` is
    ``key=true``; empty -> ``()``.

    Raises:
        InvalidRequest: an entry with an empty or bad key or value (naming *setting* and it).
    """
    found: list[Label] = []
    for item in filter(None, (p.strip() for p in text.split(","))):
        label = _label(item, setting)
        if label not in found:
            found.append(label)
    return tuple(found)


def _label(item: str, setting: str) -> Label:
    key, sep, value = (p.strip() for p in item.partition("="))
    value = value if sep else BARE_VALUE
    if not _KEY.fullmatch(key) or not _VALUE.fullmatch(value):
        raise InvalidRequest(
            f"invalid {setting}: bad label {item!r} (a key of letters, digits, '.', '-' or "
            "'_', then '=' and a value of the same characters)",
            hint=f"write labels as key=value separated by commas, e.g. {setting}=zone=eu,"
            "tier=demo (a bare key means key=true) (docs/configuration.md)",
        )
    return key, value


def parse_hardware_labels(text: str) -> dict[str, tuple[Label, ...]]:
    """``"a100-large:gpu=a100;t4-small:gpu=t4,zone=eu"`` -> labels by flavor (entries separated
    by ``;``, each ``FLAVOR:LABELS``).

    Raises:
        InvalidRequest: an entry without ``:`` or labels, an unknown flavor, a flavor named
            twice, or a bad label (naming the setting and the entry).
    """
    found: dict[str, tuple[Label, ...]] = {}
    for entry in filter(None, (p.strip() for p in text.split(";"))):
        flavor, sep, labels = (p.strip() for p in entry.partition(":"))
        if not sep or not labels:
            raise _bad_entry(entry, "write FLAVOR:key=value[,key=value]")
        if flavor not in FLAVOR_NAMES:
            raise _bad_entry(
                entry, f"{flavor!r} is no hardware flavor; use one of "
                f"{', '.join(sorted(FLAVOR_NAMES))}"
            )  # fmt: skip
        if flavor in found:
            raise _bad_entry(entry, f"{flavor} is named twice; write its labels in one entry")
        found[flavor] = parse_labels(labels, HARDWARE_LABELS_VAR)
    return found


def _bad_entry(entry: str, what: str) -> InvalidRequest:
    return InvalidRequest(
        f"invalid {HARDWARE_LABELS_VAR}: bad entry {entry!r}: {what}",
        hint=f"write FLAVOR:key=value[,key=value] entries separated by ';', e.g. "
        f"{HARDWARE_LABELS_VAR}='a100-large:gpu=a100;t4-small:gpu=t4,zone=eu' "
        "(docs/configuration.md)",
    )
