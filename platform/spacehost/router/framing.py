"""Where a message body ends: the router's own decision, per RFC 9112 section 6.

The router never forwards a client's (or a space's) framing headers as they came: it decides the
body's framing here, from every ``Content-Length`` and ``Transfer-Encoding`` field, refuses what
two parsers could read two ways, and re-emits the one framing it decided on. ``httptools``
(llhttp) already refuses most malformed heads (obs-fold, bare CR or LF, control characters,
duplicate or non-numeric lengths, bad chunk sizes); the rules here are the ones it leaves to its
caller, checked as strictly as h11 does.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import NamedTuple

# More digits than any body the router could carry (h11 allows 20).
MAX_LENGTH_DIGITS = 18
_DIGITS = frozenset(b"0123456789")


class FramingError(ValueError):
    """The message's framing is ambiguous or invalid; the message must be refused."""


class Framing(NamedTuple):
    """How a body is delimited.

    Attributes:
        chunked: the body is chunked (``Transfer-Encoding: chunked``).
        length: the ``Content-Length``, or None when there is none.
    """

    chunked: bool
    length: int | None


NO_BODY = Framing(False, None)
CHUNKED = Framing(True, None)


def parse_length(values: Sequence[bytes]) -> int:
    """The one length that every ``Content-Length`` value (and list element) names.

    Raises:
        FramingError: a value is not a plain decimal number, or two values differ.
    """
    lengths = {item.strip(b" \t") for value in values for item in value.split(b",")}
    if len(lengths) != 1:
        raise FramingError("conflicting Content-Length values")
    length = lengths.pop()
    if not length or len(length) > MAX_LENGTH_DIGITS or not set(length) <= _DIGITS:
        raise FramingError("Content-Length is not a plain decimal number")
    return int(length)


def _is_chunked(te_values: Sequence[bytes]) -> bool:
    """Whether the ``Transfer-Encoding`` fields say exactly ``chunked`` (the only coding the
    router can re-frame without changing the body)."""
    return len(te_values) == 1 and te_values[0].strip(b" \t").lower() == b"chunked"


class BodyKind(Enum):
    """How the router reads a response body from the upstream."""

    NONE = "none"  # no body: HEAD, 1xx, 101, 204, 304
    LENGTH = "length"  # exactly ``Content-Length`` bytes
    CHUNKED = "chunked"  # chunked, until the last chunk
    UNTIL_CLOSE = "until-close"  # everything until the upstream closes the connection


class ResponseBody(NamedTuple):
    """The router's decision about a (final) response's body.

    Attributes:
        kind: how the body is read (:class:`BodyKind`).
        length: the ``Content-Length`` the response head announces, or None: also set where the
            body is :attr:`BodyKind.NONE` but the head still names its length (HEAD, 304).
        announced: the upstream declared a body (chunked, or a non-zero length), whatever the
            request method and status (a HEAD answer that announces a body it could still send).
    """

    kind: BodyKind
    length: int | None
    announced: bool


_NO_BODY_STATUSES = frozenset({101, 204, 304})
_NO_LENGTH_STATUSES = frozenset({101, 204})


def response_body(
    method: bytes, status: int, headers: Sequence[tuple[bytes, bytes]]
) -> ResponseBody:
    """How the body of the response to a *method* request, with *status* and *headers*, is
    framed (RFC 9112 section 6.3): a pure decision, nothing read or sent.

    Args:
        method: the request method, e.g. ``b"HEAD"``.
        status: the response status (a final one, or 101).
        headers: the response's ``(lower-case name, value)`` pairs.

    Returns:
        The decision; 101 and 204 never announce a length, HEAD, 1xx, 101, 204 and 304 never
        have a body.

    Raises:
        FramingError: the response's framing is invalid or ambiguous (see
            :func:`response_framing`): the router answers 502.
    """
    lengths = [v for n, v in headers if n == b"content-length"]
    codings = [v for n, v in headers if n == b"transfer-encoding"]
    declared = response_framing(lengths, codings) if lengths or codings else NO_BODY
    announced = declared.chunked or bool(declared.length)
    length = None if status in _NO_LENGTH_STATUSES else declared.length
    if method == b"HEAD" or status < 200 or status in _NO_BODY_STATUSES:
        return ResponseBody(BodyKind.NONE, length, announced)
    if length is not None:
        return ResponseBody(BodyKind.LENGTH, length, announced)
    kind = BodyKind.CHUNKED if declared.chunked else BodyKind.UNTIL_CLOSE
    return ResponseBody(kind, None, announced)


def request_framing(
    lengths: Sequence[bytes], codings: Sequence[bytes], *, http_11: bool
) -> Framing:
    """The framing of a request body (RFC 9112 section 6.3).

    Args:
        lengths: the values of every ``Content-Length`` field, in order.
        codings: the values of every ``Transfer-Encoding`` field, in order.
        http_11: the request is HTTP/1.1 (HTTP/1.0 has no transfer codings).

    Returns:
        The framing; :data:`NO_BODY` for a request with neither field.

    Raises:
        FramingError: both fields, a transfer coding other than exactly ``chunked``, chunked in
            HTTP/1.0, or a bad or conflicting length.
    """
    if codings:
        if lengths:
            raise FramingError("both Content-Length and Transfer-Encoding are present")
        if not http_11:
            raise FramingError("Transfer-Encoding is not allowed in an HTTP/1.0 request")
        if not _is_chunked(codings):
            raise FramingError("Transfer-Encoding must be exactly 'chunked'")
        return CHUNKED
    if lengths:
        return Framing(False, parse_length(lengths))
    return NO_BODY


def response_framing(lengths: Sequence[bytes], codings: Sequence[bytes]) -> Framing:
    """The framing of a response body as the upstream declared it.

    Args:
        lengths: the values of every ``Content-Length`` field.
        codings: the values of every ``Transfer-Encoding`` field.

    Returns:
        The framing; :data:`NO_BODY` (read until close, or none for HEAD, 1xx, 204, 304).

    Raises:
        FramingError: both fields, a coding other than exactly ``chunked``, or a bad length.
    """
    if codings:
        if lengths or not _is_chunked(codings):
            raise FramingError("ambiguous response framing (Transfer-Encoding)")
        return CHUNKED
    if lengths:
        return Framing(False, parse_length(lengths))
    return NO_BODY
