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
from spacehost.errors import (
    Forbidden,
    NotFound,
    ServerUnreachable,
    SpacehostError,
    Unauthorized,
    error_class_for,
)
from spacehost.headernames import RESTARTING

TOKEN_HINT = "`spacehost login` stores one; `spacehost tokens create` makes one"


class Client:
    """Talks to a spacehost server at *url* (``http://127.0.0.1:8000``)."""

    def __init__(self, url: str, token: str = "", timeout: float = 30.0):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._http = requests.Session()
        self._csrf = ""  # the session's CSRF value after sign_in (writes must carry it)

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
        if self._csrf:
            headers["X-CSRF-Token"] = self._csrf
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

    def push(
        self, space: SpaceId, archive: bytes, *, private: bool = False, hot_reload: bool = False
    ) -> dict[str, Any]:
        """Upload a tar.gz of a space folder; the server builds and runs it in the background.
        *private* makes the space private (a push without it leaves the visibility as is);
        *hot_reload* asks for the code to be applied to the running Gradio app in place
        (``hotReload`` in the answer says whether it was)."""
        params = {"private": "1"} if private else {}
        if hot_reload:
            params["hot_reload"] = "1"
        result: dict[str, Any] = self._json(
            "POST",
            self._space_url(space, "/push"),
            data=archive,
            timeout=300,
            params=params or None,
            headers={"Content-Type": "application/gzip"},
        )
        return result

    def gpus(self) -> dict[str, Any]:
        """The host's GPUs, the GPU spaces and the GPU broker's state (``GET /api/gpus``)."""
        result: dict[str, Any] = self._json("GET", f"{self.url}/api/gpus")
        return result

    def nodes(self) -> dict[str, Any]:
        """The machines spaces run on and what runs on each (``GET /api/nodes``, admins)."""
        result: dict[str, Any] = self._json("GET", f"{self.url}/api/nodes")
        return result

    def set_node(self, node: str, action: str) -> dict[str, Any]:
        """``drain`` or ``activate`` *node* (its hostname or ID); the node as it is now."""
        quoted = quote(node, safe="")
        result: dict[str, Any] = self._json("POST", f"{self.url}/api/nodes/{quoted}/{action}")
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
        return self._config_change("POST", space, kind, body)

    def delete_config(self, space: SpaceId, kind: str, key: str) -> dict[str, Any]:
        """Remove a variable or secret (*kind* "variables" or "secrets")."""
        return self._config_change("DELETE", space, kind, {"key": key})

    def _config_change(
        self, method: str, space: SpaceId, kind: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """``{"restarting": bool}``: whether the change restarts the space (a header: the
        variables' answer is Hugging Face's whole list)."""
        resp = self._request(method, self._space_url(space, f"/{kind}"), json=body)
        return {"restarting": resp.headers.get(RESTARTING) == "1"}

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
        self,
        kind: RepoKind,
        repo_id: str,
        tar: Iterable[bytes],
        *,
        message: str = "",
        private: bool = False,
    ) -> dict[str, Any]:
        """Upload an uncompressed tar of a repo's files, streamed from *tar* (an iterable of
        chunks; with ``len()`` it is sent with a Content-Length); *private* makes it private."""
        params = {"message": message, **({"private": "1"} if private else {})}
        result: dict[str, Any] = self._json(
            "POST",
            self._repo_url(kind, repo_id, "/push"),
            data=tar,
            timeout=3600,
            params=params,
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

    def set_visibility(self, kind: str, repo_id: str, private: bool) -> dict[str, Any]:
        """Make a space, model or dataset (*kind*) private or public (``PUT .../settings``, as
        huggingface_hub's ``update_repo_settings``); ``{"id", "private"}``."""
        plural = "spaces" if kind == "space" else RepoKind(kind).plural
        visibility = "private" if private else "public"
        result: dict[str, Any] = self._json(
            "PUT", f"{self.url}/api/{plural}/{repo_id}/settings", json={"visibility": visibility}
        )
        return result

    # -- accounts (docs/accounts.md) -----------------------------------------------------------

    def whoami(self) -> dict[str, Any]:
        """``GET /api/whoami-v2`` (HF's shape: ``name``, ``orgs``, ``auth.accessToken``).

        Raises:
            Unauthorized: no token, or one the server does not know (revoked, mistyped)."""
        try:
            result: dict[str, Any] = self._json("GET", f"{self.url}/api/whoami-v2")
        except Unauthorized as exc:
            raise Unauthorized(
                f"{self.url} does not know this token (unknown, revoked or mistyped)"
                if self.token
                else f"no token for {self.url}",
                hint=TOKEN_HINT,
            ) from exc
        return result

    def sign_in(self, name: str, password: str) -> None:
        """Sign in as *name* with a password: this client then acts as that user (a session,
        its CSRF value sent with every write) until :meth:`sign_out`."""
        self.token = ""
        body = self._json(
            "POST", f"{self.url}/api/auth/sign-in", json={"name": name, "password": password}
        )
        self._csrf = str(body["csrf"])

    def sign_out(self) -> None:
        self._json("POST", f"{self.url}/api/auth/sign-out")
        self._csrf = ""

    def users(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._json("GET", f"{self.url}/api/users")
        return result

    def add_user(self, name: str, **fields: Any) -> dict[str, Any]:
        """A new user; *fields*: ``password``, ``email``, ``fullname``, ``admin`` (admins)."""
        result: dict[str, Any] = self._json(
            "POST", f"{self.url}/api/users", json={"name": name, **fields}
        )
        return result

    def update_user(self, name: str, **fields: Any) -> dict[str, Any]:
        """Set a user's ``password`` or ``admin`` flag."""
        result: dict[str, Any] = self._json(
            "PUT", f"{self.url}/api/users/{quote(name)}", json=fields
        )
        return result

    def remove_user(self, name: str) -> None:
        self._json("DELETE", f"{self.url}/api/users/{quote(name)}")

    def user(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self._json("GET", f"{self.url}/api/users/{quote(name)}")
        return result

    def orgs(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._json("GET", f"{self.url}/api/orgs")
        return result

    def create_org(self, name: str, fullname: str = "") -> dict[str, Any]:
        result: dict[str, Any] = self._json(
            "POST", f"{self.url}/api/orgs", json={"name": name, "fullname": fullname}
        )
        return result

    def members(self, org: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._json(
            "GET", f"{self.url}/api/orgs/{quote(org)}/members"
        )
        return result

    def set_member(self, org: str, user: str, role: str) -> dict[str, Any]:
        result: dict[str, Any] = self._json(
            "PUT", f"{self.url}/api/orgs/{quote(org)}/members/{quote(user)}", json={"role": role}
        )
        return result

    def remove_member(self, org: str, user: str) -> None:
        self._json("DELETE", f"{self.url}/api/orgs/{quote(org)}/members/{quote(user)}")

    def delete_org(self, org: str) -> None:
        self._json("DELETE", f"{self.url}/api/orgs/{quote(org)}")

    def tokens(self) -> list[dict[str, Any]]:
        """The caller's tokens (no values: their start only)."""
        result: list[dict[str, Any]] = self._json("GET", f"{self.url}/api/tokens")
        return result

    def create_token(self, name: str, role: str) -> dict[str, Any]:
        """A new token of the caller's; its value (``token``) is in this answer only."""
        result: dict[str, Any] = self._json(
            "POST", f"{self.url}/api/tokens", json={"name": name, "role": role}
        )
        return result

    def revoke_token(self, token_id: int) -> None:
        self._json("DELETE", f"{self.url}/api/tokens/{token_id}")

    def signup(self) -> str:
        """``closed``, ``open`` or ``invite``."""
        return str(self._json("GET", f"{self.url}/api/admin/signup")["signup"])

    def set_signup(self, mode: str) -> str:
        return str(
            self._json("PUT", f"{self.url}/api/admin/signup", json={"signup": mode})["signup"]
        )

    def create_invite(self) -> str:
        return str(self._json("POST", f"{self.url}/api/admin/invites")["invite"])


_BY_STATUS: dict[int, type[SpacehostError]] = {401: Unauthorized, 403: Forbidden, 404: NotFound}


def _error_from(resp: requests.Response) -> SpacehostError:
    """The error the server answered: by its ``error.code``; by its HTTP status when the body
    is not spacehost's (whoami-v2 answers 401 as Hugging Face does, ``{"error": "..."}``)."""
    try:
        err = resp.json()["error"]
        if isinstance(err, str) and resp.status_code in _BY_STATUS:
            return _BY_STATUS[resp.status_code](err, hint=TOKEN_HINT)
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
