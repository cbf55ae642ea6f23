"""Stand-ins for the Docker-facing parts, for unit tests of the lifecycle and the API.

FakeBackend "containers" are real loopback HTTP servers in threads, so health checks and the
router see real sockets; a container can be told to fail, crash or never answer.
"""

from __future__ import annotations

import http.server
import itertools
import threading
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field, replace

from spacehost.domain import SpaceId
from spacehost.errors import BuildCancelled, BuildFailed, Conflict, EngineUnavailable, NotFound
from spacehost.lifecycle.context import Builder
from spacehost.manifest.model import SpaceSource
from spacehost.runtime.base import (
    ContainerInfo,
    ContainerSpec,
    DiskUsage,
    RuntimeBackend,
    TaskResult,
)


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"app {self.server.revision}".encode()  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@dataclass
class FakeContainer:
    spec: ContainerSpec
    id: str
    status: str = "running"
    exit_code: int | None = None
    server: http.server.ThreadingHTTPServer | None = None
    lines: list[str] = field(default_factory=list)
    stopped: threading.Event = field(default_factory=threading.Event)
    # when each line was written (Docker's log timestamps); lines added by hand have none
    times: list[float] = field(default_factory=list)

    def write(self, line: str) -> None:
        """The app prints *line* now."""
        self.lines.append(line)
        self.times.append(time.time())


