"""HTTP/1.1 heads the proxy sends on: hop-by-hop stripping, forwarding headers, space headers.

Pure functions over ``(lower-case name, value)`` byte pairs, as the connection code collects them
from ``httptools``; they return the encoded head. Header names go out in lower case, which
HTTP/1.1 allows (names are case-insensitive) and HTTP/2 requires.

Framing is the router's own (:mod:`spacehost.router.framing`): every ``Content-Length``,
``Transfer-Encoding`` and ``Host`` that came in is dropped and the router writes the one it
decided on, after everything else, so neither a ``Connection`` list nor a duplicate can change
where a forwarded message ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from spacehost import handoff, headernames
from spacehost.router.framing import Framing
from spacehost.router.table import RouteEntry, is_token, safe_header_value
from spacehost.spaceaccess import (
    has_platform_cookie,
    is_platform_authorization,
    strip_platform_cookies,
)

Headers = Sequence[tuple[bytes, bytes]]

# RFC 9110 section 7.6.1: meaningful for one connection only, so never forwarded as they came.
# Transfer-Encoding is re-framed by the proxy; Upgrade is re-added when the request upgrades.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
SPACE_HEADER = headernames.wire_name(headernames.SPACE)
_PROTO_HEADER = headernames.wire_name(headernames.FORWARDED_PROTO)
# Set by the router alone: a client must not be able to claim another address, host or prefix,
# nor to name a space to the control plane.
FORWARDING = frozenset(
    {
        b"x-forwarded-for",
        b"x-forwarded-host",
        _PROTO_HEADER,
        b"x-forwarded-prefix",
        b"x-real-ip",
        SPACE_HEADER,
        handoff.REQUEST_HEADER.lower().encode(),
    }
)
# Framing and routing fields: never copied, always written by the router itself, and never
# removable through a Connection list.
FRAMING = frozenset({b"content-length", b"transfer-encoding", b"host"})
_REQUEST_DROP = HOP_BY_HOP | FORWARDING | FRAMING
# The platform's credentials never reach a space (spacehost.spaceaccess): X-HF-Authorization
# always, Authorization when it carries a platform token, the platform's cookies from Cookie.
# Requests to the control plane keep them (it reads them).
CREDENTIALS = frozenset({b"authorization", b"x-hf-authorization", b"cookie"})
_SPACE_REQUEST_DROP = _REQUEST_DROP | CREDENTIALS
# Meant for the router alone (spacehost.handoff): never passed on to a client.
FILE_HEADER = handoff.FILE_HEADER.lower().encode()
_HANDOFF_LINE = f"{handoff.REQUEST_HEADER.lower()}: {handoff.REQUEST_VALUE}\r\n".encode()
_RESPONSE_DROP = HOP_BY_HOP | {FILE_HEADER, b"content-length"}
_SET_COOKIE = b"set-cookie"
# Connection values that name no other header: nothing more to remove.
_PLAIN_CONNECTION = frozenset({b"keep-alive", b"close", b"upgrade"})


def connection_tokens(headers: Headers) -> frozenset[bytes]:
    """The lower-case header names listed in the ``Connection`` headers of *headers*."""
    tokens: set[bytes] = set()
    for name, value in headers:
        if name == b"connection":
            tokens.update(t.strip().lower() for t in value.split(b","))
    tokens.discard(b"")
    return frozenset(tokens)


class Forwarding(NamedTuple):
    """What the router tells the upstream about the original request.

    Attributes:
        client_ip: the peer address of the client ("" for a Unix socket client).
        host: the value for ``X-Forwarded-Host`` (see :func:`forwarded_host`).
        proto: ``http`` or ``https``.
        prefix: the stripped path prefix (``X-Forwarded-Prefix``), "" for none.
        space: ``owner/name`` for ``X-Spacehost-Space`` (control plane only), or None.
        handoff: ask the upstream (the control plane) to hand files off (spacehost.handoff).
    """

    client_ip: str
    host: str
    proto: str
    prefix: str = ""
    space: str | None = None
    handoff: bool = False


def forwarded_host(host: str, prefix: str, sdk: str) -> str:
    """The ``X-Forwarded-Host`` value for a request to a space.

    Gradio (6.x, ``route_utils.get_request_origin``) builds its public root URL as
    ``http://{x-forwarded-host}`` verbatim and ignores ``X-Forwarded-Prefix``; with the plain host
    a path-routed Gradio app would tell the browser and ``gradio_client`` to call
    ``http://host/gradio_api/...``, which is not the space. So for a path route to a Gradio space
    the prefix is appended to the host; every other case gets the plain host.

    Args:
        host: the request's ``Host`` value.
        prefix: the stripped ``/spaces/{owner}/{name}`` prefix, or "".
        sdk: the space's sdk.

    Returns:
        The header value.
    """
    if prefix and sdk == "gradio":
        return host + prefix
    return host


def request_head(
    method: bytes,
    target: bytes,
    headers: Headers,
    fwd: Forwarding,
    *,
    framing: Framing,
    upgrade: bool,
    host: bytes,
    keep_credentials: bool = False,
) -> bytes:
    """The head of the request sent to the upstream.

    Args:
        method: the request method.
        target: the request-target for the upstream (prefix already stripped).
        headers: the client's headers, names in lower case.
        fwd: forwarding facts to add.
        framing: the body's framing as the router parsed it: re-emitted as
            ``Content-Length`` or ``Transfer-Encoding: chunked`` (the body is re-chunked).
        upgrade: the client asked to switch protocols; keep its ``Upgrade`` header.
        host: the ``Host`` to send: the request-target's authority for an absolute-form
            target, else the client's ``Host`` (a default when it sent none).
        keep_credentials: send the platform's credentials on (the control plane only); else
            they are removed (:func:`without_platform_credential`).

    Returns:
        The encoded head, ending with the blank line.
    """
    out = [b"%b %b HTTP/1.1\r\n" % (method, target)]
    append = out.append
    prior_for: list[bytes] = []
    upgrade_value = b""
    listed = False
    drop = _REQUEST_DROP if keep_credentials else _SPACE_REQUEST_DROP
    for name, value in headers:
        if name in drop or name[:6] == b"proxy-":
            if name == b"x-forwarded-for":
                prior_for.append(value)
            elif name == b"upgrade":
                upgrade_value = value
            elif name == b"connection" and value.lower() not in _PLAIN_CONNECTION:
                listed = True
            elif name in CREDENTIALS:
                value = without_platform_credential(name, value)
                if value:
                    append(name + b": " + value + b"\r\n")
            continue
        append(name + b": " + value + b"\r\n")
    if listed:
        out = _drop_listed(out, headers)
    out.append(b"host: " + host + b"\r\n")
    if upgrade and upgrade_value:
        out.append(b"connection: upgrade\r\nupgrade: " + upgrade_value + b"\r\n")
    out.append(framing_line(framing))
    out.append(_forwarding_lines(fwd, prior_for))
    out.append(b"\r\n")
    return b"".join(out)


# A browser sends the same Cookie value request after request: stripped once.
_STRIPPED_COOKIES: dict[bytes, bytes] = {}


def without_platform_credential(name: bytes, value: bytes) -> bytes:
    """What is left of a credential header for a space: b"" for ``X-HF-Authorization`` and a
    platform ``Authorization``, a ``Cookie`` without the platform's cookies (b"" when none is
    left), anything else unchanged (a space's own ``Authorization``, its own cookies)."""
    if name == b"cookie":
        if not has_platform_cookie(value):
            return value
        kept = _STRIPPED_COOKIES.get(value)
        if kept is None:
            if len(_STRIPPED_COOKIES) >= _FORWARDING_CACHE_MAX:
                _STRIPPED_COOKIES.clear()
            kept = _STRIPPED_COOKIES[value] = strip_platform_cookies(value)
        return kept
    if name == b"authorization":
        return b"" if is_platform_authorization(value) else value
    return b""


def framing_line(framing: Framing) -> bytes:
    """The one framing header line for *framing* (b"" for no body)."""
    if framing.chunked:
        return b"transfer-encoding: chunked\r\n"
    if framing.length is not None:
        return b"content-length: %d\r\n" % framing.length
    return b""


def _drop_listed(out: list[bytes], headers: Headers) -> list[bytes]:
    """Remove from *out* (the start line, then one ``name: value`` line per header) the headers
    that ``Connection`` lists; the common tokens (keep-alive, close, upgrade) were already
    dropped, and framing fields are never removed (they are written after this)."""
    tokens = connection_tokens(headers) - HOP_BY_HOP - FRAMING
    if not tokens:
        return out
    return out[:1] + [line for line in out[1:] if line.partition(b":")[0] not in tokens]


_FORWARDING_CACHE: dict[Forwarding, bytes] = {}
_FORWARDING_CACHE_MAX = 4096


def _forwarding_lines(fwd: Forwarding, prior_for: list[bytes]) -> bytes:
    # The same few (client, host, prefix) combinations repeat request after request.
    if prior_for:
        return _encode_forwarding(fwd, prior_for)
    lines = _FORWARDING_CACHE.get(fwd)
    if lines is None:
        if len(_FORWARDING_CACHE) >= _FORWARDING_CACHE_MAX:
            _FORWARDING_CACHE.clear()
        lines = _FORWARDING_CACHE[fwd] = _encode_forwarding(fwd, prior_for)
    return lines


def _encode_forwarding(fwd: Forwarding, prior_for: list[bytes]) -> bytes:
    client = fwd.client_ip.encode("latin-1")
    chain = b", ".join([*prior_for, client]) if client else b", ".join(prior_for)
    lines = [
        b"x-forwarded-for: " + chain + b"\r\n" if chain else b"",
        b"x-real-ip: " + client + b"\r\n" if client else b"",
        b"x-forwarded-host: " + fwd.host.encode("latin-1") + b"\r\n" if fwd.host else b"",
        _PROTO_HEADER + b": " + fwd.proto.encode("latin-1") + b"\r\n",
        b"x-forwarded-prefix: " + fwd.prefix.encode("latin-1") + b"\r\n" if fwd.prefix else b"",
        SPACE_HEADER + b": " + fwd.space.encode("latin-1") + b"\r\n" if fwd.space else b"",
        _HANDOFF_LINE if fwd.handoff else b"",
    ]
    return b"".join(lines)


@dataclass(frozen=True, slots=True)
class SpaceHeaders:
    """The response headers a space's entry imposes, compiled once per route table load.

    Attributes:
        drop: lower-case names removed from the upstream's response: the hop-by-hop ones,
            ``X-Frame-Options`` (which would fight the CSP) and every header the entry sets.
        extra: encoded header lines added to every response of the space.
        cookies: the upstream's ``Set-Cookie`` headers pass, except those naming a platform
            cookie (``set-cookie`` is then in *drop* and filtered one by one); False where the
            entry sets its own (then the upstream's are all dropped) and for the control plane,
            whose cookies pass whole (:data:`NO_SPACE_HEADERS`).
    """

    drop: frozenset[bytes]
    extra: bytes
    cookies: bool = False


NO_SPACE_HEADERS = SpaceHeaders(_RESPONSE_DROP, b"")
# Names a space's entry cannot set: the router's framing and the connection's own.
_UNSETTABLE = frozenset(n.decode() for n in HOP_BY_HOP | FRAMING)
# The CORS answers of a space that must not be embedded.
NO_EMBED_DROP = frozenset(
    {
        b"access-control-allow-origin",
        b"access-control-allow-credentials",
        b"access-control-allow-headers",
        b"access-control-allow-methods",
        b"access-control-expose-headers",
    }
)


def space_headers(entry: RouteEntry) -> SpaceHeaders:
    """Compile the response headers of *entry*.

    ``Content-Security-Policy: frame-ancestors ...`` (``*`` by default, so the gallery and other
    sites may embed the space, as on Hugging Face) replaces ``X-Frame-Options``; with
    ``'none'`` (``disable_embedding``) the upstream's CORS headers are dropped too; the entry's own
    headers (e.g. ``cross-origin-opener-policy``) override the upstream's of the same name.
    Values that are unsafe in a head (control characters) are left out.

    Args:
        entry: the route entry.

    Returns:
        The compiled :class:`SpaceHeaders`.
    """
    ancestors = entry.frame_ancestors or "*"
    if not safe_header_value(ancestors):
        ancestors = "*"
    lines = [f"content-security-policy: frame-ancestors {ancestors}\r\n"]
    drop = {b"x-frame-options"}
    if ancestors == "'none'":
        # disable_embedding: the <gradio-app> web component fetches the app from the embedding
        # page's origin, and Gradio allows any origin on a non-localhost host; without these
        # the browser refuses those fetches (docs/embedding.md). Same-origin use is unaffected.
        drop |= NO_EMBED_DROP
    for name, value in entry.headers.items():
        if is_token(name) and safe_header_value(value) and name.lower() not in _UNSETTABLE:
            lines.append(f"{name.lower()}: {value}\r\n")
            drop.add(name.lower().encode("latin-1"))
    cookies = _SET_COOKIE not in drop
    drop.add(_SET_COOKIE)
    extra = "".join(lines).encode("latin-1")
    return SpaceHeaders(frozenset(drop) | _RESPONSE_DROP, extra, cookies)


def sets_platform_cookie(value: bytes) -> bool:
    """True when a ``Set-Cookie`` value names one of the platform's cookies (any prefix or
    case): a space may not set, replace or shadow them, on its own host or, with ``Domain``, on
    the platform's and every other space's (cookie tossing)."""
    return b"spacehost_" in value.partition(b"=")[0].lower()


def response_head(
    status: int,
    reason: bytes,
    headers: Headers,
    space: SpaceHeaders,
    *,
    chunked: bool,
    connection: bytes,
    upgrade: bool = False,
    length: int | None = None,
) -> bytes:
    """The head of the response sent to the client.

    The upstream's ``Content-Length`` and ``Transfer-Encoding`` are never copied: the router
    writes *length* or chunked, as it frames the body it sends.

    Args:
        status: the upstream's status code.
        reason: the upstream's reason phrase.
        headers: the upstream's headers, names in lower case.
        space: the space's compiled headers (:data:`NO_SPACE_HEADERS` for the control plane).
        chunked: the body is re-framed as chunked.
        length: the ``Content-Length`` to send (None: none).
        connection: the ``Connection`` value to send (``close``, ``keep-alive``) or b"".
        upgrade: this is a 101 switching protocols; keep ``Upgrade``.

    Returns:
        The encoded head, ending with the blank line.
    """
    drop = space.drop
    out = [b"HTTP/1.1 %d %b\r\n" % (status, reason or b"-")]
    append = out.append
    upgrade_value = b""
    listed = False
    for name, value in headers:
        if name in drop or name[:6] == b"proxy-":
            if name == b"upgrade":
                upgrade_value = value
            elif name == b"connection" and value.lower() not in _PLAIN_CONNECTION:
                listed = True
            elif name == _SET_COOKIE and space.cookies and not sets_platform_cookie(value):
                append(name + b": " + value + b"\r\n")
            continue
        append(name + b": " + value + b"\r\n")
    if listed:
        out = _drop_listed(out, headers)
    out.append(space.extra)
    if upgrade:
        out.append(b"connection: upgrade\r\nupgrade: " + upgrade_value + b"\r\n")
    elif connection:
        out.append(b"connection: " + connection + b"\r\n")
    out.append(framing_line(Framing(chunked, length)))
    out.append(b"\r\n")
    return b"".join(out)
