"""The Gradio frontend per version: paths, the element-name rewrite, safe unpacking, and the
``/static/gradio/{version}/...`` route (aiohttp test server; the engine is faked)."""

from __future__ import annotations

import asyncio
import io
import tarfile
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from spacehost.api import error_middleware
from spacehost.builder.frontend import (
    absolute_css_urls,
    element_name,
    frontend_dir,
    is_version,
    rewrite_element_name,
    rewrite_frontend,
    safe_member_path,
    unpack_frontend,
)
from spacehost.errors import BuildFailed
from spacehost.settings import Settings
from spacehost.web.frontend import (
    CACHE_CONTROL,
    GradioFrontends,
    add_frontend_routes,
    asset_path,
    content_type,
)
from tests.support.web_records import record

# The last statement of Gradio's entry chunk, as 6.31.0 and 5.49.1 ship it.
GRADIO6 = (
    "this.updating=!1}}}customElements.get(`gradio-app`)||"
    "customElements.define(`gradio-app`,e)}Yu();export{Lc as $};"
)
GRADIO5 = (
    'this.updating=!1}}}customElements.get("gradio-app")||'
    'customElements.define("gradio-app",s)}as();export{X as F};'
)


@pytest.mark.parametrize("version", ["6.31.0", "5.49.1", "4.0", "6.0.0rc1", "5.1.0.post1"])
def test_versions_accepted(version: str) -> None:
    assert is_version(version)
    assert frontend_dir(Path("/d"), version) == Path("/d/frontend") / version


@pytest.mark.parametrize(
    "version",
    ["", "..", "6", "6.31.0/..", "6.31.0/x", "latest", "6..1", "../6.31.0", "6.31.0\0", " 6.31.0"],
)
def test_versions_refused(version: str) -> None:
    assert not is_version(version)
    with pytest.raises(ValueError):
        frontend_dir(Path("/d"), version)


def test_element_name() -> None:
    assert element_name("6.31.0") == "gradio-app-6-31-0"
    assert element_name("5.49.1") == "gradio-app-5-49-1"
    assert element_name("6.0.0rc1") == "gradio-app-6-0-0rc1"


@pytest.mark.parametrize(("source", "cls"), [(GRADIO6, "e"), (GRADIO5, "s")])
def test_rewrite_defines_the_versioned_element_and_the_plain_one_if_free(
    source: str, cls: str
) -> None:
    out = rewrite_element_name(source, "6.31.0")
    assert out is not None
    assert (
        "}}}customElements.get(`gradio-app-6-31-0`)||"
        f"customElements.define(`gradio-app-6-31-0`,{cls}),"
        "customElements.get(`gradio-app`)||"
        f"customElements.define(`gradio-app`,class extends {cls}{{}})}}"
    ) in out
    assert out.endswith(source[source.index("}", source.index("define")) + 1 :])


def test_rewrite_leaves_other_code_alone() -> None:
    assert rewrite_element_name("console.log(`gradio-app`)", "6.31.0") is None
    assert rewrite_element_name("customElements.define(`babylon-viewer`,x)", "6.31.0") is None


def test_rewritten_code_runs_as_javascript(tmp_path: Path) -> None:
    """The rewrite is valid JavaScript that registers both names (checked with node if
    present: the registry is a Map stand-in)."""
    import shutil
    import subprocess

    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.skip("node is not installed")
    out = rewrite_element_name(
        "class e{}customElements.get(`gradio-app`)||customElements.define(`gradio-app`,e)", "6.31.0"
    )
    script = (
        "const m=new Map();globalThis.customElements={get:n=>m.get(n),"
        "define:(n,c)=>{if(m.has(n))throw n;m.set(n,c)}};" + str(out) + ";"
        "console.log([...m.keys()].join(','),"
        "Object.getPrototypeOf(m.get('gradio-app'))===m.get('gradio-app-6-31-0'))"
    )
    res = subprocess.run([node, "-e", script], capture_output=True, text=True, timeout=30)
    assert res.stdout.strip() == "gradio-app-6-31-0,gradio-app true", res.stderr


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "var Hu=`./assets/index-DiEEvXS6.css`,Uu",
            "var Hu=new URL(`./index-DiEEvXS6.css`,import.meta.url).href,Uu",
        ),
        (
            'const is="./assets/index-BVoOcrq_.css";',
            "const is=new URL(`./index-BVoOcrq_.css`,import.meta.url).href;",
        ),
        ("x=\"./assets/a.css'", "x=\"./assets/a.css'"),
        ("x=`./other/a.css`", "x=`./other/a.css`"),
    ],
)
def test_main_stylesheet_made_absolute(source: str, expected: str) -> None:
    assert absolute_css_urls(source) == expected


