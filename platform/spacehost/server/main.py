"""``spacehost up``: run the control plane in this process and the router as a child process.

The router is a separate process so that the data path does not depend on the control plane:
it keeps serving running spaces from the last route table while the control plane restarts,
and this supervisor restarts it at once if it dies.

Signals (docs/architecture.md): SIGINT (Ctrl-C) and SIGQUIT stop the control plane and the
router; SIGTERM stops the control plane only, the router keeps serving and the next ``up``
adopts it (a service manager's stop-and-start loses no request; ``spacehost down`` stops it);
SIGHUP restarts the control plane in place.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable
from typing import Any

from aiohttp import web

from spacehost.api import ensure_token
from spacehost.builder import DockerBuilder
from spacehost.dockerengine import connect, translated
from spacehost.domain import GpuRequest, RepoKind
from spacehost.errors import PortUnavailable, SpacehostError
from spacehost.identity import Accounts
from spacehost.lifecycle import Platform
from spacehost.runtime import discover_gpu_host, gpu_run_options
from spacehost.runtime.swarm_backend import SwarmBackend
from spacehost.server.backends import (
    docker_backend,
    engines_probe,
    node_source,
    runtime_backend,
    shared_data,
)
from spacehost.server.content import import_builtin, log_imports
from spacehost.server.control import make_app
from spacehost.server.down import control_pidfile, router_pidfile, write_pid
from spacehost.server.gpus import gpu_setup, start_broker, stop_broker
from spacehost.server.jobs import build_jobs
from spacehost.server.registry import start_own_registry, stop_own_registry
from spacehost.server.shorttokens import ReadTokens
from spacehost.server.supervisor import Supervisor
from spacehost.settings import Settings
from spacehost.store import HubStore, RevisionFiles, Store
from spacehost.store.gitrepos import GitRepos
from spacehost.store.private import secure_data_dir

log = logging.getLogger("spacehost")


def prewarm(builder: DockerBuilder) -> None:
    """Make the default runtime images now, so the first push does not wait for them."""
    progress = {"last": ""}

    def on_progress(line: str) -> None:
        if line != progress["last"]:
            log.info("runtime images: %s", line)
            progress["last"] = line

    try:
        tag = builder.ensure_runtime(on_log=lambda _line: None, on_progress=on_progress)
        log.info("runtime images ready: %s", tag)
    except SpacehostError as exc:
        log.warning(
            "could not prepare the runtime images now (%s); the first build will try again",
            exc.message,
        )
        return
    try:  # `hf jobs uv run`'s image (docs/jobs.md, "uv scripts"): small, on the python layer
        log.info("uv image for jobs ready: %s", builder.ensure_uv(on_log=lambda _line: None))
    except SpacehostError as exc:
        log.warning("could not make the uv image for jobs now (%s)", exc.message)


def prepare(settings: Settings, on_line: Callable[[str], None]) -> str:
    """Make the runtime images the default gradio space builds on, and the uv image of
    `hf jobs uv run` (``spacehost prepare``).

    Returns:
        The gradio runtime image's tag.

    Raises:
        EngineUnavailable, BuildFailed: no engine, or an image cannot be made.
    """
    builder = DockerBuilder(connect(settings), settings)
    tag = builder.ensure_runtime(on_log=on_line, on_progress=on_line)
    on_line(f"uv image for jobs: {builder.ensure_uv(on_log=on_line)}")
    return tag


def build_platform(
    settings: Settings, hub: HubStore | None = None, accounts: Accounts | None = None
) -> Platform:
    """Wire the store, builder, runtime, *hub* and *accounts* (which spaces are private) for
    *settings* (connects to the engine)."""
    client = connect(settings)
    with translated("reading the engine's runtimes"):
        gpu_host = discover_gpu_host(client.info())
    store = Store(settings.data_dir / "spacehost.db")
    files = RevisionFiles(settings.data_dir / "revisions")
    gpus = gpu_setup(settings, gpu_host)

    def check_gpu(request: GpuRequest, hardware: str | None = None) -> list[str]:
        return list(
            gpu_run_options(
                request, gpu_host, fallback=settings.gpu_fallback, hardware=hardware
            ).warnings
        )

    local = docker_backend(settings, client, gpu_host)
    # now, not at the first start: the containers reconcile adopts are fenced in too, and a
    # host where the rules cannot be installed stops here, with what to do
    local.prepare_network()
    for name in local.sweep_disks():
        log.info("released the disk of container %s, which is gone", name)
    backend = runtime_backend(settings, client, local)
    if isinstance(backend, SwarmBackend):  # GPUs are the nodes', not the build engine's
        check_gpu = backend.check_gpu
        if backend.hub is not None and accounts is not None:  # private repos on the nodes
            backend.hub.tokens = ReadTokens(accounts)
    return Platform(
        settings,
        store,
        files,
        DockerBuilder(client, settings, gpu_images=gpu_host.has_gpu),
        backend,
        check_gpu=check_gpu,
        gpus=gpus,
        hub=hub,
        engine_probe=functools.partial(engines_probe, settings, client),
        visibility=accounts,
    )


def adopt_owners(accounts: Accounts, platform: Platform, hub: HubStore) -> None:
    """Owners of spaces and repos that no account holds become organizations (of the first
    admin, once there is one): an earlier version's data keeps its namespaces."""
    owners = [r.id.owner for r in platform.queries.list_spaces()]
    owners += [r.repo_id.partition("/")[0] for kind in RepoKind for r in hub.repos(kind)]
    made = accounts.adopt_owners(owners)
    if made:
        log.info("owners without an account became organizations: %s", ", ".join(made))


