"""The tokens ``spacehost login`` stores: one per server, in ``tokens.json`` of the CLI's config
folder (``SPACEHOST_CONFIG_DIR``, default ``$XDG_CONFIG_HOME/spacehost`` or
``~/.config/spacehost``), readable by the user only (folder 0700, file 0600), as ``hf auth
login`` keeps its token in ``$HF_HOME/token``.

Keyed by the server's URL (scheme, host and port, no trailing slash), so one machine can hold a
login for each platform it talks to. Not the platform's data folder: that one is the server's,
and its ``token`` file is the operator's.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from spacehost.atomicfile import write_atomic
from spacehost.errors import InvalidRequest

FILE = "tokens.json"


def config_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The CLI's config folder (see the module doc)."""
    env = os.environ if environ is None else environ
    if env.get("SPACEHOST_CONFIG_DIR"):
        return Path(env["SPACEHOST_CONFIG_DIR"]).expanduser()
    base = env.get("XDG_CONFIG_HOME") or "~/.config"
    return Path(base).expanduser() / "spacehost"


def server_key(url: str) -> str:
    """*url* as the key of its login: ``http://127.0.0.1:8000`` (lower-case scheme and host)."""
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        raise InvalidRequest(
            f"{url!r} is not a server URL", hint="give it as http://HOST:PORT (--server)"
        )
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _read(folder: Path) -> dict[str, str]:
    path = folder / FILE
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise InvalidRequest(
            f"{path} is not readable JSON ({exc.__class__.__name__})",
            hint=f"remove it and log in again: rm {path} && spacehost login",
        ) from exc
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write(folder: Path, tokens: dict[str, str]) -> None:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    write_atomic(folder / FILE, json.dumps(tokens, indent=2, sort_keys=True) + "\n", mode=0o600)


def stored(url: str, folder: Path | None = None) -> str:
    """The token stored for the server at *url*, "" when none is."""
    return _read(folder or config_dir()).get(server_key(url), "")


def store(url: str, token: str, folder: Path | None = None) -> Path:
    """Keep *token* as the login for *url*; returns the file it is in."""
    where = folder or config_dir()
    tokens = _read(where)
    tokens[server_key(url)] = token
    _write(where, tokens)
    return where / FILE


def forget(url: str, folder: Path | None = None) -> bool:
    """Drop the login for *url*; False when there was none."""
    where = folder or config_dir()
    tokens = _read(where)
    if tokens.pop(server_key(url), None) is None:
        return False
    _write(where, tokens)
    return True
