"""One Docker boundary (issue 12): every entry point that talks to the engine — the builder's
build and ensure_runtime, the runtime's start/stop/inspect/logs, connecting, and the engine
watch's probe — is fed the same engine failures by real local servers (a closed port, a missing
socket, a listener that never answers, an engine that answers 500 or 404) through a real
docker-py client, and raises the same errors: an engine that cannot be reached is
``EngineUnavailable`` with one message and hint everywhere; an engine that stopped answering or
answered with an error is described in the same words everywhere, and is the same error within
each reading (a build's, a container call's, a ping's)."""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import docker
import pytest

from spacehost.builder import DockerBuilder
from spacehost.dockerengine import connect, probe
from spacehost.domain import Sdk, SpaceId
from spacehost.errors import BuildFailed, EngineUnavailable, NotFound, SpacehostError
from spacehost.lifecycle.engine_watch import EngineWatch
from spacehost.manifest.model import Manifest, SpaceSource
from spacehost.runtime import ContainerSpec, DockerBackend
from spacehost.settings import PipSettings, Settings

# docker-py leaves the socket of a failed connect unclosed (as in
# tests/integration/builder/test_build.py)
pytestmark = [
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]

TIMEOUT_S = 1  # the client's, against the engine that never answers
SPACE = SpaceId("alice", "boundary")
BASE = "spacehost-test/absent-base:1"  # not a debian: base, so nothing is bootstrapped
CID = "0123456789ab"

UNREACHABLE = "cannot reach the Docker Engine"
SILENT = "the Docker Engine stopped answering"
REFUSED = "the Docker Engine refused it"
# failure -> the words every entry point uses for it
SAID = {
    "closed port": UNREACHABLE,
    "no socket": UNREACHABLE,
    "silent": SILENT,
    "500": REFUSED,
    "404": REFUSED,
}
# reading -> failure -> the error (None: the call answers None, as inspect does for 404)
ERRORS: dict[str, dict[str, type[SpacehostError] | None]] = {
    "build": {
        "closed port": EngineUnavailable,
        "no socket": EngineUnavailable,
        "silent": BuildFailed,
        "500": BuildFailed,
        "404": BuildFailed,
    },
    "container": {
        "closed port": EngineUnavailable,
        "no socket": EngineUnavailable,
        "silent": EngineUnavailable,
        "500": EngineUnavailable,
        "404": NotFound,
    },
    "ping": dict.fromkeys(SAID, EngineUnavailable),
}


