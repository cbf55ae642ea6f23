"""The data dir is private (issue 11, A11): a real platform started on an install an older
version left world-readable ends with the folder 0700 and the databases (with their -wal and
-shm files), the token and the secrets key 0600; so does a fresh one."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet

from tests.e2e.conftest import start_platform, stop_platform
from tests.support.ports import free_port

pytestmark = pytest.mark.docker

PRIVATE_FILES = ["spacehost.db", "spacehost.db-wal", "spacehost.db-shm", "token", "secret.key",
                 "hub/hub.db", "hub/hub.db-wal", "hub/hub.db-shm"]  # fmt: skip


def mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


def old_install(data: Path) -> None:
    """What an older version left: everything readable by every local user."""
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    for name in ("spacehost.db", "hub/hub.db"):
        (data / name).parent.mkdir(exist_ok=True)
        sqlite3.connect(data / name).close()
        (data / name).chmod(0o644)
    (data / "token").write_text("sh_an-old-token\n")
    (data / "secret.key").write_text(Fernet.generate_key().decode() + "\n")
    for name in ("token", "secret.key"):
        (data / name).chmod(0o644)


@pytest.mark.parametrize("install", ["fresh", "old"])
def test_the_data_dir_and_its_secrets_are_private(tmp_path: Path, install: str) -> None:
    data = tmp_path / "data"
    if install == "old":
        old_install(data)
    else:
        data.mkdir()  # as `mkdir` makes it (umask 022: 0755)
    proc, running = start_platform(data, free_port())
    try:
        # a write, so that the WAL files exist
        token = (data / "token").read_text().strip()
        resp = requests.post(
            f"{running.url}/api/spaces/e2e/private/secrets",
            timeout=30,
            json={"key": "K", "value": "v"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert resp.status_code < 500, resp.text
        assert mode(data) == "0o700"
        modes = {name: mode(data / name) for name in PRIVATE_FILES if (data / name).exists()}
        assert {"spacehost.db", "token", "spacehost.db-wal", "hub/hub.db"} <= set(modes)
        assert install == "fresh" or "secret.key" in modes
        assert set(modes.values()) == {"0o600"}, modes
    finally:
        stop_platform(proc, running, f"data-dir-{install}")
