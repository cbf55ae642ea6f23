"""``/api/buckets/``: no Hugging Face Buckets here, answered as huggingface_hub understands it —
a bucket is not found with ``X-Error-Code: RepoNotFound`` (the client's ``BucketNotFoundError``),
a namespace lists none, creating or writing one is a ``501`` that says what to use instead."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from spacehost.api import error_middleware
from spacehost.api.buckets import add_bucket_routes

Call = Callable[..., Awaitable[ClientResponse]]


def serve(scenario: Callable[[Call], Awaitable[None]]) -> None:
    async def main() -> None:
        app = web.Application(middlewares=[error_middleware])
        add_bucket_routes(app)
        async with TestClient(TestServer(app)) as client:

            async def call(method: str, path: str, **kw: Any) -> ClientResponse:
                resp = await client.request(method, path, **kw)
                await resp.read()
                return resp

            await scenario(call)

    asyncio.run(main())


def test_a_bucket_is_not_found_as_huggingface_hub_recognises() -> None:
    async def scenario(call: Call) -> None:
        for method, path in (
            ("GET", "/api/buckets/alice/runs-bucket"),  # bucket_info
            ("GET", "/api/buckets/alice/runs-bucket/tree/trackio/inbox"),  # list_bucket_tree
            ("GET", "/api/buckets/alice/runs-bucket/xet-write-token"),
            ("DELETE", "/api/buckets/alice/runs-bucket"),  # delete_bucket(missing_ok=True)
        ):
            resp = await call(method, path)
            assert resp.status == 404, (method, path)
            assert resp.headers["X-Error-Code"] == "RepoNotFound"
            error = (await resp.json())["error"]
            assert "no bucket 'alice/runs-bucket'" in error["message"]
            assert "dataset repo" in error["hint"] and "server_url=" in error["hint"]

    serve(scenario)


def test_a_namespace_lists_no_buckets() -> None:
    async def scenario(call: Call) -> None:
        resp = await call("GET", "/api/buckets/alice")
        assert resp.status == 200
        assert await resp.json() == []

    serve(scenario)


def test_creating_or_writing_a_bucket_is_refused_with_what_to_use_instead() -> None:
    async def scenario(call: Call) -> None:
        for method, path in (
            ("POST", "/api/buckets/alice/runs-bucket"),  # create_bucket
            ("POST", "/api/buckets/alice/runs-bucket/batch"),  # batch_bucket_files
            ("PUT", "/api/buckets/alice/runs-bucket/settings"),
        ):
            resp = await call(method, path, json={})
            assert resp.status == 501, (method, path)
            error = (await resp.json())["error"]
            assert error["code"] == "not_supported"
            assert "has no Hugging Face Buckets" in error["message"]
            assert "alice/runs-bucket" in error["message"]
            assert "create_repo(..., repo_type='dataset')" in error["hint"]

    serve(scenario)
