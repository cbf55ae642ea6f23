"""The registry ``spacehost up`` starts itself on a Swarm when none is configured (issue 17).

With ``SPACEHOST_RUNTIME=swarm`` and no ``SPACEHOST_REGISTRY``, the platform runs Debian's
``docker-registry`` (runtime/registry_server.py) for as long as its control plane runs:

- storage and configuration in ``DATA_DIR/registry`` (kept across restarts: the images pushed
  before a restart are still there, under the same address);
- listening on every address, on ``Settings.own_registry_port``: the build engine pushes to
  ``127.0.0.1:PORT`` (loopback needs no engine configuration), the nodes pull from
  ``Settings.pull_registry`` (they list it as an insecure registry, docs/cluster.md);
- its pid in ``run/registry.pid``: a registry left by a control plane that was killed (SIGKILL,
  a power cut) is stopped by the next ``up`` and by ``spacehost down`` before anything else
  binds the port.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
from pathlib import Path

from spacehost.atomicfile import write_atomic
from spacehost.errors import EngineUnavailable, PortUnavailable
from spacehost.runtime.registry_server import DEFAULT_BINARY, RegistryServer
from spacehost.server.supervisor import alive, cmdline, stop_pid
from spacehost.settings import Settings

log = logging.getLogger("spacehost")


def registry_pidfile(settings: Settings) -> Path:
    """Where ``spacehost up`` keeps the pid of the registry it started."""
    return settings.data_dir / "run" / "registry.pid"


def stop_left_registry(settings: Settings) -> int | None:
    """Stop the registry a killed control plane of this data dir left running.

    Returns:
        Its pid, or None when none runs.
    """
    path = registry_pidfile(settings)
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    marker = str(settings.registry_dir / "config.yml").encode()
    found = pid if pid > 0 and alive(pid) and marker in cmdline(pid) else None
    if found is not None:
        stop_pid(found)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    return found


def start_own_registry(settings: Settings, binary: str = DEFAULT_BINARY) -> RegistryServer | None:
    """Start the platform's own registry (*binary*) when *settings* ask for one (else None).

    Raises:
        EngineUnavailable: ``/usr/bin/docker-registry`` is missing, or it did not start.
        PortUnavailable: another program listens on its port.
    """
    if not settings.own_registry:
        return None
    left = stop_left_registry(settings)
    if left is not None:
        log.info("stopped the registry (pid %s) a previous control plane left running", left)
    port = settings.own_registry_port
    server = RegistryServer(settings.registry_dir, host="0.0.0.0", port=port, binary=binary)
    try:
        server.start()
    except PortUnavailable as exc:
        raise PortUnavailable(
            f"{exc.message} (the registry spacehost starts with SPACEHOST_RUNTIME=swarm and no "
            "SPACEHOST_REGISTRY)",
            hint=f"stop the program on port {server.port} (`ss -ltnp 'sport = :{server.port}'` "
            "shows it), choose another port with SPACEHOST_REGISTRY_PORT (or the port of "
            "SPACEHOST_REGISTRY_PULL), or name a running registry in SPACEHOST_REGISTRY",
        ) from exc
    except EngineUnavailable as exc:  # no binary, or it did not start
        raise EngineUnavailable(
            f"{exc.message} (the registry spacehost starts with SPACEHOST_RUNTIME=swarm and no "
            "SPACEHOST_REGISTRY)",
            hint=f"{exc.hint}; or name a registry you run in SPACEHOST_REGISTRY (docs/cluster.md)",
            details=exc.details,
        ) from exc
    assert server.pid is not None
    write_atomic(registry_pidfile(settings), f"{server.pid}\n")
    log.info(
        "registry: started on port %d (storage %s); the build engine pushes to %s, nodes pull "
        "from %s (list it in each node's insecure-registries, docs/cluster.md)",
        server.port,
        settings.registry_dir / "storage",
        settings.push_registry,
        settings.pull_registry,
    )
    if _is_loopback(settings.pull_registry.rpartition(":")[0]):
        log.warning(
            "registry: nodes would pull from %s, a loopback address only this machine reaches; "
            "set SPACEHOST_SWARM_HUB_URL (or SPACEHOST_REGISTRY_PULL) to this machine's address "
            "on the nodes' network (docs/cluster.md)",
            settings.pull_registry,
        )
    return server


def stop_own_registry(settings: Settings, server: RegistryServer | None) -> None:
    """Stop the registry :func:`start_own_registry` started (nothing when it started none)."""
    if server is None:
        return
    server.stop()
    with contextlib.suppress(FileNotFoundError):
        registry_pidfile(settings).unlink()


def _is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
