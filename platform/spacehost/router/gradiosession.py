"""Which Gradio session a request names, for keeping it on its replica. Pure: strings in.

Gradio keeps a session's queue, state and files in the process that serves it, so every request
of one session must reach the same replica (docs/cluster.md#replicas-and-gradio-sessions).
These are the requests of Gradio 4, 5 and 6 (and gradio_client 1 and 2) that carry a session,
matched by the end of the path so that both the ``/gradio_api`` prefix of Gradio 5+ and the
bare paths of Gradio 4 (and an app mounted under a root path) are found:

| request | session |
|---|---|
| ``POST .../queue/join``, ``.../cancel``, ``.../component_server`` | ``session_hash`` in its body |
| ``GET .../queue/data?session_hash=H`` (any request with that query) | ``H`` |
| ``GET .../heartbeat/H`` | ``H`` |
| ``GET .../stream/H/{run}/{component}/...`` (HLS output streams) | ``H`` |
| ``POST .../upload?upload_id=U``, ``GET .../upload_progress?upload_id=U`` | ``upload:U`` |

Gradio's REST API and streaming inputs name an *event* instead, which a queue join or a
``POST .../call/{api}`` answered with (``{"event_id": E}``, :func:`answers_event`,
:func:`answer_event`); the router remembers which replica answered it:

| request | key |
|---|---|
| ``GET .../call/{api}/E``, ``GET .../call/v2/{api}/E`` (the result stream) | ``event:E`` |
| ``POST .../stream/E``, ``POST .../stream/E/close`` (streaming inputs) | ``event:E`` |

Keys longer than :data:`MAX_KEY` are ignored (a request naming one gets the default choice), so
one remembered session costs a bounded amount of memory.

Two more things say where a request goes when it names no session: the router's own affinity
cookie (:data:`AFFINITY_COOKIE`: a browser's page, uploads, files and new sessions all stay on
one replica), and, for a file Gradio serves (``.../file=PATH``), which replica has it
(:func:`is_file_request`: the router asks each in turn).
"""

from __future__ import annotations

import json
from urllib.parse import unquote_plus

MAX_KEY = 128
# the router's cookie naming a browser's replica (``spacehost_`` names are the platform's: a
# space cannot set or shadow it, router/headers.py)
AFFINITY_COOKIE = b"spacehost_replica"
# the body is read for a session only this far (bytes); a bigger one gets the default choice
PEEK_LIMIT = 64 * 1024
_BODY_ROUTES = (b"/queue/join", b"/cancel", b"/component_server", b"/component_server/")
_PATH_ROUTES = ("heartbeat",)
_UPLOADS = ("upload", "upload_progress")


def peeks_body(method: bytes, target: bytes) -> bool:
    """Whether the session of this request is in its JSON body (a POST to a body route).

    Args:
        method: the request method.
        target: the request-target as received (path and query).
    """
    if method != b"POST":
        return False
    path = target.partition(b"?")[0]
    return path.endswith(_BODY_ROUTES)


def target_session(target: str) -> str | None:
    """The session a request names in its path or query, if any.

    Args:
        target: the space-relative request-target (path and query).

    Returns:
        The session key, or None when the request names none (a page, config, an asset).
    """
    path, _, query = target.partition("?")
    parts = path.rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] in _PATH_ROUTES:
        return _key(parts[-1])
    stream = _stream_session(parts)
    if stream is not None:
        return _key(stream)
    if not query:
        return None
    if "session_hash=" in query:
        return _key(_query_value(query, "session_hash"))
    if "upload_id=" in query and parts[-1] in _UPLOADS:
        upload = _key(_query_value(query, "upload_id"))
        return "upload:" + upload if upload else None
    return None


def target_event(method: bytes, target: str) -> str | None:
    """The queue event a request names in its path (Gradio's REST API result stream, a
    streaming input), as a key: ``event:E``; None for any other request."""
    if "/call/" not in target and "/stream/" not in target:
        return None
    parts = target.partition("?")[0].rstrip("/").split("/")
    event = None
    if method == b"GET" and len(parts) >= 4 and "call" in (parts[-3], parts[-4]):
        call = parts[-3] == "call" or (parts[-4] == "call" and parts[-3] == "v2")
        event = parts[-1] if call else None
    elif method == b"POST" and len(parts) >= 3:
        if parts[-2] == "stream":
            event = parts[-1]
        elif parts[-3] == "stream" and parts[-1] == "close":
            event = parts[-2]
    key = _key(event) if event else None
    return "event:" + key if key else None


def answers_event(method: bytes, target: str) -> bool:
    """Whether the answer to this request names a new queue event (``{"event_id": E}``): a
    queue join, or a call of Gradio's REST API (``POST .../call/{api}``)."""
    if method != b"POST":
        return False
    path = target.partition("?")[0].rstrip("/")
    return path.endswith("/queue/join") or "/call/" in path


def answer_event(body: bytes | bytearray) -> str | None:
    """The event key of such an answer (``event:E``), or None when it names none."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    value = data.get("event_id") if isinstance(data, dict) else None
    key = _key(value) if isinstance(value, str) else None
    return "event:" + key if key else None


def body_session(body: bytes | bytearray) -> str | None:
    """The ``session_hash`` of a JSON request body; None when the body is not a JSON object
    with a string ``session_hash`` (a malformed body just gets the default choice)."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    value = data.get("session_hash")
    return _key(value) if isinstance(value, str) else None


def affinity_cookie(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The value of the router's affinity cookie in a request's ``Cookie`` headers, if any."""
    for name, value in headers:
        if name != b"cookie" or AFFINITY_COOKIE not in value:
            continue
        for pair in value.split(b";"):
            key, _, token = pair.strip().partition(b"=")
            if key == AFFINITY_COOKIE and 0 < len(token) <= MAX_KEY:
                return token.decode("latin-1")
    return None


def is_file_request(method: bytes, target: str) -> bool:
    """A ``GET``/``HEAD`` of a file Gradio serves (``.../file=PATH``): safe to ask one replica
    after another until one has it."""
    return method in (b"GET", b"HEAD") and ("/file=" in target or "/file/" in target)


def _stream_session(parts: list[str]) -> str | None:
    """``.../stream/{session}/{run}/{component}/{file}``: Gradio's HLS output streams (a POST to
    ``.../stream/{event_id}`` names an event, not a session)."""
    for i in range(len(parts) - 5, -1, -1):
        if parts[i] == "stream":
            return parts[i + 1]
    return None


def _query_value(query: str, name: str) -> str:
    """The first value of *name* in a query string (percent-decoded as a form would be);
    split by hand: ``parse_qsl`` costs a few µs on every event-stream request."""
    prefix = name + "="
    for part in query.split("&"):
        if part.startswith(prefix):
            value = part[len(prefix) :]
            return unquote_plus(value) if "%" in value or "+" in value else value
    return ""


def _key(value: str) -> str | None:
    return value if value and len(value) <= MAX_KEY else None
