"""Heads the proxy sends: hop-by-hop stripping, forwarding headers, space response headers."""

from __future__ import annotations

import base64
import contextlib

import httptools
import pytest

from spacehost.router.framing import CHUNKED, NO_BODY, Framing
from spacehost.router.headers import (
    HOP_BY_HOP,
    NO_SPACE_HEADERS,
    Forwarding,
    connection_tokens,
    forwarded_host,
    request_head,
    response_head,
    space_headers,
)
from spacehost.router.table import RouteEntry

Pairs = list[tuple[bytes, bytes]]


def h(*lines: str) -> Pairs:
    """Header pairs as the connection code collects them (names lower-cased)."""
    out = []
    for line in lines:
        name, _, value = line.partition(":")
        out.append((name.strip().lower().encode(), value.strip().encode()))
    return out


class _Collect:
    def __init__(self) -> None:
        self.url = b""
        self.headers: Pairs = []
        self.complete = False

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.complete = True


def parse_request(head: bytes) -> tuple[bytes, bytes, Pairs]:
    """Parse *head* with httptools, which also proves it is well-formed HTTP/1.1."""
    sink = _Collect()
    parser = httptools.HttpRequestParser(sink)
    with contextlib.suppress(httptools.HttpParserUpgrade):
        parser.feed_data(head)
    assert sink.complete
    return parser.get_method(), sink.url, sink.headers


def parse_response(head: bytes) -> tuple[int, Pairs]:
    sink = _Collect()
    parser = httptools.HttpResponseParser(sink)
    with contextlib.suppress(httptools.HttpParserUpgrade):
        parser.feed_data(head)
    assert sink.complete
    return parser.get_status_code(), sink.headers


def names(pairs: Pairs) -> list[bytes]:
    return [n.lower() for n, _ in pairs]


def value(pairs: Pairs, name: bytes) -> bytes | None:
    found = [v for n, v in pairs if n.lower() == name]
    assert len(found) <= 1, f"{name!r} appears {len(found)} times"
    return found[0] if found else None


FWD = Forwarding("10.0.0.7", "example.org", "http")


def build(headers: Pairs, fwd: Forwarding = FWD, **kw: object) -> tuple[bytes, bytes, Pairs]:
    # the exchange passes the client's Host (or the target's authority), else a default
    host = next((v for n, v in headers if n == b"host"), b"up:1")
    opts: dict[str, object] = {"framing": NO_BODY, "upgrade": False, "host": host}
    opts.update(kw)
    head = request_head(b"GET", b"/a?b=1", headers, fwd, **opts)  # type: ignore[arg-type]
    return parse_request(head)


def test_connection_tokens() -> None:
    pairs = h("Connection: keep-alive, X-Secret", "connection: Upgrade", "X-Other: 1")
    assert connection_tokens(pairs) == {b"keep-alive", b"x-secret", b"upgrade"}
    assert connection_tokens(h("Connection: ,")) == frozenset()


def test_request_head_keeps_end_to_end_headers_and_the_target() -> None:
    method, url, pairs = build(h("Host: example.org", "Accept: */*", "Cookie: a=1", "X-App: 2"))
    assert method == b"GET"
    assert url == b"/a?b=1"
    assert value(pairs, b"host") == b"example.org"
    assert value(pairs, b"accept") == b"*/*"
    assert value(pairs, b"cookie") == b"a=1"
    assert value(pairs, b"x-app") == b"2"


def test_request_head_to_a_space_drops_the_platforms_credentials() -> None:
    basic = "Basic " + base64.b64encode(b"alice:hf_tok1").decode()
    platform = h(
        "Host: example.org",
        "Authorization: Bearer hf_tok1",
        "X-HF-Authorization: Bearer hf_tok1",
        "Cookie: a=1; spacehost_session=s; b=2",
        "Cookie: spacehost_space=p; spacehost_csrf=c",
    )
    _, _, pairs = build(platform)
    assert names(pairs).count(b"cookie") == 1
    assert value(pairs, b"cookie") == b"a=1; b=2"
    assert value(pairs, b"authorization") is None
    assert value(pairs, b"x-hf-authorization") is None
    for auth in (basic, "bearer sh_operator"):
        _, _, pairs = build(h("Host: example.org", f"Authorization: {auth}"))
        assert value(pairs, b"authorization") is None, auth
    # the space's own credentials pass unchanged
    for auth in ("Bearer abc", "Basic " + base64.b64encode(b"u:pw").decode(), "Digest x"):
        _, _, pairs = build(h("Host: example.org", f"Authorization: {auth}", "Cookie: t=1"))
        assert value(pairs, b"authorization") == auth.encode(), auth
        assert value(pairs, b"cookie") == b"t=1"


