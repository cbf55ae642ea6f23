"""The local pip mirror: the host's local pip sources (``file://`` index roots, wheel folders)
served read-only over HTTP to build containers, which cannot see the host's filesystem.

Builds reach it as ``http://spacehost-mirror:PORT/N/...`` (the name is mapped to the Docker
bridge gateway with ``extra_hosts``), where ``N`` is the position of a served folder ("root") in
the list the pip configuration yields (see :func:`spacehost.builder.pipconfig.mirror_roots`).
Those URLs end up in image layers (``/etc/pip.conf``), so the address they name must be the
same for every platform instance on the host and across restarts: one fixed port
(``SPACEHOST_MIRROR_PORT``), served by whichever instance bound it first and reused by the
others as long as it serves the same folders (``GET /_spacehost/mirror`` says which).

It is a stdlib :class:`~http.server.ThreadingHTTPServer` in a daemon thread (not an aiohttp
site): builds run in worker threads and in ``spacehost prepare``, where no event loop runs, and
the server must not compete with the control plane's loop for a 190 MB download. File bodies go
out with ``sendfile(2)``.

Folder pages are JSON (PEP 691, with upload times: :mod:`.simple_json`) when the client asks
for it, as pip does, else HTML. What is served, and only that: directory listings (or a
folder's own ``index.html``), ``.html``
index pages and package files (wheels, sdists, PEP 658 ``.metadata``), whose real path (symlinks
resolved) lies under a served root. Everything else is 404; only GET and HEAD are answered.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import html
import http.client
import json
import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from spacehost.builder.simple_json import JSON_TYPE, index_page_json, listing_json, wants_json

log = logging.getLogger(__name__)

MIRROR_HOSTNAME = "spacehost-mirror"
IDENTITY_PATH = "/_spacehost/mirror"
DEFAULT_PORT = 7871
SERVICE = "spacehost-mirror/1"
PROBE_TIMEOUT_S = 2.0

# Files pip asks an index or a find-links location for.
SERVED_SUFFIXES = (
    ".html",
    ".htm",
    ".whl",
    ".tar.gz",
    ".tgz",
    ".tar.bz2",
    ".tar.xz",
    ".zip",
    ".metadata",
)


def mirror_identity(roots: Sequence[str]) -> str:
    """What a mirror serving *roots* (in this order) calls itself: a hash of the folder list."""
    text = "\n".join([SERVICE, *roots])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def servable(name: str) -> bool:
    """True for file names the mirror hands out (index pages and package files)."""
    lower = name.lower()
    return not lower.startswith(".") and lower.endswith(SERVED_SUFFIXES)


def resolve_path(roots: Sequence[Path], url_path: str) -> Path | None:
    """The file or folder that *url_path* (``/N/rest/of/path``) names, or None.

    Args:
        roots: the served folders, already resolved (``Path.resolve()``).
        url_path: the request path, percent-encoded as it arrived (query ignored).

    Returns:
        A path whose resolved form lies under ``roots[N]`` (the root itself included) and which
        exists; None for anything else: another shape, an unknown ``N``, ``..`` that climbs out,
        a symlink pointing outside, a NUL byte, a missing file, or a file that is not
        :func:`servable`.
    """
    path = unquote(urlsplit(url_path).path)
    if "\x00" in path or "\\" in path:
        return None
    head, _, rest = path.lstrip("/").partition("/")
    if not head.isdigit() or int(head) >= len(roots):
        return None
    root = roots[int(head)]
    try:
        target = (root / rest).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, unreadable, or a symlink loop
        return None
    if target != root and root not in target.parents:
        return None
    if target.is_dir():
        return target
    return target if target.is_file() and servable(target.name) else None


def listing_names(folder: Path) -> list[str]:
    """The servable files and the sub-folders (``name/``) of *folder*, sorted."""
    names: list[str] = []
    with contextlib.suppress(OSError):
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                names.append(entry.name + "/")
            elif entry.is_file() and servable(entry.name):
                names.append(entry.name)
    return names


def render_listing(folder: Path, url_path: str) -> bytes:
    """An HTML page linking every servable file and sub-folder of *folder* (pip's find-links
    reads the ``<a href>`` of such a page)."""
    entries = [
        f'<a href="{quote(name)}">{html.escape(name)}</a><br>' for name in listing_names(folder)
    ]
    title = html.escape(url_path)
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title></head><body>\n"
        + "\n".join(entries)
        + "\n</body></html>\n"
    ).encode()


class MirrorServer(ThreadingHTTPServer):
    """The HTTP server; :meth:`start` runs it in a daemon thread.

    Args:
        address: the IP address to bind (the Docker bridge gateway, e.g. ``172.17.0.1``).
        port: the TCP port (0: any free one, for tests).
        roots: the folders to serve, in URL order.
    """

    daemon_threads = True
    allow_reuse_address = True  # rebinding right after a restart must not wait for TIME_WAIT
    request_queue_size = 64  # concurrent builds each open several connections at once

    def __init__(self, address: str, port: int, roots: Sequence[str]):
        super().__init__((address, port), _Handler)
        self.set_roots(roots)
        self._thread: threading.Thread | None = None

    def set_roots(self, roots: Sequence[str]) -> None:
        """Serve *roots* from now on (the identity follows)."""
        self.roots = tuple(roots)
        self.resolved = tuple(Path(r).resolve() for r in self.roots)
        self.identity = mirror_identity(self.roots)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> MirrorServer:
        self._thread = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": 0.1},  # how long close() waits for the loop to notice
            name=f"spacehost-mirror:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and release the port."""
        if self._thread is not None:
            self.shutdown()
            self._thread.join(5)
            self._thread = None
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: MirrorServer
    timeout = 120  # a build that stops reading must not hold a thread forever
    server_version = "spacehost-mirror"

    def do_GET(self) -> None:  # the stdlib's naming
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("mirror %s: " + format, self.address_string(), *args)

    def _answer(self, *, body: bool) -> None:
        if urlsplit(self.path).path == IDENTITY_PATH:
            server = self.server
            about = {
                "service": SERVICE,
                "identity": server.identity,
                "roots": len(server.roots),
                "upload_times": True,  # JSON pages with upload times (simple_json.py)
            }
            data = json.dumps(about).encode()
            self._bytes(data, "application/json", body)
            return
        target = resolve_path(self.server.resolved, self.path)
        if target is None:
            self._bytes(b"not found\n", "text/plain", body, HTTPStatus.NOT_FOUND)
        elif target.is_dir():
            self._folder(target, body)
        else:
            self._file(target, body)

    def _folder(self, folder: Path, body: bool) -> None:
        path = urlsplit(self.path).path
        if not path.endswith("/"):
            # Relative links in the page resolve against the folder only with the slash.
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", path + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        index = folder / "index.html"
        if wants_json(self.headers.get("Accept", "")):
            self._json(folder, index, body)
        elif index.is_file():
            self._file(index, body)
        else:
            self._bytes(render_listing(folder, path), "text/html; charset=utf-8", body)

    def _json(self, folder: Path, index: Path, body: bool) -> None:
        """The folder's page with upload times, for dated builds (see :mod:`.simple_json`)."""
        roots = self.server.resolved
        try:
            page = index.read_bytes() if index.is_file() else None
        except OSError:
            page = None
        if page is None:
            data = listing_json(folder, listing_names(folder))
        else:
            data = index_page_json(
                page, folder, lambda p: any(p == r or r in p.parents for r in roots)
            )
        self._bytes(data, JSON_TYPE, body)

    def _bytes(
        self, data: bytes, ctype: str, body: bool, status: HTTPStatus = HTTPStatus.OK
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Vary", "Accept")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _file(self, path: Path, body: bool) -> None:
        try:
            handle = path.open("rb")
        except OSError:
            self._bytes(b"not readable\n", "text/plain", body, HTTPStatus.NOT_FOUND)
            return
        with handle:
            stat = os.fstat(handle.fileno())
            span = _byte_range(self.headers.get("Range", ""), stat.st_size)
            if span is None:
                self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                self.send_header("Content-Range", f"bytes */{stat.st_size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            start, end = span
            partial = (start, end) != (0, stat.st_size)
            self.send_response(HTTPStatus.PARTIAL_CONTENT if partial else HTTPStatus.OK)
            ctype = (
                "text/html; charset=utf-8"
                if path.suffix in (".html", ".htm")
                else ("application/octet-stream")
            )
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(end - start))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Last-Modified", email.utils.formatdate(stat.st_mtime, usegmt=True))
            if partial:
                self.send_header("Content-Range", f"bytes {start}-{end - 1}/{stat.st_size}")
            self.end_headers()
            if body and end > start:
                self.wfile.flush()
                # Zero-copy from the page cache to the socket (os.sendfile under the hood).
                self.connection.sendfile(handle, start, end - start)


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """``(start, end)`` (end exclusive) for a ``Range`` header; the whole file when absent or
    not a single byte range; None when unsatisfiable."""
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec or "-" not in spec:
        return (0, size)
    first, _, last = (s.strip() for s in spec.partition("-"))
    try:
        if not first:  # "-N": the last N bytes
            start, end = max(size - int(last), 0), size
        else:
            start = int(first)
            end = min(int(last) + 1, size) if last else size
    except ValueError:
        return (0, size)
    if start >= size or start >= end:
        return None
    return (start, end)


@dataclass(frozen=True)
class MirrorStatus:
    """Whether builds can use the mirror now.

    Attributes:
        url: ``http://spacehost-mirror:PORT`` when it answers; "" when it does not.
        address: the IP the name must map to in builds (the bridge gateway).
        how: "" (nothing to serve), "serving" (this process), "shared" (another instance), or
            "unavailable".
        problem: why it is unavailable (a sentence for the build log).
    """

    url: str = ""
    address: str = ""
    how: str = ""
    problem: str = ""

    @property
    def hosts(self) -> dict[str, str]:
        """``extra_hosts`` for builds."""
        return {MIRROR_HOSTNAME: self.address} if self.url else {}


def mirror_url(port: int) -> str:
    """The base URL builds use: ``http://spacehost-mirror:7871``."""
    return f"http://{MIRROR_HOSTNAME}:{port}"


def probe(address: str, port: int, timeout: float = PROBE_TIMEOUT_S) -> tuple[str, str]:
    """Ask whatever listens on *address*:*port* who it is.

    Returns:
        ``("none", reason)`` when nothing accepts the connection, ``("mirror", identity)`` for
        a spacehost mirror, ``("foreign", description)`` for anything else.
    """
    conn = http.client.HTTPConnection(address, port, timeout=timeout)
    try:
        try:
            conn.connect()
        except OSError as exc:
            return ("none", str(exc))
        try:
            conn.request("GET", IDENTITY_PATH)
            response = conn.getresponse()
            data = json.loads(response.read(4096) or b"null")
        except (OSError, http.client.HTTPException, ValueError) as exc:
            return ("foreign", f"it does not answer as a spacehost mirror ({exc})")
        if isinstance(data, dict) and data.get("service") == SERVICE:
            return ("mirror", str(data.get("identity", "")))
        return (
            "foreign",
            f"it answered {IDENTITY_PATH} with HTTP {response.status}, not as a spacehost mirror",
        )
    finally:
        conn.close()


class Mirror:
    """Keeps a mirror of the given folders answering on the bridge gateway, for one builder.

    Args:
        port: ``settings.pip.mirror_port`` (0: never serve; local sources are dropped).
        gateway: returns the Docker bridge gateway address ("" when the Engine has none); may
            raise ``EngineUnavailable``.
    """

    def __init__(self, port: int, gateway: Callable[[], str]):
        self._port = port
        self._gateway = gateway
        self._lock = threading.Lock()
        self._server: MirrorServer | None = None

    @property
    def server(self) -> MirrorServer | None:
        """The server this process runs, if it runs one."""
        return self._server

    def ensure(self, roots: Sequence[str]) -> MirrorStatus:
        """Make sure a mirror serving *roots* answers; start one here if nothing listens.

        Returns:
            The status: usable (``url`` set), or why not (``problem``). Nothing to serve, or a
            port of 0, is an unused status (``url`` "", ``problem`` "" for no roots).
        """
        roots = tuple(roots)
        if not roots:
            return MirrorStatus()
        if self._port == 0:
            return MirrorStatus(
                how="unavailable",
                problem="the local pip mirror is turned off (SPACEHOST_MIRROR_PORT=0)",
            )
        address = self._gateway()
        if not address:
            return MirrorStatus(
                how="unavailable",
                problem="the Docker Engine has no default bridge network to serve the local pip "
                "mirror on (dockerd runs with --bridge=none?)",
            )
        with self._lock:
            return self._ensure(address, roots)

    def _ensure(self, address: str, roots: tuple[str, ...]) -> MirrorStatus:
        ok = MirrorStatus(url=mirror_url(self._port), address=address)
        server = self._server
        if server is not None and server.alive and server.server_address[0] == address:
            if server.roots != roots:
                log.info("local pip mirror: now serving %s", ", ".join(roots))
                server.set_roots(roots)
            return _with(ok, "serving")
        identity = mirror_identity(roots)
        kind, said = probe(address, self._port)
        if kind == "none":
            try:
                self._server = MirrorServer(address, self._port, roots).start()
            except OSError as exc:
                kind, said = probe(address, self._port)  # another instance won the race?
                if kind == "none":
                    return self._unavailable(address, f"cannot listen there: {exc.strerror}")
            else:
                log.info(
                    "local pip mirror on http://%s:%d/ serving %s",
                    address,
                    self._port,
                    ", ".join(roots),
                )
                return _with(ok, "serving")
        if kind == "mirror" and said == identity:
            return _with(ok, "shared")
        if kind == "mirror":
            return self._unavailable(
                address,
                "another spacehost instance serves a mirror of other folders there "
                "(its pip configuration differs)",
            )
        return self._unavailable(address, f"another program holds the port: {said}")

    def _unavailable(self, address: str, why: str) -> MirrorStatus:
        problem = (
            f"the local pip mirror cannot serve on {address}:{self._port}: {why}; set "
            "SPACEHOST_MIRROR_PORT to a free port (the same for every spacehost on this host)"
        )
        log.warning("%s", problem)
        return MirrorStatus(address=address, how="unavailable", problem=problem)

    def close(self) -> None:
        """Stop the server this process runs (if any); another instance may take over."""
        with self._lock:
            if self._server is not None:
                self._server.close()
                self._server = None


def _with(status: MirrorStatus, how: str) -> MirrorStatus:
    return MirrorStatus(url=status.url, address=status.address, how=how)
