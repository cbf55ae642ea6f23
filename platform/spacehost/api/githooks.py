"""git's pre-receive and post-receive hooks, and the control-plane call they make
(docs/git.md).

Every push through :mod:`spacehost.api.githttp` runs git http-backend with ``core.hooksPath``
at the hooks written here (under the git root, at startup). A hook reads git's ref updates from
stdin and posts them, with ``GIT_QUARANTINE_PATH``, to ``POST /api/internal/git-hook`` of the
process that serves the push: over the socket that request came in on (loopback TCP or the
control socket), with the push's ticket and a secret made per process -- neither known outside
it, so nothing else (a space included) can fake a hook call. The answer says what git prints
(``remote:`` lines) and whether the push goes on; the call lands on the
:class:`~spacehost.api.gitpush.PushTarget` of the repo's kind.
"""

from __future__ import annotations

import secrets
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from spacehost.identity.actor import Actor

HOOK_PATH = "/api/internal/git-hook"
SECRET_HEADER = "X-Spacehost-Hook-Secret"
STAGES = ("pre-receive", "post-receive")

# The hook itself: stdlib only, so it starts fast; its exit status is git's verdict.
_SCRIPT = """#!{python}
# written by spacehost (api/githooks.py): hands git's ref updates to the control plane
import http.client, json, os, socket, sys

class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=3600)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.unix_path)

where = os.environ.get("SPACEHOST_HOOK_URL", "")
if not where:
    sys.exit(0)  # a push that did not come through spacehost's git endpoint
if where.startswith("unix:"):
    conn = UnixConnection(where[5:])
else:
    conn = http.client.HTTPConnection(where.split("//", 1)[1], timeout=3600)
body = json.dumps({{
    "stage": {stage!r},
    "push": os.environ.get("SPACEHOST_PUSH", ""),
    "updates": sys.stdin.read(),
    "quarantine": os.environ.get("GIT_QUARANTINE_PATH"),
}})
try:
    conn.request("POST", {path!r}, body, {{
        "Content-Type": "application/json", {header!r}: os.environ.get("SPACEHOST_HOOK_SECRET", ""),
    }})
    answer = json.loads(conn.getresponse().read())
except Exception as exc:
    print("spacehost: the push could not be checked ({{}}); try again".format(exc))
    sys.exit(1)
for line in answer.get("lines", []):
    print(line)
sys.exit(0 if answer.get("ok") else 1)
"""


@dataclass(frozen=True)
class PushTicket:
    """Who pushes to which repo: what a hook call stands for."""

    kind: str
    repo_id: str
    actor: Actor


@dataclass
class HookDesk:
    """This process's hook secret and the pushes now running (ticket id -> ticket)."""

    hooks_dir: Path
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    _tickets: dict[str, PushTicket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def open(self, ticket: PushTicket) -> str:
        key = secrets.token_urlsafe(16)
        with self._lock:
            self._tickets[key] = ticket
        return key

    def close(self, key: str) -> None:
        with self._lock:
            self._tickets.pop(key, None)

    def ticket(self, key: str) -> PushTicket | None:
        with self._lock:
            return self._tickets.get(key)

    def config_env(self) -> dict[str, str]:
        """git configuration for the backend: these hooks, and pushes enabled (the platform
        checked who pushes before git runs)."""
        return {
            "GIT_CONFIG_COUNT": "2",
            "GIT_CONFIG_KEY_0": "core.hooksPath",
            "GIT_CONFIG_VALUE_0": str(self.hooks_dir),
            "GIT_CONFIG_KEY_1": "http.receivepack",
            "GIT_CONFIG_VALUE_1": "true",
        }


def write_hooks(hooks_dir: Path) -> None:
    """Write the pre-receive and post-receive hooks (executable) into *hooks_dir*."""
    hooks_dir.mkdir(parents=True, exist_ok=True)
    for stage in STAGES:
        text = _SCRIPT.format(
            python=sys.executable, stage=stage, path=HOOK_PATH, header=SECRET_HEADER
        )
        tmp = hooks_dir / f".{stage}.tmp"
        tmp.write_text(text)
        tmp.chmod(0o755)
        tmp.replace(hooks_dir / stage)