def test_request_head_to_the_control_plane_keeps_the_credentials() -> None:
    sent = h("Host: example.org", "Authorization: Bearer hf_t", "X-HF-Authorization: hf_t")
    sent += h("Cookie: spacehost_session=s")
    _, _, pairs = build(sent, keep_credentials=True)
    assert value(pairs, b"authorization") == b"Bearer hf_t"
    assert value(pairs, b"x-hf-authorization") == b"hf_t"
    assert value(pairs, b"cookie") == b"spacehost_session=s"


def test_request_head_strips_hop_by_hop() -> None:
    _, _, pairs = build(
        h(
            "Host: example.org",
            "Connection: keep-alive, X-Secret",
            "Keep-Alive: timeout=5",
            "X-Secret: do not forward",
            "Proxy-Authorization: Basic abc",
            "Proxy-Connection: keep-alive",
            "Proxy-Foo: 1",
            "TE: trailers",
            "Trailer: X-Check",
            "Upgrade: h2c",
            "X-Kept: yes",
        )
    )
    sent = names(pairs)
    for gone in (
        b"connection",
        b"keep-alive",
        b"x-secret",
        b"proxy-authorization",
        b"proxy-connection",
        b"proxy-foo",
        b"te",
        b"trailer",
        b"upgrade",
    ):
        assert gone not in sent
    assert value(pairs, b"x-kept") == b"yes"


def test_request_head_cannot_be_told_to_drop_host() -> None:
    _, _, pairs = build(h("Host: example.org", "Connection: host, x-a", "X-A: 1"))
    assert value(pairs, b"host") == b"example.org"
    assert b"x-a" not in names(pairs)


def test_request_head_reframes_chunked_bodies() -> None:
    _, _, pairs = build(h("Host: a", "Transfer-Encoding: ChunKed "), framing=CHUNKED)
    assert value(pairs, b"transfer-encoding") == b"chunked"
    _, _, pairs = build(h("Host: a", "Content-Length: 3"), framing=Framing(False, 3))
    assert value(pairs, b"content-length") == b"3"
    assert value(pairs, b"transfer-encoding") is None


def test_request_head_writes_the_routers_own_framing_whatever_the_client_sent() -> None:
    # the outsider's smuggling: a Connection list naming Content-Length, duplicates, a second
    # Host; the head carries exactly one Host and the one length the router parsed
    headers = h(
        "Host: a",
        "Connection: content-length, host, transfer-encoding",
        "Content-Length: 3",
        "Content-Length: 3, 3",
        "X-A: 1",
    )
    _, _, pairs = build(headers, framing=Framing(False, 3))
    assert value(pairs, b"content-length") == b"3"
    assert value(pairs, b"host") == b"a"
    assert value(pairs, b"transfer-encoding") is None
    _, _, pairs = build(h("Host: a", "Content-Length: 3"), framing=NO_BODY)
    assert value(pairs, b"content-length") is None


def test_request_head_sends_the_host_it_is_given() -> None:
    # an absolute-form target's authority replaces the client's Host (RFC 9112 3.2.2)
    _, _, pairs = build(h("Host: a.example"), host=b"b.example:8000")
    assert value(pairs, b"host") == b"b.example:8000"


def test_request_head_keeps_upgrade_when_upgrading() -> None:
    headers = h("Host: a", "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Key: k")
    _, _, pairs = build(headers, upgrade=True)
    assert value(pairs, b"connection") == b"upgrade"
    assert value(pairs, b"upgrade") == b"websocket"
    assert value(pairs, b"sec-websocket-key") == b"k"


def test_request_head_adds_host_for_http10_clients() -> None:
    _, _, pairs = build(h("Accept: */*"), host=b"127.0.0.1:5000")
    assert value(pairs, b"host") == b"127.0.0.1:5000"


