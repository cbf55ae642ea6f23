"""The Gradio frontend of one Gradio version (``gradio.js`` and every asset it imports), taken
from an image that has exactly that version installed, so that embeds work offline and can
never mismatch the app they show.

The files are copied once per version out of the image (``docker create`` + ``get_archive`` of
``<site-packages>/gradio/templates/frontend``), unpacked safely (regular files and folders only,
every name checked) into a temporary folder and renamed into place, so a reader sees either no
folder or a complete one.

Versions are kept apart in one page by the custom element's name: Gradio's bundle defines
``<gradio-app>`` only if no other script defined it first, so with two versions on a page the
first one would render both apps. The entry chunk is rewritten to define a version-specific
element (``<gradio-app-6-31-0>``, see :func:`element_name`) and, if still free, the plain
``<gradio-app>`` as a subclass, so existing snippets keep working.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import tarfile
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Any

import docker
import docker.errors

from spacehost.dockerengine import Failure, classify, container_error, translated
from spacehost.errors import BuildFailed, SpacehostError

FRONTEND_SUBPATH = "gradio/templates/frontend"
RUNTIME_REPOSITORY = "spacehost/gradio"
ENTRY = "gradio.js"
# What a version may look like in a URL and a folder name: PEP 440-ish, no separators.
_VERSION = re.compile(r"[0-9]+(?:\.[0-9]+){1,3}(?:(?:a|b|rc|\.post|\.dev)[0-9]+)*")
# Gradio 4-6 end their entry chunk with this statement (quotes: "" in 5.x, `` in 6.x).
_DEFINE = re.compile(
    r"customElements\.get\(\s*([`'\"])gradio-app\1\s*\)\s*\|\|\s*"
    r"customElements\.define\(\s*\1gradio-app\1\s*,\s*([A-Za-z_$][\w$]*)\s*\)"
)
# The entry chunk names its main stylesheet relative to the frontend's folder, and Gradio's
# mount_css resolves it against the ORIGIN of gradio.js (right only when the frontend is served
# at the root of its origin, as the app itself does). Served under /static/gradio/V/ that
# misses, so the name is made absolute against the chunk's own URL (it lives in assets/).
_MAIN_CSS = re.compile(r"([`'\"])\./assets/([\w.-]+\.css)\1")
_QUERY = (
    "import sysconfig, importlib.metadata as m; "
    "print(sysconfig.get_paths()['purelib']); print(m.version('gradio'))"
)
_LABELS = {"spacehost.kind": "frontend-extract"}


def is_version(version: str) -> bool:
    """Whether *version* is a Gradio version string that is safe as one path segment."""
    return bool(_VERSION.fullmatch(version))


def element_name(version: str) -> str:
    """The custom element name the frontend of *version* defines: ``6.31.0`` ->
    ``gradio-app-6-31-0`` (the same suffix Gradio uses for its ``gradio-container-6-31-0``
    class)."""
    return "gradio-app-" + re.sub(r"[^a-z0-9]+", "-", version.lower()).strip("-")


def frontend_dir(data_dir: Path, version: str) -> Path:
    """Where the frontend of *version* lives once extracted: ``DATA/frontend/VERSION``.

    Raises:
        ValueError: *version* is not a version string (it could name another folder).
    """
    if not is_version(version):
        raise ValueError(f"not a Gradio version: {version!r}")
    return data_dir / "frontend" / version


def rewrite_element_name(js: str, version: str) -> str | None:
    """*js* with Gradio's ``<gradio-app>`` definition replaced by a version-specific one.

    The versioned element is always defined; the plain ``gradio-app`` is defined too (as a
    subclass: one constructor cannot be registered under two names) when no other script took
    it first, so ``<gradio-app>`` keeps working on a page with one version.

    Returns:
        The rewritten source, or None when *js* does not define ``gradio-app``.
    """
    name = element_name(version)

    def replace(match: re.Match[str]) -> str:
        cls = match.group(2)
        # A comma expression, starting with the same token as the original statement, so it
        # fits wherever the original did.
        return (
            f"customElements.get(`{name}`)||customElements.define(`{name}`,{cls}),"
            f"customElements.get(`gradio-app`)||"
            f"customElements.define(`gradio-app`,class extends {cls}{{}})"
        )

    out, count = _DEFINE.subn(replace, js)
    return out if count else None


def absolute_css_urls(js: str) -> str:
    """*js* with ``"./assets/NAME.css"`` literals replaced by ``new URL(`./NAME.css`,
    import.meta.url).href``: right wherever the frontend is served from (for a chunk that lives
    in ``assets/``, as Gradio's entry chunk does)."""
    return _MAIN_CSS.sub(lambda m: f"new URL(`./{m.group(2)}`,import.meta.url).href", js)


def rewrite_frontend(folder: Path, version: str) -> list[Path]:
    """Rewrite the element definition (and make its main stylesheet's URL absolute) in the
    JavaScript files of an extracted *folder*.

    Returns:
        The files changed (one for every Gradio release seen so far).
    """
    changed = []
    for path in sorted(folder.rglob("*.js")):
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        if "gradio-app" not in text:
            continue
        new = rewrite_element_name(text, version)
        if new is not None:
            new = absolute_css_urls(new)
            path.write_text(new, encoding="utf-8", errors="surrogateescape")
            changed.append(path)
    return changed


def safe_member_path(name: str, top: str) -> PurePosixPath | None:
    """The path under *top* of an archive member called *name*, or None when it is unsafe (an
    absolute name, ``..``, a NUL byte, a backslash) or outside *top*."""
    if "\0" in name or "\\" in name or name.startswith("/"):
        return None
    parts = PurePosixPath(name).parts
    if not parts or parts[0] != top or any(p in ("..", "") for p in parts):
        return None
    return PurePosixPath(*parts[1:]) if len(parts) > 1 else PurePosixPath(".")


def unpack_frontend(stream: IO[bytes], dest: Path, top: str = "frontend") -> int:
    """Unpack the ``get_archive`` tar of the frontend folder from *stream* into *dest*.

    Only folders and regular files are written (links, devices and FIFOs are skipped), modes
    are 0755/0644 whatever the archive says, and every name must stay under *top*.

    Returns:
        The number of files written.

    Raises:
        BuildFailed: a member's name is unsafe (the archive is not what Docker sends).
    """
    written = 0
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        for member in tar:
            rel = safe_member_path(member.name, top)
            if rel is None:
                raise BuildFailed(f"unsafe name {member.name!r} in the Gradio frontend archive")
            target = dest / rel
            if member.isdir():
                target.mkdir(mode=0o755, parents=True, exist_ok=True)
            elif member.isfile():
                target.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
                src = tar.extractfile(member)
                if src is None:
                    continue
                with src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
                os.chmod(target, 0o644)
                written += 1
    return written


class _ChunkReader(io.RawIOBase):
    """A read-only raw stream over the chunks ``get_archive`` yields, for ``tarfile``."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = chunks
        self._rest = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._rest:
            try:
                self._rest = next(self._chunks)
            except StopIteration:
                return 0
        view = memoryview(buffer).cast("B")
        n = min(len(view), len(self._rest))
        view[:n] = self._rest[:n]
        self._rest = self._rest[n:]
        return n


def runtime_images_of(client: docker.DockerClient, version: str) -> list[str]:
    """The runtime images (``spacehost/gradio:VERSION-py...``) built for *version* here."""
    tags = []
    with translated("listing the runtime images", _frontend_error):
        for image in client.images.list(name=RUNTIME_REPOSITORY):
            tags += [t for t in image.tags if t.startswith(f"{RUNTIME_REPOSITORY}:{version}-py")]
    return sorted(tags)


def image_exists(client: docker.DockerClient, image: str) -> bool:
    with translated(f"looking for image {image}", _frontend_error):
        try:
            client.images.get(image)
        except docker.errors.ImageNotFound:
            return False
    return True


class FrontendExtractor:
    """Extracts Gradio frontends into ``DATA/frontend/VERSION``, once per version.

    Args:
        client: the Engine.
        data_dir: the platform's data directory.
    """

    def __init__(self, client: docker.DockerClient, data_dir: Path):
        self._client = client
        self._root = data_dir / "frontend"
        self._data_dir = data_dir
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @property
    def client(self) -> docker.DockerClient:
        """The Engine this extractor uses."""
        return self._client

    def extract(self, image: str, version: str) -> Path:
        """The frontend folder of *version*, extracted from *image* unless already there.

        Args:
            image: an image with Gradio *version* installed (a space image or a runtime image).
            version: the Gradio version.

        Returns:
            The folder (``gradio.js`` at its top).

        Raises:
            BuildFailed: the image has another Gradio version, or no frontend.
            EngineUnavailable: the Engine cannot be reached.
        """
        dest = frontend_dir(self._data_dir, version)
        with self._lock(version):
            if (dest / ENTRY).is_file():
                return dest
            self._root.mkdir(parents=True, exist_ok=True)
            if dest.exists():  # a folder left without its entry by hand: start over
                shutil.rmtree(dest)
            tmp = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=self._root))
            try:
                self._copy_out(image, version, tmp)
                rewrite_frontend(tmp, version)
                os.chmod(tmp, 0o755)
                os.replace(tmp, dest)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        return dest

    def _lock(self, version: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(version, threading.Lock())

    def _copy_out(self, image: str, version: str, tmp: Path) -> None:
        with translated(f"extracting the Gradio {version} frontend from {image}", _frontend_error):
            container = self._client.containers.run(
                image,
                entrypoint=["python", "-c", _QUERY],
                command=[],
                detach=True,
                network_disabled=True,
                labels=_LABELS,
                user="1000",
            )
            try:
                status = container.wait(timeout=120)
                out = container.logs(stdout=True, stderr=False).decode().split()
                if status.get("StatusCode") != 0 or len(out) != 2:
                    raise BuildFailed(
                        f"{image} has no Gradio to take the frontend from",
                        hint="rebuild the space or run `spacehost prepare`",
                    )
                purelib, installed = out
                if installed != version:
                    raise BuildFailed(f"{image} has Gradio {installed}, not {version}")
                chunks, _stat = container.get_archive(f"{purelib}/{FRONTEND_SUBPATH}")
                unpack_frontend(io.BufferedReader(_ChunkReader(iter(chunks)), 1 << 20), tmp)
            finally:
                with contextlib.suppress(docker.errors.APIError):
                    container.remove(force=True)
        if not (tmp / ENTRY).is_file():
            raise BuildFailed(f"the Gradio {version} frontend in {image} has no {ENTRY}")


def _frontend_error(exc: BaseException, doing: str) -> SpacehostError:
    """A path missing from the image means it has no frontend; the rest reads as for any
    container call (an engine that cannot be reached is ``EngineUnavailable``)."""
    if classify(exc) is Failure.NOT_FOUND:
        said = getattr(exc, "explanation", None) or exc
        return BuildFailed(f"{doing}: the Gradio frontend is not in the image ({said})")
    return container_error(exc, doing)
