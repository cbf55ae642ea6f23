"""A private space's access at the router: which credentials count, and the cached answers of
the control plane (its check call is a real Unix-socket server in
tests/integration/router/test_private.py; here a counting coroutine stands in for it)."""

from __future__ import annotations

import asyncio
import base64

import pytest

from spacehost.router.access import (
    Credentials,
    RawCredentials,
    SpaceAccess,
    check_headers,
    credentials,
    raw_credentials,
)
from spacehost.spaceaccess import CACHE_ALLOW_S, CACHE_DENY_S, platform_cookies


def test_credentials_are_the_platforms_only() -> None:
    basic = b"Basic " + base64.b64encode(b"alice:hf_t")
    assert credentials([(b"host", b"x"), (b"cookie", b"theme=dark")]) is None
    assert credentials([(b"authorization", b"Bearer abc")]) is None  # the space's own
    assert credentials([(b"authorization", b"Bearer hf_t")]) == (b"Bearer hf_t", b"", b"")
    assert credentials([(b"authorization", basic)]) == (basic, b"", b"")
    assert credentials([(b"x-hf-authorization", b"Bearer x")]) == (b"", b"Bearer x", b"")
    both = [
        (b"cookie", b"a=1; spacehost_session=s; b=2"),
        (b"cookie", b"c=3"),
        (b"cookie", b"spacehost_space=p"),
    ]
    assert credentials(both) == (b"", b"", b"spacehost_session=s; spacehost_space=p")
    # a look-alike cookie name is no credential
    assert credentials([(b"cookie", b"spacehost_sessionx=1")]) is None


def test_platform_cookies() -> None:
    assert platform_cookies(b"a=1;spacehost_csrf=c ; spacehost_space=p") == (
        b"spacehost_csrf=c; spacehost_space=p"
    )
    assert platform_cookies(b"a=1") == b""


def test_check_headers() -> None:
    creds: Credentials = (b"Bearer hf_t", b"", b"spacehost_session=s")
    assert check_headers("alice/demo", creds) == (
        b"x-spacehost-space: alice/demo\r\nauthorization: Bearer hf_t\r\n"
        b"cookie: spacehost_session=s\r\n"
    )


class Control:
    """Answers checks from a set of allowed tokens, counting calls; *gate* holds them."""

    def __init__(self, *allowed: bytes) -> None:
        self.allowed = set(allowed)
        self.calls = 0
        self.gate = asyncio.Event()
        self.gate.set()

    async def ask(self, space: str, creds: Credentials) -> bool:
        self.calls += 1
        await self.gate.wait()
        return creds[0] in self.allowed


ALICE: RawCredentials = ((b"authorization", b"Bearer hf_alice"),)
# the same credentials with a space's cookie beside them: other bytes, the same answer
ALICE_TOO: RawCredentials = (*ALICE, (b"cookie", b"theme=dark"))
BOB: RawCredentials = ((b"authorization", b"Bearer hf_bob"),)


def test_raw_credentials() -> None:
    headers = [(b"host", b"h"), (b"cookie", b"a=1"), (b"authorization", b"x"), (b"cookie", b"b")]
    assert raw_credentials(headers) == (
        (b"cookie", b"a=1"),
        (b"authorization", b"x"),
        (b"cookie", b"b"),
    )
    assert raw_credentials([(b"host", b"h")]) == ()


def test_without_platform_credentials_the_answer_is_no_at_once() -> None:
    access = SpaceAccess(Control().ask, lambda: 0.0)
    assert access.decide("a/s", ()) is False
    assert access.decide("a/s", ((b"authorization", b"Bearer abc"), (b"cookie", b"t=1"))) is False
    with pytest.raises(ValueError, match="no platform credentials"):
        access.ask("a/s", ((b"cookie", b"t=1"),))


def test_answers_are_kept_for_their_time_and_per_key() -> None:
    async def scenario() -> None:
        control, now = Control(b"Bearer hf_alice"), [50.0]
        access = SpaceAccess(control.ask, lambda: now[0])
        assert access.decide("a/s", ALICE) is None
        assert await access.ask("a/s", ALICE) is True
        assert await access.ask("a/s", BOB) is False
        assert access.decide("a/s", ALICE) is True and access.decide("a/s", BOB) is False
        assert access.decide("a/s", ALICE_TOO) is True  # parsed: the same credentials
        assert access.decide("a/other", ALICE) is None  # per space
        now[0] += CACHE_DENY_S
        assert access.decide("a/s", BOB) is None and access.decide("a/s", ALICE) is True
        now[0] += CACHE_ALLOW_S - CACHE_DENY_S
        assert access.decide("a/s", ALICE) is None and access.decide("a/s", ALICE_TOO) is None
        assert control.calls == access.calls == 2

    asyncio.run(scenario())


def test_concurrent_asks_for_the_same_credentials_share_a_call() -> None:
    async def scenario() -> None:
        control = Control(b"Bearer hf_alice")
        control.gate.clear()
        access = SpaceAccess(control.ask, lambda: 0.0)
        tasks = [access.ask("a/s", ALICE) for _ in range(4)] + [access.ask("a/s", ALICE_TOO)]
        tasks.append(access.ask("a/s", BOB))
        control.gate.set()
        assert await asyncio.gather(*tasks) == [True] * 5 + [False]
        assert control.calls == 2
        assert await access.ask("a/s", ALICE) is True  # a new call once the last one ended
        assert control.calls == 3

    asyncio.run(scenario())


def test_the_cache_is_bounded() -> None:
    async def scenario() -> None:
        access = SpaceAccess(Control().ask, lambda: 0.0, max_entries=3)
        for i in range(3):
            await access.ask(f"a/s{i}", ALICE)
        assert access.decide("a/s0", ALICE) is False
        await access.ask("a/s3", ALICE)  # over the bound: starts over
        assert access.decide("a/s1", ALICE) is None and access.decide("a/s3", ALICE) is False
        assert access.decide("a/s0", ALICE) is False  # found once by its bytes: kept there
        for i in range(4, 7):
            await access.ask(f"a/s{i}", ALICE)
            access.decide(f"a/s{i}", ALICE)  # fills that index up too: it starts over
        assert access.decide("a/s0", ALICE) is None

    asyncio.run(scenario())