def test_forwarding_headers_are_set_by_the_router_alone() -> None:
    spoofed = h(
        "Host: example.org",
        "X-Forwarded-For: 1.2.3.4",
        "X-Forwarded-For: 5.6.7.8",
        "X-Forwarded-Host: evil.example",
        "X-Forwarded-Proto: https",
        "X-Forwarded-Prefix: /admin",
        "X-Real-IP: 9.9.9.9",
        "X-Spacehost-Space: victim/space",
    )
    _, _, pairs = build(spoofed)
    # X-Forwarded-For is a chain: the client's claims are kept, the peer is appended.
    assert value(pairs, b"x-forwarded-for") == b"1.2.3.4, 5.6.7.8, 10.0.0.7"
    assert value(pairs, b"x-real-ip") == b"10.0.0.7"
    assert value(pairs, b"x-forwarded-host") == b"example.org"
    assert value(pairs, b"x-forwarded-proto") == b"http"
    assert value(pairs, b"x-forwarded-prefix") is None
    assert value(pairs, b"x-spacehost-space") is None


def test_forwarding_prefix_and_space() -> None:
    fwd = Forwarding("10.0.0.7", "example.org/spaces/a/b", "https", "/spaces/a/b", None)
    _, _, pairs = build(h("Host: example.org"), fwd)
    assert value(pairs, b"x-forwarded-prefix") == b"/spaces/a/b"
    assert value(pairs, b"x-forwarded-host") == b"example.org/spaces/a/b"
    assert value(pairs, b"x-forwarded-proto") == b"https"
    _, _, pairs = build(h("Host: x"), Forwarding("10.0.0.7", "x", "http", "", "carol/wip"))
    assert value(pairs, b"x-spacehost-space") == b"carol/wip"


def test_forwarding_without_a_client_address() -> None:
    _, _, pairs = build(h("Host: x"), Forwarding("", "x", "http"))
    assert value(pairs, b"x-forwarded-for") is None
    assert value(pairs, b"x-real-ip") is None


@pytest.mark.parametrize(
    ("prefix", "sdk", "expected"),
    [
        ("/spaces/a/b", "gradio", "h.org:8000/spaces/a/b"),  # Gradio ignores X-Forwarded-Prefix
        ("", "gradio", "h.org:8000"),
        ("/spaces/a/b", "docker", "h.org:8000"),
        ("/spaces/a/b", "static", "h.org:8000"),
    ],
)
def test_forwarded_host(prefix: str, sdk: str, expected: str) -> None:
    assert forwarded_host("h.org:8000", prefix, sdk) == expected


def test_space_headers() -> None:
    entry = RouteEntry(
        "a/b", "gradio", "RUNNING", headers={"Cross-Origin-Opener-Policy": "same-origin"}
    )
    compiled = space_headers(entry)
    assert compiled.extra == (
        b"content-security-policy: frame-ancestors *\r\ncross-origin-opener-policy: same-origin\r\n"
    )
    assert (
        compiled.drop
        == {
            b"x-frame-options",
            b"cross-origin-opener-policy",
            b"x-spacehost-file",
            b"content-length",
            b"set-cookie",  # filtered one by one (compiled.cookies)
        }
        | HOP_BY_HOP
    )
    assert compiled.cookies
    none = space_headers(RouteEntry("a/b", "gradio", "RUNNING", frame_ancestors="'none'"))
    assert none.extra == b"content-security-policy: frame-ancestors 'none'\r\n"


def test_space_headers_leave_out_unsafe_values() -> None:
    entry = RouteEntry(
        "a/b", "gradio", "RUNNING", frame_ancestors="*\r\nX: 1", headers={"x-a": "1\r\nX-B: 2"}
    )
    assert space_headers(entry).extra == b"content-security-policy: frame-ancestors *\r\n"


def test_space_headers_cannot_set_framing() -> None:
    entry = RouteEntry(
        "a/b",
        "gradio",
        "RUNNING",
        headers={"Content-Length": "0", "Transfer-Encoding": "chunked", "Connection": "close"},
    )
    assert space_headers(entry).extra == b"content-security-policy: frame-ancestors *\r\n"


def test_response_head_strips_hop_by_hop_and_keeps_the_rest() -> None:
    upstream = h(
        "Content-Type: text/plain",
        "Content-Length: 5",
        "Connection: keep-alive, X-Hop",
        "Keep-Alive: timeout=5",
        "X-Hop: 1",
        "Set-Cookie: a=1",
        "Set-Cookie: b=2",
        "Proxy-Authenticate: Basic",
        "Trailer: X-Sum",
    )
    head = response_head(
        200, b"OK", upstream, NO_SPACE_HEADERS, chunked=False, connection=b"", length=5
    )
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    status, pairs = parse_response(head)
    assert status == 200
    assert names(pairs) == [b"content-type", b"set-cookie", b"set-cookie", b"content-length"]


