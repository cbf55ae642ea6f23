"""Which Hugging Face hardware flavors this host gives, and a request for one of them
(huggingface_hub's ``list_spaces_hardware`` and ``request_space_hardware``).

A flavor is given when the host runs what it asks for as asked: every CPU flavor (they are the
same machine here), a GPU flavor only where the GPU check passes without falling back to CPU.
A space's hardware comes from its README (``hardware:`` or ``suggested_hardware:``), so a
request is granted when the space already runs on what the flavor asks for; another flavor the
host gives needs a README change (a push), and one it cannot give is refused with the ones it
can.
"""

from __future__ import annotations

from dataclasses import dataclass

from spacehost.domain import HF_FLAVORS, GpuRequest, SpaceId
from spacehost.errors import Conflict, HardwareUnavailable, InvalidRequest
from spacehost.lifecycle.context import Context, GpuCheck
from spacehost.lifecycle.gpushare import request_of


@dataclass(frozen=True)
class Flavor:
    """A flavor this host gives: its name and what it asks of the host."""

    name: str
    request: GpuRequest


def offered_flavors(check_gpu: GpuCheck) -> list[Flavor]:
    """The flavors *check_gpu* passes without a warning, in Hugging Face's order."""
    offered = []
    for name, request in HF_FLAVORS.items():
        try:
            warnings = check_gpu(request, name)
        except HardwareUnavailable:
            continue
        if not warnings:  # a warning: it would run on CPU, which is not the flavor
            offered.append(Flavor(name, request))
    return offered


def check_flavor(flavor: object, offered: list[Flavor]) -> Flavor:
    """The offered flavor named *flavor*.

    Raises:
        InvalidRequest: *flavor* is not one of Hugging Face's flavors.
        HardwareUnavailable: this host does not give it (the message names those it gives).
    """
    names = ", ".join(f.name for f in offered)
    if not isinstance(flavor, str) or flavor not in HF_FLAVORS:
        raise InvalidRequest(
            f"{flavor!r} is not a hardware flavor",
            hint=f'send {{"flavor": NAME}} with one this host gives: {names}',
        )
    for f in offered:
        if f.name == flavor:
            return f
    raise HardwareUnavailable(
        f"this host cannot give {flavor}; it gives {names}",
        hint="request one of those (`hf spaces hardware` lists them)",
    )


def request_hardware(ctx: Context, space: SpaceId, flavor: object) -> None:
    """Grant *space* the hardware *flavor* names, as far as this host can.

    Raises:
        SpaceNotFound: no such space. InvalidRequest, HardwareUnavailable: as
        :func:`check_flavor`. Conflict: the host gives the flavor but the space's README asks
        for other hardware (a push changes it).
    """
    rec = ctx.store.get_space(space)
    wanted = check_flavor(flavor, offered_flavors(ctx.check_gpu))
    current = str(rec.manifest.get("hardware") or "cpu-basic")
    if _gpus(request_of(current)) != _gpus(wanted.request):
        raise Conflict(
            f"{space} runs on {current} as its README.md asks; {wanted.name} is other hardware",
            hint=f"set `suggested_hardware: {wanted.name}` in the space's README.md (and no "
            "`hardware:` field) and push it: the space redeploys on it",
        )


def _gpus(request: GpuRequest) -> tuple[int, bool]:
    """What a request gets here: how many GPUs, and whether shared (memory is not a size)."""
    return request.count, request.shared
