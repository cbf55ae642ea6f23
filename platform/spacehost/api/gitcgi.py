"""Debian's ``git http-backend`` as a CGI behind aiohttp: one subprocess per request, bodies
streamed both ways (docs/git.md).

The request body goes to the CGI's stdin as it arrives, its stdout back to the client as it is
written; neither is ever whole in memory. git http-backend reads a body without
``CONTENT_LENGTH`` (git sends bodies above ``http.postBuffer`` chunked) into memory, up to
``http.maxRequestBuffer``, so such a body (or a gzip one, which aiohttp inflates as it reads) is
first spooled to a temp file to learn its length, then streamed from there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import Mapping
from pathlib import Path

from aiohttp import web

BACKEND = "/usr/lib/git-core/git-http-backend"
CHUNK = 1 << 16
_LOG = logging.getLogger(__name__)
# headers of the CGI's answer that are the HTTP exchange's own business, not the body's
_HOP = frozenset({"status", "connection", "transfer-encoding", "content-length"})


async def run_backend(
    request: web.Request, env: Mapping[str, str], spool_dir: Path
) -> web.StreamResponse:
    """Answer *request* with git http-backend run under *env* (the CGI variables besides the
    request's own: GIT_PROJECT_ROOT, PATH_INFO, REMOTE_USER, ...)."""
    spooled: Path | None = None
    try:
        length = _known_length(request)
        if request.can_read_body and length is None:
            spooled = spool_dir / f"git-body-{uuid.uuid4().hex}"
            length = await _spool(request, spooled)
        cgi = {**env, **_request_env(request, length)}
        proc = await asyncio.create_subprocess_exec(
            BACKEND,
            env=cgi,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        feeding = asyncio.create_task(_feed(request, proc, spooled))
        errors = asyncio.create_task(_drain_stderr(proc))
        try:
            response = await _respond(request, proc)
        finally:
            await _finish(proc, feeding, errors)
        await response.write_eof()  # the backend reaped first: nothing outlives the answer
        return response
    finally:
        if spooled is not None:
            with contextlib.suppress(FileNotFoundError):
                spooled.unlink()


def _known_length(request: web.Request) -> int | None:
    """The body's length as the CGI will read it; None when it must be counted first (chunked,
    or compressed: aiohttp hands over the inflated bytes)."""
    if "Content-Encoding" in request.headers:
        return None
    value = request.headers.get("Content-Length")
    return int(value) if value is not None and value.isdigit() else None


async def _spool(request: web.Request, path: Path) -> int:
    total = 0
    with open(path, "xb") as fh:
        async for chunk in request.content.iter_chunked(CHUNK):
            await asyncio.to_thread(fh.write, chunk)
            total += len(chunk)
    return total


def _request_env(request: web.Request, length: int | None) -> dict[str, str]:
    env = {
        "REQUEST_METHOD": request.method,
        "QUERY_STRING": request.query_string,
        "CONTENT_TYPE": request.headers.get("Content-Type", ""),
        "REMOTE_ADDR": request.remote or "",
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_PROTOCOL": f"HTTP/{request.version.major}.{request.version.minor}",
    }
    if length is not None:
        env["CONTENT_LENGTH"] = str(length)
    if "Git-Protocol" in request.headers:  # protocol v2, passed to upload-pack
        env["GIT_PROTOCOL"] = request.headers["Git-Protocol"]
    return env


async def _feed(
    request: web.Request, proc: asyncio.subprocess.Process, spooled: Path | None
) -> None:
    stdin = proc.stdin
    assert stdin is not None
    try:
        if spooled is not None:
            with open(spooled, "rb") as fh:
                while chunk := await asyncio.to_thread(fh.read, CHUNK):
                    stdin.write(chunk)
                    await stdin.drain()
        elif request.can_read_body:
            async for chunk in request.content.iter_chunked(CHUNK):
                stdin.write(chunk)
                await stdin.drain()
    except (BrokenPipeError, ConnectionResetError):
        pass  # the backend stopped reading (it answered an error): its answer says why
    finally:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            stdin.close()


async def _drain_stderr(proc: asyncio.subprocess.Process) -> None:
    assert proc.stderr is not None
    async for line in proc.stderr:
        _LOG.warning("git http-backend: %s", line.decode(errors="replace").rstrip())


async def _respond(request: web.Request, proc: asyncio.subprocess.Process) -> web.StreamResponse:
    stdout = proc.stdout
    assert stdout is not None
    status, headers = 200, {}
    while True:
        line = (await stdout.readline()).rstrip(b"\r\n")
        if not line:
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "status":
            status = int(value.strip().split()[0])
        elif name.lower() not in _HOP:
            headers[name.strip()] = value.strip()
    response = web.StreamResponse(status=status, headers=headers)
    await response.prepare(request)
    while chunk := await stdout.read(CHUNK):
        await response.write(chunk)
    return response


async def _finish(
    proc: asyncio.subprocess.Process, feeding: asyncio.Task[None], errors: asyncio.Task[None]
) -> None:
    """Reap the backend; a client gone midway leaves nothing running."""
    if proc.returncode is None and not feeding.done():
        feeding.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await feeding
    if proc.returncode is None:
        try:
            await asyncio.wait_for(proc.wait(), timeout=60)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
    await errors


def base_env(git_root: Path) -> dict[str, str]:
    """The CGI variables every git request shares."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(git_root),
        "GIT_PROJECT_ROOT": str(git_root),
        "GIT_HTTP_EXPORT_ALL": "1",
    }
