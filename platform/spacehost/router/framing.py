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
