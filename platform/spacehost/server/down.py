"""``spacehost down``: stop the platform of a data dir, router included.

``spacehost up`` stops only its control plane on SIGTERM and leaves the router serving running
spaces (a service manager's restart loses no request; the next ``up`` adopts the router). This
is the explicit full stop: the control plane, if one runs, is sent SIGINT (it then stops its
router itself), and a router still running without one is stopped. Containers are left as
they are (``spacehost rm`` removes a space's). A registry spacehost started (server/registry.py)
is stopped with its control plane; one a killed control plane left is stopped here.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from spacehost.atomicfile import write_atomic
from spacehost.server.registry import stop_left_registry
from spacehost.server.supervisor import alive, cmdline, stop_pid
from spacehost.settings import Settings

WAIT_S = 30.0  # for a control plane to finish stopping (it waits for its router)


def control_pidfile(settings: Settings) -> Path:
    """Where ``spacehost up`` keeps its pid."""
    return settings.data_dir / "run" / "control.pid"


def router_pidfile(settings: Settings) -> Path:
    """Where ``spacehost up`` keeps its router's pid."""
    return settings.data_dir / "run" / "router.pid"


def write_pid(path: Path) -> None:
    """Record this process's pid in *path* (atomically)."""
    write_atomic(path, f"{os.getpid()}\n")


def _pid_of(path: Path, *markers: bytes) -> int | None:
    """The live process recorded in *path* whose command line has every one of *markers*."""
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    if pid <= 0 or pid == os.getpid() or not alive(pid):
        return None
    line = b"\0" + cmdline(pid)  # so that b"\0up\0" finds a first argument too
    return pid if all(m in line for m in markers) else None


def down(settings: Settings) -> list[str]:
    """Stop the control plane and the router of *settings.data_dir*.

    Returns:
        What was stopped, one line each (empty when nothing ran).
    """
    done: list[str] = []
    router = _pid_of(router_pidfile(settings), b"spacehost.router", str(settings.data_dir).encode())
    control = _pid_of(control_pidfile(settings), b"spacehost", b"\0up\0")
    if control is not None:
        os.kill(control, signal.SIGINT)  # Ctrl-C: it stops its router, then exits
        end = time.monotonic() + WAIT_S
        while alive(control) and time.monotonic() < end:
            time.sleep(0.05)
        line = f"stopped the control plane (pid {control})"
        if router is not None and not alive(router):
            line, router = f"{line} and its router (pid {router})", None
        done.append(line)
    if router is not None and alive(router):  # left serving by a SIGTERM, or a stuck stop
        stop_pid(router)
        done.append(f"stopped the router (pid {router})")
    with contextlib.suppress(FileNotFoundError):
        router_pidfile(settings).unlink()
    registry = stop_left_registry(settings)  # its control plane was killed (SIGKILL)
    if registry is not None:
        done.append(f"stopped the registry (pid {registry})")
    return done