def _answering(status: int, message: str) -> type[BaseHTTPRequestHandler]:
    class Engine(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.dumps({"message": message}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = do_HEAD = answer

        def log_message(self, *args: object) -> None:
            pass

    return Engine


@contextlib.contextmanager
def _http_engine(status: int, message: str) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _answering(status, message))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def _silent_engine() -> Iterator[str]:
    """Connections are accepted (by the kernel's backlog) and never answered."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"tcp://127.0.0.1:{listener.getsockname()[1]}"


@contextlib.contextmanager
def _closed_port() -> Iterator[str]:
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port = probe_socket.getsockname()[1]
    yield f"tcp://127.0.0.1:{port}"


@pytest.fixture(autouse=True)
def _collect_leaked_sockets(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Collect the sockets of failed connects while this module's warning filters apply (the
    watch's warning is not kept: its record would hold the exception, and the socket, on)."""
    caplog.set_level(logging.ERROR, logger="spacehost.lifecycle.engine_watch")
    yield
    gc.collect()


@pytest.fixture(params=list(SAID))
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(failure, base URL) of an engine that fails that way."""
    failure: str = request.param
    places: dict[str, Callable[[], contextlib.AbstractContextManager[str]]] = {
        "closed port": _closed_port,
        "no socket": lambda: contextlib.nullcontext(f"unix://{tmp_path}/no-docker.sock"),
        "silent": _silent_engine,
        "500": lambda: _http_engine(500, "the engine exploded"),
        "404": lambda: _http_engine(404, "page not found"),
    }
    with places[failure]() as url:
        yield failure, url


def _builder(client: docker.DockerClient, tmp_path: Path) -> DockerBuilder:
    settings = Settings(
        data_dir=tmp_path,
        python_bases={"3.11": BASE},
        pip=PipSettings(source="none", mirror_port=0),
    )
    return DockerBuilder(client, settings)


def _build(client: docker.DockerClient, tmp_path: Path) -> object:
    source = SpaceSource(
        manifest=Manifest(title="B", sdk=Sdk.GRADIO, python_version="3.11"),
        files={"app.py": b"print(1)\n"},
    )
    return _builder(client, tmp_path).build(source, SPACE, "1" * 40, on_log=lambda _line: None)


def _ensure_runtime(client: docker.DockerClient, tmp_path: Path) -> object:
    return _builder(client, tmp_path).ensure_runtime("3.11", on_log=lambda _line: None)


def _backend(client: docker.DockerClient) -> DockerBackend:
    return DockerBackend(client, isolation=None)


def _start(client: docker.DockerClient, _tmp: Path) -> object:
    return _backend(client).start(ContainerSpec(space=SPACE, revision="1" * 40, image=BASE))


def _watch_probe(client: docker.DockerClient, _tmp: Path) -> object:
    watch = EngineWatch(functools.partial(probe, client), on_back=lambda: None)
    watch.step()
    assert watch.down and watch.outages == 1  # the watch sees the engine down
    probe(client)
    return "answered"


ENTRY_POINTS: dict[str, tuple[str, Callable[[docker.DockerClient, Path], object]]] = {
    "builder build": ("build", _build),
    "builder ensure_runtime": ("build", _ensure_runtime),
    "runtime start": ("container", _start),
    "runtime stop": ("container", lambda c, _t: _backend(c).stop(CID)),
    "runtime inspect": ("container", lambda c, _t: _backend(c).inspect(CID)),
    "runtime logs": ("container", lambda c, _t: _backend(c).logs(CID)),
    "engine watch probe": ("ping", _watch_probe),
}


def _client(url: str) -> docker.DockerClient:
    return docker.DockerClient(base_url=url, version="1.41", timeout=TIMEOUT_S)


def _check(error: type[SpacehostError] | None, said: str, call: Callable[[], object]) -> None:
    if error is None:
        assert call() is None
        return
    with pytest.raises(SpacehostError) as info:
        call()
    err = info.value
    assert type(err) is error, err
    doing, _, what = err.message.partition(": ")
    assert doing and what.startswith(said), err.message  # what was done, then what happened
    assert err.hint
    if error is EngineUnavailable and said == UNREACHABLE:
        assert "SPACEHOST_DOCKER_URL" in err.hint and "docker info" in err.hint
    assert isinstance(err.__cause__, Exception)  # raised from the SDK's exception


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_every_entry_point_reads_an_engine_failure_the_same(
    entry: str, engine: tuple[str, str], tmp_path: Path
) -> None:
    failure, url = engine
    reading, call = ENTRY_POINTS[entry]
    error, said = ERRORS[reading][failure], SAID[failure]
    if reading == "container" and failure == "404":
        said = "not found"  # a container call names what is missing
        if entry == "runtime inspect":
            error = None  # a container that is not there is no error for inspect
    client = _client(url)
    try:
        _check(error, said, lambda: call(client, tmp_path))
    finally:
        client.close()


def test_connecting_reads_an_engine_failure_as_the_probe_does(
    engine: tuple[str, str], tmp_path: Path
) -> None:
    failure, url = engine
    settings = Settings(data_dir=tmp_path, docker_url=url)
    _check(EngineUnavailable, SAID[failure], lambda: connect(settings, timeout=TIMEOUT_S))


def _what(err: SpacehostError) -> str:
    """What the message says happened, without what was being done and the SDK's words."""
    return err.message.partition(": ")[2].partition(" (")[0]


def test_unreachable_reads_alike_at_every_entry_point(tmp_path: Path) -> None:
    """Not only the words: the whole hint too."""
    url = f"unix://{tmp_path}/no-docker.sock"
    seen = set()
    for _reading, call in ENTRY_POINTS.values():
        client = _client(url)
        try:
            with pytest.raises(EngineUnavailable) as info:
                call(client, tmp_path)
        finally:
            client.close()
        seen.add((_what(info.value), info.value.hint))
    with pytest.raises(EngineUnavailable) as info:
        connect(Settings(data_dir=tmp_path, docker_url=url))
    seen.add((_what(info.value), info.value.hint))
    del info
    gc.collect()
    assert len(seen) == 1, seen
