"""The router's own calls to the control plane over its Unix socket (a wake, an access check):
one short request on a fresh connection, answered by its status alone.

Requests the router *forwards* to the control plane go through the exchange and the pool; these
are the router asking on its own behalf, so they carry only the headers the caller gives.
"""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger("spacehost.router")

CALL_TIMEOUT_S = 10.0


async def control_status(
    socket_path: str,
    method: str,
    target: str,
    headers: bytes = b"",
    timeout: float = CALL_TIMEOUT_S,
) -> int:
    """Send ``{method} {target}`` to the control plane and return its status code.

    Args:
        socket_path: the control plane's Unix socket.
        method: the request method (``GET``, ``POST``).
        target: the request-target, already percent-encoded.
        headers: extra header lines, each ending with CRLF (values checked by the caller).
        timeout: seconds for the connection and for the status line, each.

    Returns:
        The status, or 0 when the control plane could not be reached or did not answer.
    """
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(socket_path), timeout)
    except (OSError, TimeoutError) as exc:
        log.warning("cannot reach the control plane for %s %s: %s", method, target, exc)
        return 0
    try:
        writer.write(
            f"{method} {target} HTTP/1.1\r\nhost: localhost\r\ncontent-length: 0\r\n"
            "connection: close\r\n".encode("latin-1")
            + headers
            + b"\r\n"
        )
        line = await asyncio.wait_for(reader.readline(), timeout)
        parts = line.split()
        return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    except (OSError, TimeoutError) as exc:
        log.warning("%s %s: no answer from the control plane: %s", method, target, exc)
        return 0
    finally:
        writer.close()
