"""Responses the router makes itself: gateway errors, redirects, bad requests. Pure.

JSON clients (``Accept`` preferring ``application/json``) get the platform's error shape
``{"error": {"code", "message", "hint"}}``; everyone else a small HTML page.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass

from spacehost.router.headers import NO_SPACE_HEADERS, SpaceHeaders

REASONS = {
    200: "OK",
    302: "Found",
    304: "Not Modified",
    308: "Permanent Redirect",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    431: "Request Header Fields Too Large",
    502: "Bad Gateway",
    504: "Gateway Timeout",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """A failure the router answers for itself.

    Attributes:
        status: the HTTP status.
        code: a stable machine-readable code (the API's ``error.code``).
        message: what went wrong.
        hint: what to do next.
    """

    status: int
    code: str
    message: str
    hint: str


def _media_q(accept: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in accept.split(","):
        media, *params = (p.strip() for p in item.split(";"))
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media:
            out[media.lower()] = max(q, out.get(media.lower(), 0.0))
    return out


def _best(q: dict[str, float], exact: str) -> tuple[float, int]:
    """(quality, specificity) of the most specific range in *q* that covers *exact*."""
    for media, specificity in ((exact, 2), (exact.split("/")[0] + "/*", 1), ("*/*", 0)):
        if media in q:
            return (q[media], specificity) if q[media] > 0 else (0.0, 0)
    return (0.0, 0)


def prefers_json(accept: str) -> bool:
    """True when an ``Accept`` header value ranks JSON above HTML.

    A range naming the type exactly outranks a wildcard of the same quality, so an API
    client's ``application/json, */*`` gets JSON and a browser's ``text/html, ..., */*`` HTML.

    Args:
        accept: the header value ("" when absent).

    Returns:
        Whether to answer with JSON.
    """
    if not accept:
        return False
    q = _media_q(accept)
    return _best(q, "application/json") > _best(q, "text/html")


def simple_response(
    status: int,
    body: bytes,
    content_type: str,
    *,
    close: bool,
    head_only: bool = False,
    extra: bytes = b"",
    space: SpaceHeaders = NO_SPACE_HEADERS,
) -> bytes:
    """A complete response (head and body) with a ``Content-Length``.

    Args:
        status: the status code.
        body: the body (not sent for HEAD, but counted in ``Content-Length``).
        content_type: the ``Content-Type`` value ("" for none).
        close: add ``Connection: close``.
        head_only: the request was HEAD.
        extra: encoded header lines to add.
        space: the space's compiled headers, for responses on a space's behalf.

    Returns:
        The encoded response.
    """
    reason = REASONS.get(status, "Unknown")
    lines = [f"HTTP/1.1 {status} {reason}\r\n".encode(), extra, space.extra]
    if content_type:
        lines.append(f"content-type: {content_type}\r\n".encode())
    lines.append(f"content-length: {len(body)}\r\n".encode())
    if close:
        lines.append(b"connection: close\r\n")
    lines.append(b"\r\n")
    if not head_only:
        lines.append(body)
    return b"".join(lines)


def problem_response(problem: Problem, *, accept: str, close: bool, head_only: bool) -> bytes:
    """The response for *problem*, as JSON or HTML depending on *accept*.

    Args:
        problem: what to report.
        accept: the request's ``Accept`` value.
        close: add ``Connection: close``.
        head_only: the request was HEAD.

    Returns:
        The encoded response.
    """
    if prefers_json(accept):
        error = {"code": problem.code, "message": problem.message, "hint": problem.hint}
        body = json.dumps({"error": error}).encode()
        ctype = "application/json"
    else:
        title = f"{problem.status} {REASONS.get(problem.status, '')}"
        body = (
            "<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>"
            f"<p>{html.escape(problem.message)}</p><p>{html.escape(problem.hint)}</p>"
            "</body></html>\n"
        ).encode()
        ctype = "text/html; charset=utf-8"
    # the router's own page, never a space's: no script, no loads, no sniffing (docs/security.md)
    extra = (
        b"cache-control: no-store\r\nx-content-type-options: nosniff\r\n"
        b"content-security-policy: default-src 'none'\r\n"
    )
    return simple_response(
        problem.status, body, ctype, close=close, head_only=head_only, extra=extra
    )


def redirect_response(
    location: str, *, close: bool, head_only: bool, status: int = 308, extra: bytes = b""
) -> bytes:
    """A redirect to *location* (already a safe, percent-encoded URL or path).

    Args:
        location: the ``Location`` value.
        close: add ``Connection: close``.
        head_only: the request was HEAD.
        status: 308 (permanent, the default) or 302 (this once).
        extra: more encoded header lines.

    Returns:
        The encoded response.
    """
    lines = b"location: " + location.encode("latin-1") + b"\r\n" + extra
    return simple_response(status, b"", "", close=close, head_only=head_only, extra=lines)


BAD_REQUEST = Problem(
    400, "invalid_request", "The request is not valid HTTP/1.1.", "Fix the client."
)
HEADERS_TOO_LARGE = Problem(
    431, "invalid_request", "The request head is too large.", "Send fewer or smaller headers."
)