def router_command(settings: Settings) -> list[str]:
    return [
        sys.executable,
        "-m",
        "spacehost.router",
        "--data-dir",
        str(settings.data_dir),
        "--host",
        settings.host,
        "--port",
        str(settings.port),
        "--domain",
        settings.domain,
    ]


def check_port_free(host: str, port: int) -> None:
    """Fail early, with what to do, when another program listens on the router's address.

    Raises:
        PortUnavailable: binding *host*:*port* fails (in use, or not an address of this host).
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise PortUnavailable(
            f"cannot listen on {host}:{port}: {exc.strerror}",
            hint="pass an address of this machine with --host",
        ) from exc
    family, kind, proto, _, addr = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(addr)
        except OSError as exc:
            raise PortUnavailable(
                f"cannot listen on {host}:{port}: {exc.strerror} (another program holds it?)",
                hint=f"stop the program on port {port} (`ss -ltnp 'sport = :{port}'` shows it) "
                "or choose another port with --port",
            ) from exc


def _stop_on_failure(
    task: asyncio.Task[None], stop: asyncio.Event, failure: list[BaseException]
) -> None:
    if not task.cancelled() and task.exception() is not None:
        failure.append(task.exception())  # type: ignore[arg-type]
        stop.set()


def _both(first: asyncio.Event, second: asyncio.Event) -> None:
    first.set()
    second.set()


async def serve(
    settings: Settings,
    *,
    on_ready: Callable[[dict[str, Any]], None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run the platform until *stop* is set or a signal (see the module's docstring)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    secure_data_dir(settings.data_dir)  # 0700, its databases and keys 0600 (an old install too)
    settings.control_socket.parent.mkdir(parents=True, exist_ok=True)
    supervisor = Supervisor(router_command(settings), router_pidfile(settings))
    if not supervisor.ours_running():  # before any work: a taken port is the commonest failure
        check_port_free(settings.host, settings.port)
    shared_data(settings)  # SPACEHOST_SWARM_DATA=shared: no start without a usable folder
    # a Swarm with no SPACEHOST_REGISTRY: spacehost's own, for as long as the control plane runs
    registry = await asyncio.to_thread(start_own_registry, settings)
    try:
        reexec = await _serve(settings, supervisor, on_ready=on_ready, stop=stop)
    finally:
        await asyncio.to_thread(stop_own_registry, settings, registry)
    if reexec:
        log.info("restarting the control plane (the router keeps serving)")
        os.execv(sys.executable, [sys.executable, *sys.argv])


async def _serve(
    settings: Settings,
    supervisor: Supervisor,
    *,
    on_ready: Callable[[dict[str, Any]], None] | None,
    stop: asyncio.Event | None,
) -> bool:
    """Serve until *stop* or a signal; True when SIGHUP asked to restart in place."""
    token = ensure_token(settings)
    # models' and datasets' git repositories beside the spaces' (docs/git.md)
    hub = await asyncio.to_thread(HubStore, settings.hub_dir, GitRepos(settings.git_dir))
    if settings.builtin_content:  # before reconcile: spaces it redeploys may mount them
        log_imports(await asyncio.to_thread(import_builtin, hub))
    accounts = await asyncio.to_thread(Accounts, settings.identity_db, token)
    platform = await asyncio.to_thread(build_platform, settings, hub, accounts)
    await asyncio.to_thread(adopt_owners, accounts, platform, hub)
    await start_broker(platform)  # before reconcile: adopted shared spaces call it at once
    await asyncio.to_thread(platform.reconcile)
    platform.recovery.start()  # notices the engine restarting and brings spaces back
    warm: asyncio.Task[None] | None = None
    if isinstance(platform.builder, DockerBuilder):
        warm = asyncio.create_task(asyncio.to_thread(prewarm, platform.builder))
    jobs = await asyncio.to_thread(build_jobs, platform, accounts, connect(settings))
    await asyncio.to_thread(jobs[0].start)  # adopts the jobs that ran, then starts waiting ones
    jobs[1].start()  # scheduled jobs' ticker
    nodes = await asyncio.to_thread(node_source, settings, platform.runtime)
    runner = web.AppRunner(make_app(platform, token, hub, accounts, jobs, nodes), access_log=None)
    await runner.setup()
    with contextlib.suppress(FileNotFoundError):
        os.unlink(settings.control_socket)
    await web.UnixSite(runner, str(settings.control_socket)).start()
    supervisor.start()
    stop = stop or asyncio.Event()
    failure: list[BaseException] = []
    watcher = asyncio.create_task(supervisor.watch())
    watcher.add_done_callback(lambda task: _stop_on_failure(task, stop, failure))
    loop = asyncio.get_running_loop()
    reexec = asyncio.Event()
    keep_router = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGQUIT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    with contextlib.suppress(NotImplementedError, RuntimeError):
        # SIGTERM (a service manager's stop or restart): the data path stays up for the next
        # `up` to adopt; SIGHUP restarts the control plane in place, the router serving meanwhile
        loop.add_signal_handler(signal.SIGTERM, _both, keep_router, stop)
        loop.add_signal_handler(signal.SIGHUP, _both, reexec, stop)
    write_pid(control_pidfile(settings))
    if on_ready:
        on_ready(
            {
                "url": settings.base_url,
                "domain": settings.domain,
                "token_file": str(settings.token_file),
                "router_pid": supervisor.pid,
            }
        )
    try:
        await stop.wait()
    finally:
        if warm is not None:
            warm.cancel()
        if reexec.is_set() or keep_router.is_set():
            supervisor.detach()
        else:
            supervisor.stop()
        if not reexec.is_set():
            with contextlib.suppress(FileNotFoundError):
                control_pidfile(settings).unlink()
        watcher.cancel()
        jobs[1].close()
        jobs[0].close()  # job containers keep running: the next `up` adopts them
        platform.close()
        await stop_broker(platform)
        if isinstance(platform.builder, DockerBuilder):
            platform.builder.close()  # frees the local pip mirror's port for other instances
        await runner.cleanup()
        platform.store.close()
        jobs[0].store.close()
        accounts.close()
        hub.close()
    if keep_router.is_set():
        log.info(
            "control plane stopped; the router (pid %s) keeps serving running spaces: "
            "the next `spacehost up` adopts it, `spacehost down` stops it",
            supervisor.pid,
        )
    if failure:
        raise failure[0]
    return reexec.is_set()