class FakeBackend(RuntimeBackend):
    """Implements RuntimeBackend with in-process HTTP servers (declared, so mypy checks every
    method against the protocol; tests/integration/runtime/test_backend_contract.py checks the
    behaviour against the Docker backend's)."""

    def __init__(self) -> None:
        self.containers: dict[str, FakeContainer] = {}
        self.volumes: set[str] = set()
        self.exit_on_start: int | None = None  # next start exits with this code
        self.silent = False  # next start never answers HTTP
        self.restarts = 0  # stopped containers started again
        self.tasks: list[ContainerSpec] = []  # run_task calls, in order
        self.task_result = TaskResult(0, ("task done",))  # what the next run_task returns
        self._ids = itertools.count(1)

    def start(self, spec: ContainerSpec) -> ContainerInfo:
        cid = f"c{next(self._ids):011d}"
        c = FakeContainer(spec, cid)
        c.write(f"starting {spec.revision[:12]}")
        if spec.data_volume:
            self.volumes.add(spec.data_volume)
        self.volumes.update(m.host_path for m in spec.mounts if m.volume)
        if self.exit_on_start is not None:
            c.status, c.exit_code = "exited", self.exit_on_start
            c.write("Traceback: boom")
            c.stopped.set()
            self.exit_on_start = None
        elif not self.silent:
            srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
            srv.revision = spec.revision  # type: ignore[attr-defined]
            threading.Thread(target=srv.serve_forever, daemon=True).start()
            c.server = srv
        self.containers[cid] = c
        info = self.inspect(cid)
        assert info is not None
        return info

    def _get(self, container_id: str) -> FakeContainer:
        """The container, or NotFound as the engine answers for a missing one."""
        c = self.containers.get(container_id)
        if c is None:
            raise NotFound(f"no such container: {container_id}")
        return c

    def start_existing(self, container_id: str) -> ContainerInfo:
        """Start a stopped container again: a new server, so a new port (as Docker may)."""
        c = self._get(container_id)
        if c.status != "running":
            srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
            srv.revision = c.spec.revision  # type: ignore[attr-defined]
            threading.Thread(target=srv.serve_forever, daemon=True).start()
            c.server, c.status, c.exit_code = srv, "running", None
            c.stopped = threading.Event()
            c.write(f"starting again {c.spec.revision[:12]}")
            self.restarts += 1
        info = self.inspect(container_id)
        assert info is not None
        return info

    def inspect(self, container_id: str) -> ContainerInfo | None:
        c = self.containers.get(container_id)
        if c is None:
            return None
        # as Docker: a paused container still reports its published port
        port = (
            c.server.server_address[1] if c.server and c.status in ("running", "paused") else None
        )
        return ContainerInfo(
            id=c.id,
            name=c.id,
            space=c.spec.space,
            revision=c.spec.revision,
            status=c.status,
            host="127.0.0.1" if port else ("127.0.0.1" if c.status == "running" else None),
            port=port or (1 if c.status == "running" else None),
            exit_code=c.exit_code,
            oom_killed=False,
            started_at=None,
            finished_at=None,
            gpu_ids=c.spec.gpu_ids,
        )

    def crash(self, container_id: str, code: int = 1) -> None:
        c = self.containers[container_id]
        c.write("Killed by test")
        self._halt(c, "exited", code)

    def _halt(self, c: FakeContainer, status: str, code: int | None) -> None:
        if c.server:
            c.server.shutdown()
            c.server.server_close()
            c.server = None
        c.status, c.exit_code = status, code
        c.stopped.set()

    def stop(self, container_id: str, timeout: float = 10) -> None:
        c = self._get(container_id)
        if c.status == "running":
            self._halt(c, "exited", 0)

    def remove(self, container_id: str) -> None:
        c = self.containers.pop(container_id, None)
        if c:
            self._halt(c, "removing", c.exit_code)

    def pause(self, container_id: str) -> None:
        c = self._get(container_id)
        if c.status != "running":
            raise Conflict(f"container {container_id} is not running")
        c.status = "paused"

    def unpause(self, container_id: str) -> None:
        c = self._get(container_id)
        if c.status != "paused":
            raise Conflict(f"container {container_id} is not paused")
        c.status = "running"

    def logs(self, container_id: str, tail: int | None = None) -> list[str]:
        lines = list(self._get(container_id).lines)
        if tail is None:
            return lines
        return lines[-tail:] if tail > 0 else []  # as the engine: tail=0 is no line

    def follow_logs(self, container_id: str, since: float | None = None) -> Iterator[str]:
        c = self._get(container_id)
        at = (
            0
            if since is None
            else next((i for i, t in enumerate(c.times) if t >= since), len(c.times))
        )
        stopped = c.stopped  # this run's: a start_existing makes a new one
        while True:  # lines written while followed come too, as a real engine streams them
            ended = stopped.wait(0.01)
            while at < len(c.lines):
                yield c.lines[at]
                at += 1
            if ended:
                return

    def list_managed(self, space: SpaceId | None = None) -> list[ContainerInfo]:
        infos = [self.inspect(cid) for cid in list(self.containers)]
        return [i for i in infos if i is not None and (space is None or i.space == space)]

    def remove_volume(self, name: str) -> None:
        users = [c.id for c in self.containers.values() if name in _volumes_of(c.spec)]
        if users:
            raise Conflict(f"volume {name} is in use by container {users[0]}")
        self.volumes.discard(name)

    def disk_usage(self, container_id: str) -> list[DiskUsage]:
        return []

    def run_task(self, spec: ContainerSpec, timeout: float) -> TaskResult:
        self.tasks.append(spec)
        self.volumes.update(m.host_path for m in spec.mounts if m.volume)
        return self.task_result


def _volumes_of(spec: ContainerSpec) -> set[str]:
    named = {m.host_path for m in spec.mounts if m.volume}
    return named | {spec.data_volume} if spec.data_volume else named


@dataclass
class FakeBuildResult:
    image: str


