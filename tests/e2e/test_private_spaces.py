"""Private spaces from the outside (issue 14): gradio_client with ``hf_token`` on both URL styles
and by id through ``HF_ENDPOINT``; without access the space answers exactly as one that does not
exist; and the space's container never sees a visitor's platform token or cookies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from gradio_client import Client

from tests.e2e.conftest import Running
from tests.e2e.huggingface import hf
from tests.support.polling import wait_for

pytestmark = pytest.mark.docker
DATA = Path(__file__).parent / "data"
SPACE = "acme/secret-echo"


def operator(platform: Running) -> dict[str, str]:
    token = (platform.data_dir / "token").read_text().strip()
    return {"Authorization": f"Bearer {token}"}


def api(platform: Running, method: str, path: str, **kw: Any) -> requests.Response:
    return requests.request(method, platform.url + path, timeout=30, **kw)


def token_of(platform: Running, user: str, role: str = "read") -> str:
    """A token of *user*, made through a session of theirs (sign in, then the tokens API)."""
    s = requests.Session()
    signed = s.post(
        platform.url + "/api/auth/sign-in", json={"name": user, "password": "pw-" + user * 3}
    )
    assert signed.status_code == 200, signed.text
    made = s.post(
        platform.url + "/api/tokens",
        json={"name": "e2e", "role": role},
        headers={"X-CSRF-Token": signed.json()["csrf"]},
    )
    assert made.status_code == 201, made.text
    return str(made.json()["token"])


@pytest.fixture(scope="module")
def accounts(platform: Running) -> Iterator[dict[str, str]]:
    """acme (an org) with member mia; outsider olly; a private space acme/secret-echo."""
    for user in ("mia", "olly"):
        resp = api(
            platform,
            "POST",
            "/api/users",
            json={"name": user, "password": "pw-" + user * 3},
            headers=operator(platform),
        )
        assert resp.status_code in (201, 409), resp.text
    resp = api(platform, "POST", "/api/orgs", json={"name": "acme"}, headers=operator(platform))
    assert resp.status_code in (201, 409), resp.text
    api(
        platform,
        "PUT",
        "/api/orgs/acme/members/mia",
        json={"role": "read"},
        headers=operator(platform),
    )
    out = platform.cli("push", str(DATA / "header_echo"), "--name", SPACE, check=True)
    assert "live at" in out.stdout, out.stdout
    made = api(
        platform,
        "PUT",
        f"/api/spaces/{SPACE}/settings",
        json={"private": True},
        headers=operator(platform),
    )
    assert made.json()["private"] is True, made.text
    yield {"mia": token_of(platform, "mia"), "olly": token_of(platform, "olly")}


@pytest.mark.parametrize("style", ["path", "subdomain"])
def test_a_member_calls_a_private_space_with_hf_token_and_the_space_sees_no_credential(
    platform: Running, accounts: dict[str, str], style: str
) -> None:
    client = Client(platform.space_url(SPACE, style), token=accounts["mia"], verbose=False)
    seen = client.predict("hi", api_name="/seen")
    assert seen["text"] == "hi"
    headers = seen["headers"]
    assert "x-hf-authorization" not in headers and "authorization" not in headers, headers
    assert not any(k.startswith("spacehost_") for k in seen["cookies"]), seen["cookies"]


def test_the_space_is_found_by_id_through_hf_endpoint_with_the_token(
    platform: Running, accounts: dict[str, str], tmp_path: Path
) -> None:
    """gradio_client in a fresh process, ``Client("acme/secret-echo", token=...)`` with
    ``HF_ENDPOINT`` at the platform, as a user calls a private Space on Hugging Face."""
    code = (
        "from gradio_client import Client\n"
        f"c = Client({SPACE!r}, token={accounts['mia']!r}, verbose=False)\n"
        "print(json.dumps(c.predict('by id', api_name='/seen')['text']))"
    )
    assert hf(platform, tmp_path, code) == "by id"


@pytest.mark.parametrize("style", ["path", "subdomain"])
def test_without_access_a_private_space_answers_as_one_that_does_not_exist(
    platform: Running, accounts: dict[str, str], style: str
) -> None:
    url = platform.space_url(SPACE, style)
    missing = platform.space_url("acme/no-such-space", style)
    for headers in ({}, {"Authorization": f"Bearer {accounts['olly']}"}):
        got = requests.get(url + "config", headers=headers, timeout=30)
        unknown = requests.get(missing + "config", headers=headers, timeout=30)
        assert got.status_code == unknown.status_code == 404
        assert got.text.replace("secret-echo", "X") == unknown.text.replace("no-such-space", "X")
    with pytest.raises(Exception):  # noqa: B017 -- gradio_client's own error for a missing app
        Client(url, token=accounts["olly"], verbose=False)


def test_a_revoked_token_stops_reaching_the_space(
    platform: Running, accounts: dict[str, str]
) -> None:
    s = requests.Session()
    signed = s.post(
        platform.url + "/api/auth/sign-in", json={"name": "mia", "password": "pw-" + "mia" * 3}
    )
    csrf = {"X-CSRF-Token": signed.json()["csrf"]}
    made = s.post(
        platform.url + "/api/tokens", json={"name": "short", "role": "read"}, headers=csrf
    ).json()
    url = platform.space_url(SPACE, "path") + "config"
    auth = {"Authorization": f"Bearer {made['token']}"}
    assert requests.get(url, headers=auth, timeout=30).status_code == 200
    assert s.delete(f"{platform.url}/api/tokens/{made['id']}", headers=csrf).status_code == 200
    # the router keeps an allowed answer for spaceaccess.CACHE_ALLOW_S (10 s)
    wait_for(
        lambda: requests.get(url, headers=auth, timeout=30).status_code == 404,
        timeout=30,
        what="the revoked token to be refused",
    )
