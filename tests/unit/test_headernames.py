"""spacehost.headernames: what the router writes is what the control plane reads by name."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict

from spacehost import headernames
from spacehost.router.framing import NO_BODY
from spacehost.router.headers import Forwarding, request_head


def _sent(fwd: Forwarding, *client: tuple[bytes, bytes]) -> CIMultiDict[str]:
    """The headers of the request the router sends on, as aiohttp hands them to a handler."""
    head = request_head(
        b"GET", b"/x", [(b"host", b"h"), *client], fwd, framing=NO_BODY, upgrade=False, host=b"h"
    )
    lines = head.decode("latin-1").split("\r\n")[1:]
    return CIMultiDict(tuple(line.split(": ", 1)) for line in lines if line)


def test_the_control_plane_finds_what_the_router_sets() -> None:
    sent = _sent(Forwarding("10.0.0.7", "h", "https", "", "alice/demo"))
    assert sent.getall(headernames.SPACE) == ["alice/demo"]
    assert sent.getall(headernames.FORWARDED_PROTO) == ["https"]


@pytest.mark.parametrize("name", [headernames.SPACE, headernames.FORWARDED_PROTO])
def test_a_client_cannot_set_them(name: str) -> None:
    claimed = (headernames.wire_name(name), b"evil/spoof")
    sent = _sent(Forwarding("10.0.0.7", "h", "http"), claimed)
    assert "evil/spoof" not in sent.getall(name, [])


def test_wire_name_is_lower_case_bytes() -> None:
    assert headernames.wire_name("X-Spacehost-Space") == b"x-spacehost-space"
