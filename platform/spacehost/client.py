"""The HTTP client of the control-plane API, used by the CLI.

Errors come back as the same :mod:`spacehost.errors` classes the server raised (by their
``code``); a server that cannot be reached is :class:`ServerUnreachable`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote

import requests

from spacehost.domain import RepoKind, SpaceId
from spacehost.errors import ServerUnreachable, SpacehostError, error_class_for


class Client:
    """Talks to a spacehost server at *url* (``http://127.0.0.1:8000``)."""

    def __init__(self, url: str, token: str = "", timeout: float = 30.0):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._http = requests.Session()

    def _space_url(self, space: SpaceId, suffix: str = "") -> str:
        return f"{self.url}/api/spaces/{quote(space.owner)}/{quote(space.name)}{suffix}"

    def _request(
        self,
        method: str,
        url: str,
        *,
        stream: bool = False,
        timeout: float | None = None,
        **kw: Any,
    ) -> requests.Response:
        headers = kw.pop("headers", {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            resp = self._http.request(
                method, url, headers=headers, stream=stream, timeout=timeout or self.timeout, **kw
            )
        except requests.RequestException as exc:
            raise ServerUnreachable(
                f"cannot reach the spacehost server at {self.url} ({exc.__class__.__name__})",
                hint="start it with `spacehost up`, or point --server / SPACEHOST_URL at it",
            ) from exc
        if resp.status_code >= 400:
            raise _error_from(resp)
        return resp

    def _json(self, method: str, url: str, **kw: Any) -> Any:
        return self._request(method, url, **kw).json()

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self._json("GET", f"{self.url}/api/health")
        return result

    def push(self, space: SpaceId, archive: bytes) -> dict[str, Any]:
        """Upload a tar.gz of a space folder; the server builds and runs it in the background."""
        result: dict[str, Any] = self._json(
            "POST",
            self._space_url(space, "/push"),
            data=archive,
            timeout=300,
            headers={"Content-Type": "application/gzip"},
        )
        return result

    def gpus(self) -> dict[str, Any]:
        """The host's GPUs, the GPU spaces and the GPU broker's state (``GET /api/gpus``)."""
        result: dict[str, Any] = self._json("GET", f"{self.url}/api/gpus")
        return result

    def list_spaces(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._json("GET", f"{self.url}/api/spaces")
        return result

    def info(self, space: SpaceId) -> dict[str, Any]:
        result: dict[str, Any] = self._json("GET", self._space_url(space))
        return result

    def runtime(self, space: SpaceId) -> dict[str, Any]:
        result: dict[str, Any] = self._json("GET", self._space_url(space, "/runtime"))
        return result

    def logs(
        self, space: SpaceId, *, kind: str = "run", tail: int = 200, full: bool = False
    ) -> str:
        """The last *tail* lines; a build log is the concise one unless *full*."""
        params: dict[str, Any] = {"kind": kind, "tail": tail}
        if full:
            params["full"] = 1
        return self._request("GET", self._space_url(space, "/logs"), params=params).text

    def follow_logs(
        self,
        space: SpaceId,
        *,
        kind: str = "run",
        tail: int = 200,
        since_build: int | None = None,
        revision: str | None = None,
        read_timeout: float = 3600.0,
        full: bool = False,
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """Yield ``(event, data)`` pairs from the log stream: event ``"message"`` carries
        ``{"data": line, "timestamp": ...}``, event ``"stage"`` a stage change.

        With *since_build* (the ``sinceBuild`` of a push or restart) only the build after that
        one is followed (of *revision*, when given), ending with an event ``"build"``:
        ``{"id", "revision", "status", "error"}``. A build log is the concise one (steps,
        progress, the failing step's output) unless *full*.

        Raises:
            ServerUnreachable: also when the stream breaks off or stays silent for
                *read_timeout* seconds."""
        params: dict[str, Any] = {"kind": kind, "tail": tail, "follow": 1}
        if since_build is not None:
            params["since_build"] = since_build
        if revision:
            params["revision"] = revision
        if full:
            params["full"] = 1
        resp = self._request(
            "GET", self._space_url(space, "/logs"), stream=True, timeout=read_timeout, params=params
        )
        event = "message"
        with resp:
            try:
                for raw_bytes in resp.iter_lines():
                    raw = raw_bytes.decode("utf-8", "replace")
                    if raw.startswith("event:"):
                        event = raw[6:].strip()
                    elif raw.startswith("data:"):
                        yield event, json.loads(raw[5:].strip())
                        event = "message"
            except requests.RequestException as exc:
                raise ServerUnreachable(
                    f"the log stream from {self.url} stopped ({exc.__class__.__name__})",
                    hint="`spacehost info` shows where the space is now",
                ) from exc

    def restart(self, space: SpaceId, *, factory: bool = False) -> dict[str, Any]:
        result: dict[str, Any] = self._json(
            "POST", self._space_url(space, "/restart"), params={"factory": str(factory).lower()}
        )
        return result

    def pause(self, space: SpaceId) -> dict[str, Any]:
        """Stop *space* until an explicit restart; returns its runtime."""
        result: dict[str, Any] = self._json("POST", self._space_url(space, "/pause"))
        return result

    def set_sleeptime(self, space: SpaceId, seconds: int) -> dict[str, Any]:
        """Seconds idle before *space* sleeps (-1: never); returns its runtime."""
        result: dict[str, Any] = self._json(
            "POST", self._space_url(space, "/sleeptime"), json={"seconds": seconds}
        )
        return result

    def config(self, space: SpaceId, kind: str) -> dict[str, Any]:
        """``kind`` "variables" or "secrets": ``{KEY: {...}}`` (secrets without values)."""
        result: dict[str, Any] = self._json("GET", self._space_url(space, f"/{kind}"))
        return result

    def set_config(
        self, space: SpaceId, kind: str, key: str, value: str, description: str | None = None
    ) -> dict[str, Any]:
        """Set a variable or secret (*kind* "variables" or "secrets")."""
        body: dict[str, Any] = {"key": key, "value": value}
        if description is not None:
            body["description"] = description
        result: dict[str, Any] = self._json("POST", self._space_url(space, f"/{kind}"), json=body)
        return result

    def delete_config(self, space: SpaceId, kind: str, key: str) -> dict[str, Any]:
        result: dict[str, Any] = self._json(
            "DELETE", self._space_url(space, f"/{kind}"), json={"key": key}
        )
        return result

    def duplicate(self, source: SpaceId, target: SpaceId) -> dict[str, Any]:
        """Copy *source* (files and variables) to the new space *target* and deploy it."""
        result: dict[str, Any] = self._json(
            "POST", self._space_url(source, "/duplicate"), json={"to": str(target)}, timeout=300
        )
        return result

    def delete(self, space: SpaceId) -> dict[str, Any]:
        result: dict[str, Any] = self._json("DELETE", self._space_url(space), timeout=120)
        return result

    # -- the model and dataset hub (docs/hub.md) -----------------------------------------------

    def _repo_url(self, kind: RepoKind, repo_id: str, suffix: str = "") -> str:
        return f"{self.url}/api/{kind.plural}/{quote(repo_id)}{suffix}"

    def hub_summary(self) -> dict[str, Any]:
        """``{"models": n, "datasets": n, "maxUploadBytes": n}``."""
        result: dict[str, Any] = self._json("GET", f"{self.url}/api/hub")
        return result

    def hub_push(
        self, kind: RepoKind, repo_id: str, tar: Iterable[bytes], *, message: str = ""
    ) -> dict[str, Any]:
        """Upload an uncompressed tar of a repo's files, streamed from *tar* (an iterable of
        chunks; with ``len()`` it is sent with a Content-Length)."""
        result: dict[str, Any] = self._json(
            "POST",
            self._repo_url(kind, repo_id, "/push"),
            data=tar,
            timeout=3600,
            params={"message": message},
            headers={"Content-Type": "application/x-tar"},
        )
        return result

    def hub_list(self, kind: RepoKind) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._json(
            "GET",
            f"{self.url}/api/{kind.plural}",
            params={"full": "true", "sort": "id", "direction": "1"},
        )
        return result

    def hub_info(self, kind: RepoKind, repo_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._json("GET", self._repo_url(kind, repo_id))
        return result

    def hub_delete(self, kind: RepoKind, repo_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._json("DELETE", self._repo_url(kind, repo_id), timeout=300)
        return result


def _error_from(resp: requests.Response) -> SpacehostError:
    try:
        err = resp.json()["error"]
        cls = error_class_for(str(err.get("code", "")))
        return cls(
            str(err.get("message", resp.reason)),
            hint=str(err.get("hint", "")),
            details=err.get("details") or {},
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return SpacehostError(
            f"server answered {resp.status_code} {resp.reason}",
            hint="is --server pointing at a spacehost server?",
        )
