"""``/api/buckets/...``: Hugging Face Buckets, answered as "none here" in huggingface_hub's terms.

This platform has no buckets (docs/hub.md, "trackio"). Clients still ask: trackio since 0.21
looks for ``{space}-bucket`` on every ``trackio.init(space_id=...)`` and creates it when it is
missing. So a bucket is not found the way huggingface_hub recognises
(``X-Error-Code: RepoNotFound`` on ``/api/buckets/``, which it raises as
``BucketNotFoundError``), the list of a namespace's buckets is empty, and creating or writing
one is a clear ``501`` naming what to use instead. Without these answers the client got a bare
``404`` and ``trackio.init`` stopped with a stack trace.
"""

from __future__ import annotations

from aiohttp import web

from spacehost.errors import NotSupported, RepoNotFound

_HINT = (
    "store files in a dataset repo instead (create_repo(..., repo_type='dataset')); "
    "for trackio, log to a dashboard space with server_url= (docs/hub.md, 'trackio')"
)


def _bucket_id(request: web.Request) -> str:
    return f"{request.match_info['namespace']}/{request.match_info['name']}"


async def bucket_not_found(request: web.Request) -> web.Response:
    """``bucket_info``, a bucket's tree, files and paths, deleting it: no such bucket."""
    raise RepoNotFound(
        f"no bucket {_bucket_id(request)!r}: this platform has no Hugging Face Buckets",
        hint=_HINT,
    )


async def no_buckets(request: web.Request) -> web.Response:
    """``list_buckets``: a namespace has none."""
    return web.json_response([])


async def buckets_not_supported(request: web.Request) -> web.Response:
    """``create_bucket`` and every write to a bucket."""
    raise NotSupported(
        f"cannot write bucket {_bucket_id(request)!r}: this platform has no Hugging Face Buckets",
        hint=_HINT,
    )


def add_bucket_routes(app: web.Application) -> None:
    """The ``/api/buckets/`` routes huggingface_hub calls."""
    bucket = "/api/buckets/{namespace}/{name}"
    app.router.add_get("/api/buckets/{namespace}", no_buckets)
    app.router.add_get(bucket, bucket_not_found)
    app.router.add_get(bucket + "/{rest:.+}", bucket_not_found)
    app.router.add_delete(bucket, bucket_not_found)  # delete_bucket(missing_ok=True) passes
    for method in ("POST", "PUT"):
        app.router.add_route(method, bucket, buckets_not_supported)
        app.router.add_route(method, bucket + "/{rest:.+}", buckets_not_supported)
