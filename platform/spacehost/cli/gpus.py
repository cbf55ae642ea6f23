"""``spacehost gpus``: the host's GPUs, the spaces that asked for one, and the GPU broker's
leases and queue."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from spacehost.client import Client

Add = Callable[[str, Callable[[argparse.Namespace], int], str], Any]


def format_gpus(status: dict[str, Any]) -> str:
    """The report ``spacehost gpus`` prints for a ``GET /api/gpus`` answer."""
    lines = []
    gpus = status.get("gpus") or []
    if not status.get("has_gpu"):
        lines.append("no GPUs on this host")
    elif not gpus:
        lines.append(
            f"GPUs given to containers by mode {status.get('mode')}; their inventory "
            "is unknown (install nvidia-ml-py or nvidia-smi)"
        )
    else:
        lines.append(f"GPUs (mode {status.get('mode')}):")
        for g in gpus:
            used, total = g.get("memory_used_mib"), g.get("memory_total_mib")
            util = g.get("utilization_pct")
            users = ", ".join(g.get("spaces") or []) or "no space"
            lines.append(
                f"  {g.get('index')}  {g.get('name')}  {_mib(used)} / {_mib(total)} "
                f"used" + (f"  {util}% busy" if util is not None else "") + f"  in use by: {users}"
            )
    spaces = status.get("spaces") or []
    if spaces:
        lines.append("GPU spaces:")
        for s in spaces:
            kind = "shared" if s.get("shared") else f"{s.get('count') or 1} GPU(s)"
            lines.append(f"  {s['space']}  {s['hardware']} ({kind})  {s['stage']}")
    lines += _broker(status.get("broker"))
    return "\n".join(lines)


def _broker(broker: dict[str, Any] | None) -> list[str]:
    if broker is None:
        return ["GPU broker: off (shared-GPU spaces use the GPU directly, or run on CPU)"]
    limits = broker.get("limits") or {}
    kind = "CPU leases" if broker.get("lease_mode") == "cpu" else "GPU leases"
    devices = broker.get("devices") or []
    slots = devices[0].get("slots") if devices else "?"
    lines = [
        f"GPU broker ({kind}): {len(devices)} device(s), {slots} lease(s) each, "
        f"{limits.get('per_space')} per space, {limits.get('default_duration_s'):g} s per "
        f"call by default (at most {limits.get('max_duration_s'):g} s)"
    ]
    for lease in broker.get("leases") or []:
        lines.append(
            f"  running: {lease['space']} ({lease['name'] or '?'}) on "
            f"{lease['device']} for {lease['held_s']:.1f} s"
        )
    for q in broker.get("queue") or []:
        lines.append(
            f"  waiting: {q['position']}. {q['space']} ({q['name'] or '?'}) for "
            f"{q['waiting_s']:.1f} s"
        )
    totals = broker.get("totals") or {}
    lines.append(
        "  so far: "
        + ", ".join(
            f"{totals.get(k, 0)} {k}"
            for k in ("granted", "released", "expired", "refused", "disconnected")
        )
    )
    return lines


def _mib(value: Any) -> str:
    return "?" if value is None else f"{int(value):,} MiB"


def cmd_gpus(client: Client, args: argparse.Namespace) -> int:
    status = client.gpus()
    print(json.dumps(status, indent=2) if args.json else format_gpus(status), flush=True)
    return 0


def add_commands(add: Add, make_client: Callable[[argparse.Namespace], Client]) -> None:
    """Register ``gpus`` on the CLI's parser."""
    cmd = add(
        "gpus",
        lambda args: cmd_gpus(make_client(args), args),
        "show this host's GPUs, the GPU spaces and the GPU broker's queue",
    )
    cmd.add_argument("--json", action="store_true", help="print the API's JSON")
