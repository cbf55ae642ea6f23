"""``GET /api/spaces/hardware`` and ``POST /api/spaces/{owner}/{name}/hardware``: the hardware
flavors this host gives, in huggingface_hub's ``JobHardwareInfo`` shape, and a request for one
(``HfApi.request_space_hardware``, ``hf spaces settings --hardware``); see
lifecycle/hardware_offer.py for what a request can change."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from spacehost.api.secrets import _body, _platform, _space_id
from spacehost.lifecycle.facade import Facade
from spacehost.lifecycle.hardware_offer import Flavor

# as huggingface.co names them (``GET /api/spaces/hardware``'s ``prettyName``)
PRETTY_NAMES = {
    "cpu-basic": "CPU Basic",
    "cpu-upgrade": "CPU Upgrade",
    "cpu-xl": "CPU XL",
    "zero-a10g": "ZeroGPU",
    "t4-small": "Nvidia T4 - small",
    "t4-medium": "Nvidia T4 - medium",
    "l4x1": "1x Nvidia L4",
    "l4x4": "4x Nvidia L4",
    "l40sx1": "1x Nvidia L40S",
    "l40sx4": "4x Nvidia L40S",
    "l40sx8": "8x Nvidia L40S",
    "a10g-small": "Nvidia A10G - small",
    "a10g-large": "Nvidia A10G - large",
    "a10g-largex2": "2x Nvidia A10G - large",
    "a10g-largex4": "4x Nvidia A10G - large",
    "a100-large": "Nvidia A100 - large",
    "a100x4": "4x Nvidia A100 - large",
    "a100x8": "8x Nvidia A100 - large",
    "h100": "Nvidia H100",
    "h100x8": "8x Nvidia H100",
}


def _accelerator(flavor: Flavor, gpus: list[dict[str, Any]]) -> dict[str, str] | None:
    """The flavor's GPU as this host has it (its first GPU's model and memory)."""
    if not flavor.request.wants_gpu:
        return None
    first = gpus[0] if gpus else {}
    # a shared flavor's calls may use every GPU of the host (docs/gpu.md)
    quantity = (len(gpus) or 1) if flavor.request.shared else flavor.request.count
    mib = first.get("memory_total_mib")
    return {
        "type": "gpu",
        "model": str(first.get("name") or "GPU"),
        "quantity": str(quantity),
        "vram": f"{round(mib / 1024)} GB" if isinstance(mib, int) else "unknown",
        "manufacturer": "Nvidia",
    }


def hardware_json(flavors: list[Flavor], platform: Facade) -> list[dict[str, Any]]:
    """*flavors* as ``GET /api/spaces/hardware`` answers them: each space's CPU, memory and
    disk limits (``SPACEHOST_CPUS``, ``SPACEHOST_MEMORY_LIMIT``, ``SPACEHOST_SPACE_DISK``), no
    cost."""
    s = platform.settings
    gpus: list[dict[str, Any]] = platform.gpu_status().get("gpus", [])
    return [
        {
            "name": f.name,
            "prettyName": PRETTY_NAMES.get(f.name, f.name),
            "cpu": f"{s.cpus:g} vCPU",
            "ram": f"{s.memory_limit / (1 << 30):g} GB",
            "ephemeralStorage": f"{s.space_disk / (1 << 30):g} GB" if s.space_disk else "unlimited",
            "accelerator": _accelerator(f, gpus),
            "unitCostMicroUSD": 0,
            "unitCostUSD": 0.0,
            "unitLabel": "minute",
        }
        for f in flavors
    ]


async def list_hardware(request: web.Request) -> web.Response:
    """The flavors this host gives (no token needed: it names no space)."""
    platform = _platform(request)
    flavors = await asyncio.to_thread(platform.hardware_flavors)
    return web.json_response(await asyncio.to_thread(hardware_json, flavors, platform))


async def request_hardware(request: web.Request) -> web.Response:
    """``{"flavor", "sleepTimeSeconds"?}`` -> the runtime; a flavor this host does not give is
    a 409 naming the ones it does."""
    platform, space = _platform(request), _space_id(request)
    body = await _body(request)
    await asyncio.to_thread(platform.request_hardware, space, body.get("flavor"))
    if body.get("sleepTimeSeconds") is not None:
        await asyncio.to_thread(platform.set_sleep_time, space, body["sleepTimeSeconds"])
    return web.json_response(await asyncio.to_thread(platform.runtime_info, space))
