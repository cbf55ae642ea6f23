"""The GPU strip of a GPU space's page: what it asked for, this host's GPUs, and (for a shared
GPU) the leases it holds and its calls waiting in the broker's queue."""

from __future__ import annotations

import asyncio
import html
from typing import Any

from spacehost.lifecycle.facade import Facade
from spacehost.lifecycle.gpushare import request_of
from spacehost.store import SpaceRecord

CSS = (
    "<style>.gpu-panel{background:#f8fafc;border:1px solid #e2e8f0;border-radius:8px;"
    "padding:8px 12px;margin:0 0 8px;font-size:.9rem}.gpu-panel p{margin:2px 0}</style>"
)


async def gpu_panel_for(platform: Facade, rec: SpaceRecord) -> str:
    """The panel of *rec*'s page ("" for a space that asks for no GPU)."""
    if not request_of(str(rec.manifest.get("hardware") or "")).wants_gpu:
        return ""
    status = await asyncio.to_thread(platform.gpu_status, rec.id)
    return gpu_panel(status, str(rec.manifest.get("hardware")))


def gpu_panel(status: dict[str, Any], hardware: str) -> str:
    """The panel's HTML for a ``gpu_status(space)`` answer."""
    e = html.escape
    shared = request_of(hardware).shared
    parts = [
        f"<p><b>GPU</b>: {'shared' if shared else 'dedicated'} (hardware: {e(hardware)})"
        f" · {_host(status, shared)}</p>"
    ]
    broker = status.get("broker")
    if shared and broker is not None:
        leases, queue = broker.get("leases") or [], broker.get("queue") or []
        kind = "CPU leases (no GPU here)" if broker.get("lease_mode") == "cpu" else "GPU leases"
        now = f"running {len(leases)} call(s) now" if leases else "no call running now"
        waiting = (
            f", {len(queue)} waiting (queue positions "
            f"{', '.join(str(q['position']) for q in queue)})"
            if queue
            else ""
        )
        parts.append(f"<p id=gpu-queue>Broker ({kind}): {now}{waiting}</p>")
    return f"{CSS}<div class=gpu-panel id=gpu-panel>{''.join(parts)}</div>"


def _host(status: dict[str, Any], shared: bool) -> str:
    gpus = status.get("gpus") or []
    if not status.get("has_gpu"):
        return (
            "no GPUs on this host: @spaces.GPU functions run on CPU"
            if shared
            else "no GPUs on this host"
        )
    if not gpus:
        return "this host has GPUs (inventory unavailable)"
    return "; ".join(
        f"{html.escape(str(g.get('name')))} ({_mib(g.get('memory_used_mib'))} / "
        f"{_mib(g.get('memory_total_mib'))} used)"
        for g in gpus
    )


def _mib(value: Any) -> str:
    return "?" if value is None else f"{int(value):,} MiB"
