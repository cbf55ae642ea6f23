"""The hub's Xet download routes (api/xet.py) over real HTTP on a real HubStore: the resolve
headers, the token route, reconstructions, xorb ranges, SPACEHOST_HUB_XET=0, and xorb files
going away with their blob."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from aiohttp import ClientResponse
from yarl import URL

from spacehost.api import xetauth
from spacehost.domain import RepoKind
from spacehost.store import HubStore
from spacehost.store.xorb import CHUNK, HEADER, chunk_header
from tests.support.control_api import TOKEN, HubCall, serve_hub_api

WEIGHTS = os.urandom(3 * CHUNK + 100)
DIGEST = hashlib.sha256(WEIGHTS).hexdigest()


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubStore]:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(WEIGHTS)
    (folder / "config.json").write_bytes(b'{"a": 1}')
    store = HubStore(tmp_path / "hub")
    store.push(RepoKind.MODEL, "alice/tiny", folder)
    yield store
    store.close()


def bearer(token_response: ClientResponse) -> dict[str, str]:
    """The CAS's auth header, as hf_xet sends the token route's token."""
    return {"Authorization": f"Bearer {token_response.headers['X-Xet-Access-Token']}"}


def run(hub: HubStore, scenario: Callable[[HubCall], Awaitable[None]], *, xet: bool = True) -> None:
    serve_hub_api(hub, scenario, xet=xet)


def test_lfs_files_carry_xet_headers_and_the_cas_rebuilds_them(hub: HubStore) -> None:
    async def scenario(call: HubCall) -> None:
        head = await call("HEAD", "/alice/tiny/resolve/main/model.safetensors")
        assert head.headers["X-Xet-Hash"] == DIGEST
        refresh = head.links["xet-auth"]["url"]
        assert str(refresh).endswith(
            "/api/models/alice/tiny/xet-read-token/" + hub.resolve(RepoKind.MODEL, "alice/tiny").sha
        )
        plain = await call("HEAD", "/alice/tiny/resolve/main/config.json")
        assert "X-Xet-Hash" not in plain.headers and "Link" not in plain.headers
        token = await call("GET", str(refresh.path))
        cas = token.headers["X-Xet-Cas-Url"]
        assert cas.endswith("/xet/cas") and token.headers["X-Xet-Access-Token"]
        assert int(token.headers["X-Xet-Token-Expiration"]) > 0
        resp = await call("GET", f"/xet/cas/v1/reconstructions/{DIGEST}", headers=bearer(token))
        recon = await resp.json()
        (term,) = recon["terms"]
        assert term["range"] == {"start": 0, "end": 4} and term["unpacked_length"] == len(WEIGHTS)
        (fetch,) = recon["fetch_info"][term["hash"]]
        assert URL(fetch["url"]).path.endswith(f"/xet/xorbs/{DIGEST}")
        rng = fetch["url_range"]
        assert rng == {"start": 0, "end": len(WEIGHTS) + 4 * HEADER - 1}
        xorbs = await call(
            "GET",
            URL(fetch["url"]).path_qs,
            headers={"Range": f"bytes={rng['start']}-{rng['end']}"},
        )
        body = await xorbs.read()
        assert xorbs.status == 206 and len(body) == rng["end"] + 1
        assert body[:HEADER] == chunk_header(CHUNK)
        assert body[3 * (CHUNK + HEADER) :] == chunk_header(100) + WEIGHTS[-100:]
        stats = await (await call("GET", "/api/hub")).json()
        assert stats["xet"] == {"enabled": True, "reconstructions": 1, "xorb_ranges": 1}

    run(hub, scenario)
    assert hub.xorb_path(DIGEST).is_file()


def test_reconstruction_ranges_and_errors(hub: HubStore) -> None:
    async def scenario(call: HubCall) -> None:
        auth = bearer(await call("GET", "/api/models/alice/tiny/xet-read-token/main"))
        resp = await call(
            "GET",
            f"/xet/cas/v1/reconstructions/{DIGEST}",
            headers={"Range": f"bytes={CHUNK + 5}-{CHUNK + 9}", **auth},
        )
        recon = await resp.json()
        assert recon["offset_into_first_range"] == 5
        assert [t["range"] for t in recon["terms"]] == [{"start": 1, "end": 2}]
        resp = await call(
            "GET",
            f"/xet/cas/v1/reconstructions/{DIGEST}",
            headers={"Range": f"bytes={len(WEIGHTS)}-{len(WEIGHTS) + 5}", **auth},
        )
        assert resp.status == 416
        missing = "0" * 64
        assert (
            await call("GET", f"/xet/cas/v1/reconstructions/{missing}", headers=auth)
        ).status == 404
        assert (await call("GET", "/xet/cas/v1/reconstructions/nothex", headers=auth)).status == 400
        signed = xetauth.sign_xorb(xetauth.derive_key(TOKEN), missing, time.time())
        assert (await call("GET", f"/xet/xorbs/{missing}", params=signed)).status == 404

    run(hub, scenario)


def test_xet_off_leaves_plain_downloads_only(hub: HubStore) -> None:
    async def scenario(call: HubCall) -> None:
        head = await call("HEAD", "/alice/tiny/resolve/main/model.safetensors")
        assert head.status == 200 and "X-Xet-Hash" not in head.headers
        token = await call("GET", "/api/models/alice/tiny/xet-read-token/main")
        assert token.status == 404
        get = await call("GET", "/alice/tiny/resolve/main/model.safetensors")
        assert await get.read() == WEIGHTS

    run(hub, scenario, xet=False)


def test_xorb_files_go_with_their_blob(hub: HubStore, tmp_path: Path) -> None:
    xorb = hub.xorb_file(DIGEST)
    assert xorb.stat().st_size == len(WEIGHTS) + 4 * HEADER
    hub.delete(RepoKind.MODEL, "alice/tiny")
    assert not xorb.exists()
    stray = hub.xorb_path("cd" * 32)
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"left by a crash")
    HubStore(hub.root).close()  # reopening sweeps xorbs whose blob is gone
    assert not stray.exists()


def test_xet_off_every_xet_route_answers_404_and_writes_no_xorb(hub: HubStore) -> None:
    async def scenario(call: HubCall) -> None:
        for path in (
            f"/xet/xorbs/{DIGEST}",
            f"/xet/cas/v1/reconstructions/{DIGEST}",
            "/api/models/alice/tiny/xet-read-token/main",
        ):
            resp = await call("GET", path, headers={"Range": "bytes=0-9"})
            assert resp.status == 404, path
            assert (await resp.json())["error"]["code"] == "not_found"

    run(hub, scenario, xet=False)
    assert not hub.xorb_path(DIGEST).exists()


def test_xet_on_the_cas_and_xorbs_need_what_the_token_route_issued(hub: HubStore) -> None:
    async def scenario(call: HubCall) -> None:
        recon_path = f"/xet/cas/v1/reconstructions/{DIGEST}"
        for auth in (
            {},
            {"Authorization": "Bearer spacehost-public-read"},
            {"Authorization": "Bearer 9999999999.forged"},
        ):
            resp = await call("GET", recon_path, headers=auth)
            assert resp.status == 401, auth
            assert (await resp.json())["error"]["hint"]
        for query in ("", "?expires=9999999999&signature=forged"):
            resp = await call("GET", f"/xet/xorbs/{DIGEST}{query}", headers={"Range": "bytes=0-9"})
            assert resp.status == 401, query
        assert not hub.xorb_path(DIGEST).exists()  # nothing written for an unsigned request
        token = await call("GET", "/api/models/alice/tiny/xet-read-token/main")
        bearer = {"Authorization": f"Bearer {token.headers['X-Xet-Access-Token']}"}
        recon = await (await call("GET", recon_path, headers=bearer)).json()
        (fetch,) = recon["fetch_info"][recon["terms"][0]["hash"]]
        url = URL(fetch["url"])
        assert url.query["signature"] and int(url.query["expires"]) > 0
        other = url.with_path(f"/xet/xorbs/{'0' * 64}")  # a signature names one file id
        assert (await call("GET", other.path_qs, headers={"Range": "bytes=0-9"})).status == 401
        xorbs = await call("GET", url.path_qs, headers={"Range": "bytes=0-9"})
        assert xorbs.status == 206

    run(hub, scenario)
    assert hub.xorb_path(DIGEST).is_file()
