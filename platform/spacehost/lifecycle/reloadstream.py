"""Gradio's reload stream: how the platform learns that a running app reloaded its files.

An app under Gradio's reload watcher (lifecycle/contract.py ``gradio_watch_env``) answers
``GET {api_prefix}/dev/reload`` with server-sent events: ``reload`` once it swapped in the new
code, ``error`` (with the traceback) when the new code failed and the old one serves on, and a
``heartbeat`` every 15 s.
"""

from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass

# Gradio >= 5 serves its routes under /gradio_api; Gradio 4 at the root
PATHS = ("/gradio_api/dev/reload", "/dev/reload")


@dataclass(frozen=True)
class ReloadEvent:
    """*kind*: ``reload``, ``error`` or ``timeout``; *detail*: the traceback of an error."""

    kind: str
    detail: str = ""


class ReloadStream:
    """An open reload stream of the app at *upstream* (``host:port``); None from
    :meth:`open` when the app offers none (not under the watcher, or behind a login)."""

    def __init__(self, conn: http.client.HTTPConnection, response: http.client.HTTPResponse):
        self._conn = conn
        self._response = response

    @classmethod
    def open(cls, upstream: str, timeout: float = 3.0) -> ReloadStream | None:
        host, _, port = upstream.rpartition(":")
        for path in PATHS:
            conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
            try:
                conn.request("GET", path, headers={"Accept": "text/event-stream"})
                response = conn.getresponse()
            except (OSError, http.client.HTTPException):
                conn.close()
                return None
            if response.status == 200:
                return cls(conn, response)
            conn.close()
        return None

    def wait(self, deadline_s: float) -> ReloadEvent:
        """The next ``reload`` or ``error`` event, or ``timeout`` after *deadline_s*."""
        end = time.monotonic() + deadline_s
        kind = ""
        while (left := end - time.monotonic()) > 0:
            if self._conn.sock is not None:
                self._conn.sock.settimeout(left)
            try:
                line = self._response.readline().decode("utf-8", "replace").rstrip("\r\n")
            except (OSError, http.client.HTTPException):
                break
            if line.startswith("event:"):
                kind = line.partition(":")[2].strip()
            elif line.startswith("data:") and kind in ("reload", "error"):
                return ReloadEvent(kind, _detail(line.partition(":")[2].strip()))
            elif not line and self._response.isclosed():
                break
        return ReloadEvent("timeout")

    def close(self) -> None:
        self._conn.close()


def _detail(data: str) -> str:
    try:
        value = json.loads(data)
    except ValueError:
        return data
    return value if isinstance(value, str) else ""
