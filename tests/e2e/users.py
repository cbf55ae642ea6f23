"""Users of a real platform as a person makes them: the operator adds the account, the user signs
in and creates a write token on the Tokens page's API."""

from __future__ import annotations

import requests

from spacehost import spaceaccess
from tests.e2e.conftest import Running

PASSWORD = "correct horse battery"


def user_token(platform: Running, name: str) -> str:
    """A write token of a new user *name* (made by the operator, signed in, token created)."""
    operator = {"Authorization": "Bearer " + (platform.data_dir / "token").read_text().strip()}
    made = requests.post(
        f"{platform.url}/api/users",
        json={"name": name, "password": PASSWORD},
        headers=operator,
        timeout=30,
    )
    assert made.status_code == 201, made.text
    session = requests.Session()
    signed = session.post(
        f"{platform.url}/api/auth/sign-in", json={"name": name, "password": PASSWORD}, timeout=30
    )
    assert signed.ok, signed.text
    csrf = session.cookies.get(spaceaccess.CSRF_COOKIE) or ""
    token = session.post(
        f"{platform.url}/api/tokens",
        json={"name": "e2e", "role": "write"},
        headers={"X-CSRF-Token": csrf},
        timeout=30,
    )
    assert token.ok, token.text
    return str(token.json()["token"])