def test_response_head_writes_the_routers_own_length() -> None:
    upstream = h("Connection: content-length", "Content-Length: 5", "Content-Length: 5")
    head = response_head(
        200, b"OK", upstream, NO_SPACE_HEADERS, chunked=False, connection=b"", length=5
    )
    _, pairs = parse_response(head)
    assert value(pairs, b"content-length") == b"5"
    head = response_head(200, b"OK", upstream, NO_SPACE_HEADERS, chunked=True, connection=b"")
    _, pairs = parse_response(head)
    assert (value(pairs, b"content-length"), value(pairs, b"transfer-encoding")) == (
        None,
        b"chunked",
    )


def test_response_head_framing_and_connection() -> None:
    head = response_head(
        200,
        b"OK",
        h("Transfer-Encoding: chunked"),
        NO_SPACE_HEADERS,
        chunked=True,
        connection=b"close",
    )
    _, pairs = parse_response(head)
    assert value(pairs, b"transfer-encoding") == b"chunked"
    assert value(pairs, b"connection") == b"close"


def test_response_head_applies_space_headers() -> None:
    entry = RouteEntry("a/b", "gradio", "RUNNING", headers={"cross-origin-opener-policy": "x"})
    upstream = h("X-Frame-Options: DENY", "Cross-Origin-Opener-Policy: unsafe-none", "X-A: 1")
    head = response_head(200, b"OK", upstream, space_headers(entry), chunked=False, connection=b"")
    _, pairs = parse_response(head)
    assert value(pairs, b"x-frame-options") is None
    assert value(pairs, b"cross-origin-opener-policy") == b"x"
    assert value(pairs, b"content-security-policy") == b"frame-ancestors *"
    assert value(pairs, b"x-a") == b"1"


def test_a_space_cannot_set_the_platforms_cookies() -> None:
    upstream = h(
        "Set-Cookie: theme=dark; Path=/",
        "Set-Cookie: spacehost_session=forged; Domain=spaces.test; Path=/",
        "Set-Cookie: __Host-SpaceHost_Space=x; Path=/; Secure",
        "set-cookie: spacehost_csrf=1",
        "Set-Cookie: b=spacehost_session",  # a value, not a name: the space's own
    )
    entry = RouteEntry("a/b", "gradio", "RUNNING")
    head = response_head(200, b"OK", upstream, space_headers(entry), chunked=False, connection=b"")
    _, pairs = parse_response(head)
    assert [v for n, v in pairs if n == b"set-cookie"] == [
        b"theme=dark; Path=/",
        b"b=spacehost_session",
    ]
    # the control plane sets them (sign-in, the space's pass)
    head = response_head(200, b"OK", upstream, NO_SPACE_HEADERS, chunked=False, connection=b"")
    assert len([n for n, _ in parse_response(head)[1] if n == b"set-cookie"]) == 5
    # an entry that sets its own Set-Cookie replaces every one of the upstream's
    own = space_headers(RouteEntry("a/b", "gradio", "RUNNING", headers={"Set-Cookie": "e=1"}))
    head = response_head(200, b"OK", upstream, own, chunked=False, connection=b"")
    assert [v for n, v in parse_response(head)[1] if n == b"set-cookie"] == [b"e=1"]


def test_response_head_for_switching_protocols() -> None:
    upstream = h("Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: abc")
    head = response_head(
        101,
        b"Switching Protocols",
        upstream,
        NO_SPACE_HEADERS,
        chunked=False,
        connection=b"",
        upgrade=True,
    )
    status, pairs = parse_response(head)
    assert status == 101
    assert value(pairs, b"upgrade") == b"websocket"
    assert value(pairs, b"connection") == b"upgrade"
    assert value(pairs, b"sec-websocket-accept") == b"abc"


def test_response_head_without_reason() -> None:
    head = response_head(204, b"", [], NO_SPACE_HEADERS, chunked=False, connection=b"")
    assert head == b"HTTP/1.1 204 -\r\n\r\n"
