"""``GET /api/jobs-pip/...`` (api/jobpip.py): the host's local pip sources served to jobs, as
uv and pip read them -- index pages, listings of wheel folders, package files -- and nothing
outside the served folders. The whole control-plane app, a real folder tree."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from spacehost.builder.jobindex import JobIndex, JobSource
from spacehost.server.control import make_app
from tests.support.fake_jobs import FakeJobContainers, fake_jobs
from tests.support.platforms import platform_in


def tree(root: Path) -> JobIndex:
    (root / "pypi" / "simple" / "six").mkdir(parents=True)
    (root / "pypi" / "files").mkdir()
    (root / "pypi" / "files" / "six-1.17.0-py2.py3-none-any.whl").write_bytes(b"wheel")
    page = '<a href="../../files/six-1.17.0-py2.py3-none-any.whl">six</a>'
    (root / "pypi" / "simple" / "six" / "index.html").write_text(page)
    (root / "wheels").mkdir()
    (root / "wheels" / "tiny-1.0-py3-none-any.whl").write_bytes(b"tiny")
    (root / "secret.txt").write_text("not a package")
    sources = (JobSource("index-url", 0, "simple/"), JobSource("find-links", 1, ""))
    return JobIndex((str(root / "pypi"), str(root / "wheels")), sources)


def test_the_jobs_index_serves_local_packages_and_nothing_else(tmp_path: Path) -> None:
    index = tree(tmp_path / "pip")
    engine = FakeJobContainers()
    with platform_in(tmp_path / "data") as platform:

        async def main() -> None:
            jobs = fake_jobs(tmp_path / "data", engine, package_index=index)
            async with TestClient(TestServer(make_app(platform, "op", jobs=jobs))) as c:
                page = await c.get("/api/jobs-pip/0/simple/six/")
                assert page.status == 200 and "six-1.17.0" in await page.text()
                wheel = await c.get("/api/jobs-pip/0/files/six-1.17.0-py2.py3-none-any.whl")
                assert wheel.status == 200 and await wheel.read() == b"wheel"
                listing = await c.get("/api/jobs-pip/1/")
                assert 'href="tiny-1.0-py3-none-any.whl"' in await listing.text()
                moved = await c.get("/api/jobs-pip/1", allow_redirects=False)
                assert moved.status == 301 and moved.headers["Location"] == "/api/jobs-pip/1/"
                for outside in ("0/../secret.txt", "0/%2e%2e/%2e%2e/secret.txt", "2/", "x/"):
                    resp = await c.get(f"/api/jobs-pip/{outside}")
                    assert resp.status == 404, outside
                    assert (await resp.json())["error"]["hint"]

        asyncio.run(main())