def test_rewrite_frontend_changes_only_the_entry_chunk(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "gradio.js").write_text('import("./assets/index-X.js");')
    (tmp_path / "assets" / "index-X.js").write_text("var H=`./assets/index-C.css`;" + GRADIO6)
    (tmp_path / "assets" / "ApiDocs.js").write_text("`hf extensions install gradio-app/x`")
    changed = rewrite_frontend(tmp_path, "6.31.0")
    assert changed == [tmp_path / "assets" / "index-X.js"]
    entry = (tmp_path / "assets" / "index-X.js").read_text()
    assert "gradio-app-6-31-0" in entry and "new URL(`./index-C.css`,import.meta.url)" in entry
    api_docs = (tmp_path / "assets" / "ApiDocs.js").read_text()
    assert api_docs == "`hf extensions install gradio-app/x`"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("frontend", "."),
        ("frontend/gradio.js", "gradio.js"),
        ("frontend/assets/a.js", "assets/a.js"),
        ("frontend/../x", None),
        ("/frontend/x", None),
        ("other/x", None),
        ("frontend/a\\b", None),
        ("frontend/a\0b", None),
        ("", None),
    ],
)
def test_safe_member_path(name: str, expected: str | None) -> None:
    got = safe_member_path(name, "frontend")
    assert (None if got is None else str(got)) == expected


