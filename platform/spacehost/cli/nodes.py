"""``spacehost nodes``: the machines spaces run on (a table, or ``--json``); ``spacehost nodes
drain NODE`` moves a node's spaces to the others, ``activate NODE`` takes it back (admins)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from typing import Any

from spacehost.client import Client

Add = Callable[[str, Callable[[argparse.Namespace], int], str], Any]
HEADERS = ("HOSTNAME", "ID", "ROLE", "STATE", "AVAILABILITY", "ADDRESS", "CPUS", "MEMORY")
HEADERS_END = ("GPUS", "LABELS", "ENGINE", "RUNNING")
OWN_LABELS = "spacehost."  # spacehost's own node labels (which node holds a volume): not shown


def _memory(n: int) -> str:
    return f"{n / (1 << 30):.1f} GiB" if n else "?"


def _running(node: dict[str, Any]) -> str:
    names = [
        w["name"] if w["kind"] == "space" else f"{w['kind']} {w['name']}"
        for w in node.get("workloads") or []
    ]
    return ", ".join(names) or "-"


def _labels(node: dict[str, Any]) -> str:
    """The node's labels an operator set (``zone=eu``), those SPACEHOST_SWARM_NODE_LABELS reads."""
    labels = node.get("labels") or {}
    shown = (f"{k}={v}" for k, v in sorted(labels.items()) if not k.startswith(OWN_LABELS))
    return ",".join(shown) or "-"


def node_row(node: dict[str, Any]) -> tuple[str, ...]:
    """One node's cells, in the order of HEADERS + HEADERS_END."""
    gpus = ", ".join(f"{k}={v}" for k, v in sorted((node.get("gpus") or {}).items()))
    role = node["role"] + (" (leader)" if node.get("leader") else "")
    return (
        node["hostname"],
        node["id"][:12],
        role,
        node["state"],
        node["availability"],
        node["address"] or "-",
        f"{node['cpus']:g}",
        _memory(int(node["memory_bytes"])),
        gpus or "-",
        _labels(node),
        node["engine_version"] or "?",
        _running(node),
    )


def format_table(rows: Sequence[Sequence[str]]) -> str:
    """*rows* (the first is the header) in columns two spaces apart, the last one unpadded."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join(
        "  ".join([*(c.ljust(w) for c, w in zip(r, widths, strict=False)), r[-1]]).rstrip()
        for r in rows
    )


def format_nodes(answer: dict[str, Any]) -> str:
    """What ``spacehost nodes`` prints for a ``GET /api/nodes`` answer."""
    nodes = answer.get("nodes") or []
    table = format_table([HEADERS + HEADERS_END, *(node_row(n) for n in nodes)])
    backend = answer.get("backend")
    where = "one machine (the Docker backend)" if backend == "docker" else f"a {backend}"
    return f"{len(nodes)} node(s), {where}\n{table}"


def cmd_nodes(client: Client, args: argparse.Namespace) -> int:
    action = getattr(args, "action", None)
    if action in ("drain", "activate"):
        node = client.set_node(args.node, action)
        moved = " (its spaces move to the other nodes)" if action == "drain" else ""
        print(f"{node['hostname']} ({node['id'][:12]}): {node['availability']}{moved}")
        return 0
    answer = client.nodes()
    print(json.dumps(answer, indent=2) if args.json else format_nodes(answer), flush=True)
    return 0


def add_commands(add: Add, make_client: Callable[[argparse.Namespace], Client]) -> None:
    """Register ``nodes`` (and ``nodes drain|activate NODE``) on the CLI's parser."""

    def run(args: argparse.Namespace) -> int:
        return cmd_nodes(make_client(args), args)

    cmd = add("nodes", run, "list the machines spaces run on and what runs where (admins)")
    cmd.add_argument("--json", action="store_true", help="print the API's JSON")
    sub = cmd.add_subparsers(dest="action", required=False, metavar="ACTION")
    for name, help_ in (
        ("drain", "move a node's spaces to the other nodes and give it no new ones"),
        ("activate", "let a drained node take spaces again"),
    ):
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(fn=run)
        p.add_argument("node", metavar="NODE", help="its hostname or ID (`spacehost nodes`)")