class FakeBuilder:
    """Builds nothing; logs two lines; fails when the space's app file contains 'BUILD_FAIL'."""

    def __init__(self) -> None:
        self.builds: list[tuple[SpaceId, str, bool]] = []
        self.gate: Callable[[], None] = lambda: None
        self.removed_images: list[tuple[SpaceId, tuple[str, ...]]] = []
        self.cancel: threading.Event | None = None
        self.revision_dates: list[float | None] = []  # what each build resolves as of

    def build(
        self,
        source: SpaceSource,
        space: SpaceId,
        revision: str,
        *,
        on_log: Callable[[str], None],
        nocache: bool = False,
        cancel: threading.Event | None = None,
        revision_date: float | None = None,
    ) -> FakeBuildResult:
        self.builds.append((space, revision, nocache))
        self.revision_dates.append(revision_date)
        self.cancel = cancel  # what the gate may wait on, as a real build's step would
        on_log("Step 1/2 : FROM spacehost/gradio")
        self.gate()
        if cancel is not None and cancel.is_set():
            raise BuildCancelled("the build was cancelled at Step 1/2 : FROM spacehost/gradio")
        if b"BUILD_FAIL" in source.files.get(source.manifest.app_file, b""):
            on_log("ERROR: no matching distribution")
            raise BuildFailed(
                "Step 2/2 : RUN pip install failed",
                details={
                    "log_tail": ["Step 2/2 : RUN pip install", "ERROR: no matching distribution"]
                },
            )
        on_log("Step 2/2 : COPY app")
        return FakeBuildResult(image=f"fake/{space.slug}:{revision[:12]}")

    def remove_images(self, space: SpaceId, keep: Collection[str]) -> list[str]:
        self.removed_images.append((space, tuple(sorted(keep))))
        return []


class OutageBackend(FakeBackend):
    """A FakeBackend whose engine can stop and start again, as Docker without live-restore:
    while it is down every call fails (EngineUnavailable) and log streams end; stopping it stops
    every container, a paused one too, unless told to leave them running (a daemon killed with
    -9)."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.stale_reports = 0  # inspects that call a running container exited (a settling view)
        self._outage = threading.Event()

    def check(self) -> None:
        if self.down:
            raise EngineUnavailable("cannot reach the Docker engine (test outage)")

    def stop_engine(self, *, kill_containers: bool = True) -> None:
        """The API goes first (as dockerd closes its listener), then the containers stop."""
        self.down = True
        self._outage.set()
        if kill_containers:
            for c in self.containers.values():
                if c.status in ("running", "paused"):
                    self._halt(c, "exited", 143)

    def start_engine(self) -> None:
        self.down = False
        self._outage.clear()

    def start(self, spec: ContainerSpec) -> ContainerInfo:
        self.check()
        return super().start(spec)

    def start_existing(self, container_id: str) -> ContainerInfo:
        self.check()
        return super().start_existing(container_id)

    def inspect(self, container_id: str) -> ContainerInfo | None:
        self.check()
        info = super().inspect(container_id)
        if info is not None and info.is_running and self.stale_reports > 0:
            # a Swarm manager just restarted may not know yet that its task runs on
            self.stale_reports -= 1
            return replace(info, status="exited", host=None, port=None)
        return info

    def stop(self, container_id: str, timeout: float = 10) -> None:
        self.check()
        super().stop(container_id, timeout)

    def remove(self, container_id: str) -> None:
        self.check()
        super().remove(container_id)

    def pause(self, container_id: str) -> None:
        self.check()
        super().pause(container_id)

    def unpause(self, container_id: str) -> None:
        self.check()
        super().unpause(container_id)

    def logs(self, container_id: str, tail: int | None = None) -> list[str]:
        self.check()
        return super().logs(container_id, tail)

    def follow_logs(self, container_id: str, since: float | None = None) -> Iterator[str]:
        self.check()
        c = self._get(container_id)
        yield from list(c.lines)
        while not c.stopped.wait(0.02):
            if self._outage.is_set():
                raise EngineUnavailable("the engine closed the log stream (test outage)")

    def list_managed(self, space: SpaceId | None = None) -> list[ContainerInfo]:
        self.check()
        return super().list_managed(space)


def _implements_the_protocols() -> tuple[RuntimeBackend, Builder]:
    """Never called: mypy (strict, tests/fakes.py is in its config) fails here when FakeBackend
    or OutageBackend leaves out a method of RuntimeBackend or changes its signature, or
    FakeBuilder drifts from the lifecycle's Builder."""
    fake: RuntimeBackend = OutageBackend()
    builder: Builder = FakeBuilder()
    return (fake if fake else FakeBackend()), builder