def _tar(members: list[tuple[str, bytes | None, str]]) -> io.BytesIO:
    """A tar of (name, data, kind) with kind 'file', 'dir' or 'link' (to /etc/passwd)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data, kind in members:
            info = tarfile.TarInfo(name)
            if kind == "dir":
                info.type, info.mode = tarfile.DIRTYPE, 0o777
                tar.addfile(info)
            elif kind == "link":
                info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
                tar.addfile(info)
            else:
                info.size, info.mode = len(data or b""), 0o4777
                tar.addfile(info, io.BytesIO(data or b""))
    buf.seek(0)
    return buf


def test_unpack_writes_files_and_folders_only(tmp_path: Path) -> None:
    archive = _tar(
        [
            ("frontend", None, "dir"),
            ("frontend/gradio.js", b"import", "file"),
            ("frontend/assets/a.css", b"body{}", "file"),
            ("frontend/evil", None, "link"),
        ]
    )
    assert unpack_frontend(archive, tmp_path) == 2
    assert (tmp_path / "gradio.js").read_bytes() == b"import"
    assert (tmp_path / "assets" / "a.css").read_bytes() == b"body{}"
    assert not (tmp_path / "evil").exists() and not (tmp_path / "evil").is_symlink()
    assert (tmp_path / "gradio.js").stat().st_mode & 0o7777 == 0o644  # no setuid from the tar


@pytest.mark.parametrize("name", ["frontend/../../escape", "/abs", "elsewhere/x"])
def test_unpack_refuses_unsafe_names(tmp_path: Path, name: str) -> None:
    archive = _tar([("frontend", None, "dir"), (name, b"x", "file")])
    with pytest.raises(BuildFailed, match="unsafe name"):
        unpack_frontend(archive, tmp_path / "out")
    assert not (tmp_path / "escape").exists()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("gradio.js", "text/javascript; charset=utf-8"),
        ("x.mjs", "text/javascript; charset=utf-8"),
        ("a.CSS", "text/css; charset=utf-8"),
        ("f.woff2", "font/woff2"),
        ("f.woff", "font/woff"),
        ("f.ttf", "font/ttf"),
        ("m.wasm", "application/wasm"),
        ("i.svg", "image/svg+xml"),
        ("x.bin", "application/octet-stream"),
        ("noext", "application/octet-stream"),
    ],
)
def test_content_types(name: str, expected: str) -> None:
    assert content_type(name) == expected


def test_asset_path_stays_inside(tmp_path: Path) -> None:
    root = tmp_path / "v"
    (root / "assets").mkdir(parents=True)
    (root / "assets" / "a.js").write_text("x")
    (root / ".hidden").write_text("x")
    (tmp_path / "secret").write_text("s")
    (root / "assets" / "out.js").symlink_to(tmp_path / "secret")
    assert asset_path(root, "assets/a.js") == (root / "assets" / "a.js").resolve()
    for bad in [
        "",
        "assets",
        "assets/",
        "../secret",
        "assets/../../secret",
        ".hidden",
        "assets/out.js",
        "/etc/passwd",
        "assets\\a.js",
        "assets/a.js\0",
        "missing.js",
    ]:
        assert asset_path(root, bad) is None, bad


# the route ------------------------------------------------------------------------------------


class FakeImages:
    def __init__(self, tags: list[str], present: set[str]):
        self.tags, self.present = tags, present

    def list(self, name: str) -> list[Any]:
        return [type("Image", (), {"tags": [t for t in self.tags if t.startswith(name + ":")]})]

    def get(self, image: str) -> object:
        if image not in self.present:
            raise docker.errors.ImageNotFound(image)
        return object()


class FakeClient:
    def __init__(self, tags: tuple[str, ...] = (), present: frozenset[str] = frozenset()):
        self.images = FakeImages(list(tags), set(present) | set(tags))


def _frontends(
    tmp_path: Path, client: FakeClient | None = None, records: list[Any] | None = None
) -> GradioFrontends:
    def connect() -> docker.DockerClient:
        if client is None:
            raise AssertionError("an extracted version needs no engine")
        return client  # type: ignore[return-value,unused-ignore]  # a fake: .images only

    return GradioFrontends(Settings(data_dir=tmp_path), lambda: records or [], connect)


def test_images_for_a_version(tmp_path: Path) -> None:
    client = FakeClient(
        ("spacehost/gradio:6.31.0-py3.11-bookworm", "spacehost/gradio:5.49.1-py3.11-bookworm"),
        frozenset({"spacehost-space/a--old:1", "spacehost-space/a--new:1", "x:1"}),
    )
    records = [
        replace(record("a/old", sdk_version="5.49.1"), image="spacehost-space/a--old:1"),
        replace(record("a/new", sdk_version=None), image="spacehost-space/a--new:1"),
        replace(record("a/gone", sdk_version="5.49.1"), image="spacehost-space/a--gone:1"),
        replace(record("a/static", sdk="static", sdk_version="5.49.1"), image="x:1"),
    ]
    frontends = _frontends(tmp_path, client, records)
    assert frontends.images_for("5.49.1") == [
        "spacehost/gradio:5.49.1-py3.11-bookworm",
        "spacehost-space/a--old:1",
    ]
    # no sdk_version: the runtime image's version (Settings.gradio_version)
    assert frontends.images_for("6.31.0") == [
        "spacehost/gradio:6.31.0-py3.11-bookworm",
        "spacehost-space/a--new:1",
    ]
    assert frontends.images_for("4.0.0") == []


Scenario = Callable[[TestClient[Any, Any]], Awaitable[None]]


def _serve(frontends: GradioFrontends, scenario: Scenario) -> None:
    async def main() -> None:
        app = web.Application(middlewares=[error_middleware])
        add_frontend_routes(app, frontends)
        async with TestClient(TestServer(app)) as client:
            await scenario(client)

    asyncio.run(main())


def _extracted(tmp_path: Path) -> Path:
    root = tmp_path / "frontend" / "6.31.0"
    (root / "assets").mkdir(parents=True)
    (root / "gradio.js").write_text('import("./assets/index-X.js");')
    (root / "assets" / "index-X.js").write_text("export{}")
    (root / "assets" / "f.woff2").write_bytes(b"wOF2")
    (tmp_path / "frontend" / "secret.txt").write_text("secret")
    return root


def test_route_serves_files_with_types_cache_and_cors(tmp_path: Path) -> None:
    _extracted(tmp_path)

    async def scenario(client: TestClient[Any, Any]) -> None:
        resp = await client.get("/static/gradio/6.31.0/gradio.js")
        assert resp.status == 200
        assert await resp.text() == 'import("./assets/index-X.js");'
        assert resp.headers["Content-Type"] == "text/javascript; charset=utf-8"
        assert resp.headers["Cache-Control"] == CACHE_CONTROL
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
        font = await client.get("/static/gradio/6.31.0/assets/f.woff2")
        assert (font.status, font.headers["Content-Type"]) == (200, "font/woff2")
        head = await client.head("/static/gradio/6.31.0/assets/index-X.js")
        assert head.status == 200 and head.headers["Content-Length"] == "8"

    _serve(_frontends(tmp_path), scenario)


def test_route_refuses_traversal_and_missing_files(tmp_path: Path) -> None:
    _extracted(tmp_path)

    async def scenario(client: TestClient[Any, Any]) -> None:
        for path in [
            "/static/gradio/6.31.0/assets/..%2f..%2fsecret.txt",
            "/static/gradio/6.31.0/%2e%2e/secret.txt",
            "/static/gradio/6.31.0/missing.js",
            "/static/gradio/6.31.0/assets/",
        ]:
            resp = await client.get(path)
            assert resp.status == 404, path
            assert await resp.text() != "secret"
        missing = await client.get("/static/gradio/6.31.0/assets/..%2f..%2fsecret.txt")
        assert (await missing.json())["error"]["code"] == "not_found"
        bad = await client.get("/static/gradio/..%2f..%2f/gradio.js")
        assert bad.status == 404

    _serve(_frontends(tmp_path), scenario)


def test_route_unknown_version_is_404_json_with_a_hint(tmp_path: Path) -> None:
    async def scenario(client: TestClient[Any, Any]) -> None:
        resp = await client.get("/static/gradio/4.44.1/gradio.js")
        assert resp.status == 404
        error = (await resp.json())["error"]
        assert error["message"] == "no space or runtime image here runs Gradio 4.44.1"
        assert "sdk_version" in error["hint"]
        resp = await client.get("/static/gradio/latest/gradio.js")
        assert resp.status == 404
        assert "not a Gradio version" in (await resp.json())["error"]["message"]

    _serve(_frontends(tmp_path, FakeClient()), scenario)
