"""The variables/secrets/duplicate API over HTTP (aiohttp test server, fake engine); HF's
options of a duplicate are in test_spaces_hf_shapes.py."""

from __future__ import annotations

from typing import Any

import pytest

from spacehost.domain import SpaceId
from spacehost.lifecycle import Platform
from tests.support.control_api import AUTH, DEMO, DEMO_BASE, ApiCall, serve_api

SPACE, BASE = DEMO, DEMO_BASE
SECRET_VALUE = "api-secret-value-0987"


def test_variables_set_list_delete_in_hf_shape(platform: Platform) -> None:
    async def scenario(call: ApiCall) -> None:
        status, body = await call(
            "POST",
            f"{BASE}/variables",
            headers=AUTH,
            json={"key": "MODEL", "value": "small", "description": "m"},
        )
        assert status == 200 and body["MODEL"]["value"] == "small"  # the whole list, as HF
        status, body = await call("GET", f"{BASE}/variables")  # public: no token needed
        assert status == 200 and set(body) == {"MODEL"}
        assert body["MODEL"]["value"] == "small" and body["MODEL"]["description"] == "m"
        assert body["MODEL"]["updatedAt"].startswith("20")
        status, body = await call(
            "DELETE", f"{BASE}/variables", headers=AUTH, json={"key": "MODEL"}
        )
        assert (status, body) == (200, {})
        assert (await call("GET", f"{BASE}/variables"))[1] == {}

    serve_api(platform, scenario)


def test_secrets_are_write_only(platform: Platform) -> None:
    async def scenario(call: ApiCall) -> None:
        status, body = await call(
            "POST", f"{BASE}/secrets", headers=AUTH, json={"key": "TOKEN", "value": SECRET_VALUE}
        )
        assert status == 200 and body["key"] == "TOKEN" and "value" not in body
        status, body = await call("GET", f"{BASE}/secrets", headers=AUTH)
        assert status == 200 and set(body["TOKEN"]) == {"description", "updatedAt"}
        status, body = await call("GET", f"{BASE}/secrets")  # names need the token too
        assert status == 401 and body["error"]["code"] == "unauthorized"
        for path in ("", "/runtime", "/variables", "/secrets", "/logs/runs"):
            got, body = await call("GET", f"{BASE}{path}", headers=AUTH)
            assert got == 200 and SECRET_VALUE not in str(body)
        status, body = await call("DELETE", f"{BASE}/secrets", headers=AUTH, json={"key": "TOKEN"})
        assert status == 200 and body == {"key": "TOKEN", "restarting": True, "deleted": True}

    serve_api(platform, scenario)
    assert platform.wait_idle()


@pytest.mark.parametrize(
    ("kwargs", "status", "code", "words"),
    [
        ({"data": b"{not json"}, 400, "invalid_request", "not valid JSON"),
        ({"json": ["key", "value"]}, 400, "invalid_request", "JSON object"),
        ({"json": {"value": "x"}}, 400, "invalid_request", "key"),
        ({"json": {"key": "1BAD", "value": "x"}}, 400, "invalid_request", "environment variable"),
        ({"json": {"key": "SPACE_ID", "value": "x"}}, 400, "invalid_request", "SPACE_ID"),
        ({"json": {"key": "GRADIO_SERVER_PORT", "value": "1"}}, 400, "invalid_request", "reserved"),
        ({"json": {"key": "K", "value": 5}}, 400, "invalid_request", "string"),
        ({"json": {"key": "K", "value": "x" * (64 * 1024 + 1)}}, 413, "upload_too_large", "64 KiB"),
    ],
)
def test_bad_requests_answer_in_the_json_error_shape(
    platform: Platform, kwargs: dict[str, Any], status: int, code: str, words: str
) -> None:
    async def scenario(call: ApiCall) -> None:
        for kind in ("variables", "secrets"):
            got, body = await call("POST", f"{BASE}/{kind}", headers=AUTH, **kwargs)
            assert got == status and body["error"]["code"] == code
            assert words in body["error"]["message"] and body["error"]["hint"]

    serve_api(platform, scenario)
    assert platform.config.variables(SPACE) == [] and platform.config.secrets(SPACE) == []


def test_writes_need_the_token_and_unknown_spaces_are_404(platform: Platform) -> None:
    async def scenario(call: ApiCall) -> None:
        body = {"key": "K", "value": "v"}
        for method in ("POST", "DELETE"):
            for kind in ("variables", "secrets"):
                assert (await call(method, f"{BASE}/{kind}", json=body))[0] == 401
        assert (await call("POST", f"{BASE}/duplicate", json={"to": "a/b"}))[0] == 401
        for method, kind in (
            ("GET", "variables"),
            ("GET", "secrets"),
            ("POST", "variables"),
            ("POST", "secrets"),
            ("DELETE", "secrets"),
        ):
            status, err = await call(method, f"/api/spaces/no/such/{kind}", headers=AUTH, json=body)
            assert status == 404 and err["error"]["code"] == "space_not_found"
        status, err = await call("DELETE", f"{BASE}/variables", headers=AUTH, json={"key": "X"})
        assert status == 404 and "no variable 'X'" in err["error"]["message"]

    serve_api(platform, scenario)


def test_duplicate_answers_with_secrets_needing_values_and_409_on_existing(
    platform: Platform,
) -> None:
    platform.set_config(SPACE, "variable", "MODE", "fast")
    platform.set_config(SPACE, "secret", "TOKEN", SECRET_VALUE)
    assert platform.wait_idle()

    async def scenario(call: ApiCall) -> None:
        status, body = await call(
            "POST", f"{BASE}/duplicate", headers=AUTH, json={"to": "bob/copy"}
        )
        assert status == 202 and body["id"] == "bob/copy" and body["from"] == "alice/demo"
        assert body["variables"] == ["MODE"] and body["secrets_needing_values"] == ["TOKEN"]
        assert body["urls"]["path"].endswith("/spaces/bob/copy/")
        assert SECRET_VALUE not in str(body)
        # the copy's history starts with one git commit (docs/git.md)
        (first,) = platform.queries.git_log(SpaceId("bob", "copy"))
        assert body["sha"] == first.sha and first.title == "Duplicate from alice/demo"
        status, body = await call(
            "POST", f"{BASE}/duplicate", headers=AUTH, json={"repository": "bob/copy"}
        )  # HF's field name
        assert status == 409 and body["error"]["code"] == "conflict"
        status, body = await call("POST", f"{BASE}/duplicate", headers=AUTH, json={})
        assert status == 400 and '"repository"' in body["error"]["message"]
        status, body = await call(
            "POST", f"{BASE}/duplicate", headers=AUTH, json={"to": "not a name"}
        )
        assert status == 400 and body["error"]["code"] == "invalid_name"

    serve_api(platform, scenario)
    assert platform.wait_idle()
    assert platform.config.variables(SpaceId("bob", "copy"))[0].value == "fast"
