"""What the real ``hf_xet`` uploads: a small recording Xet CAS on a loopback port (the write
token route, xorbs, shards; nothing else), and huggingface_hub's own Xet upload function run
against it in a fresh process. The unit tests of the xorb and shard parsers read these bytes."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from tests.support.hf_process import run_hf
from tests.support.served_app import served

TOKEN = "recorder-token"


@dataclass
class Recorded:
    """The xorbs (by the hash in their URL) and shards one upload sent, in order."""

    xorbs: dict[str, bytes] = field(default_factory=dict)
    shards: list[bytes] = field(default_factory=list)


def _app(rec: Recorded) -> web.Application:
    async def token(request: web.Request) -> web.Response:
        base = f"http://{request.host}/cas"
        return web.json_response(
            {"casUrl": base, "accessToken": TOKEN, "exp": int(time.time()) + 3600}
        )

    async def xorb(request: web.Request) -> web.Response:
        rec.xorbs[request.match_info["hash"]] = await request.read()
        return web.json_response({"was_inserted": True})

    async def shard(request: web.Request) -> web.Response:
        rec.shards.append(await request.read())
        return web.json_response({"result": 1})

    app = web.Application(client_max_size=128 << 20)
    app.router.add_get("/api/models/{owner}/{name}/xet-write-token/{rev}", token)
    app.router.add_post("/cas/v1/xorbs/default/{hash}", xorb)
    app.router.add_post("/cas/v1/shards", shard)
    return app


@contextlib.contextmanager
def recording_cas() -> Iterator[tuple[str, Recorded]]:
    """Serve a recording CAS on ``127.0.0.1`` until the block ends: its URL and what it got."""
    rec = Recorded()
    with served(_app(rec)) as url:
        yield url, rec


UPLOAD = """
from huggingface_hub._commit_api import CommitOperationAdd, _upload_xet_files
ops = [CommitOperationAdd(path_in_repo=p.rsplit("/", 1)[-1], path_or_fileobj=p) for p in {paths!r}]
_upload_xet_files(additions=ops, repo_type="model", repo_id="bob/m", headers={{}},
                  endpoint={url!r}, revision="main")
print(json.dumps([op.upload_info.sha256.hex() for op in ops]))
"""


def record_upload(files: list[Path], home: Path) -> tuple[Recorded, list[str]]:
    """Upload *files* with huggingface_hub's Xet path (real hf_xet, a fresh process with its
    own cache in *home*) to a recording CAS: what it sent, and the files' sha256 as the client
    reports them."""
    with recording_cas() as (url, rec):
        shas = run_hf(url, home, UPLOAD.format(paths=[str(f) for f in files], url=url))
    return rec, list(shas)
