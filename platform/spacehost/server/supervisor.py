"""Keeping the router process alive, independently of the control plane's own life.

The router is started as a child and its pid is written to ``run/router.pid``. A control plane
that starts while a router of the same data dir is still running (the previous control plane
was killed, or re-executed itself on SIGHUP) adopts that router instead of starting a second one,
so restarting the control plane never interrupts requests to running spaces.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from spacehost.atomicfile import write_atomic
from spacehost.errors import SpacehostError

log = logging.getLogger("spacehost")


class RouterFailing(SpacehostError):
    """The router process keeps dying right after it starts."""


WATCH_INTERVAL_S = 0.1
STOP_TIMEOUT_S = 5.0
# a router that dies this many times within CRASH_WINDOW_S cannot start (e.g. its port was
# taken after the preflight check): restarting it forever would only burn a CPU
CRASH_LIMIT = 5
CRASH_WINDOW_S = 10.0


def cmdline(pid: int) -> bytes:
    """The command line of *pid*, its arguments ending in NUL bytes; b"" when it is gone."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def alive(pid: int) -> bool:
    """Whether *pid* runs (reaping it first when it is a dead child of ours)."""
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # an adopted router is not our child: once dead it stays a zombie until PID 1 reaps it
    # (never, where PID 1 does not reap), and kill(pid, 0) still succeeds on a zombie
    return _state(pid) not in ("Z", "X", "")


def _state(pid: int) -> str:
    """The process state letter from /proc (``R``, ``S``, ``Z``...); "" when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[0]


def stop_pid(pid: int, timeout: float = 5.0) -> None:
    """Stop *pid*: SIGTERM, then SIGKILL after *timeout* seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    end = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > end:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            return
        time.sleep(0.05)


class Supervisor:
    """Runs *command* (the router) and restarts it within :data:`WATCH_INTERVAL_S` of dying.

    Args:
        command: the router's command line; its data dir must appear in it (adoption checks it).
        pidfile: where the router's pid is kept.
    """

    def __init__(self, command: list[str], pidfile: Path):
        self.command = command
        self.pidfile = pidfile
        self.pid: int | None = None
        self.stopping = False
        self._proc: subprocess.Popen[bytes] | None = None  # when we started it ourselves

    def start(self, before_spawn: Callable[[], None] = lambda: None) -> None:
        """Adopt a running router of this data dir, or call *before_spawn* (a preflight check
        that may raise) and start one."""
        if self._adopt():
            log.info("adopted the running router (pid %s)", self.pid)
            return
        before_spawn()
        self._spawn()

    def ours_running(self) -> bool:
        """Whether a router of this data dir runs (to adopt or to replace); no side effects."""
        try:
            pid = int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return False
        if pid <= 0 or not alive(pid):
            return False
        line = cmdline(pid)
        return "\0".join(self.command[1:]).encode() in line or self._same_data_dir(line)

    def _adopt(self) -> bool:
        try:
            pid = int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return False
        signature = "\0".join(self.command[1:]).encode()
        if pid <= 0 or not alive(pid):
            return False
        line = cmdline(pid)
        if signature in line:
            self.pid = pid
            return True
        if self._same_data_dir(line):
            # this data dir's router, left running with another host, port or domain: it
            # must not keep serving the old address next to the new one
            log.info("the running router (pid %s) has other settings: replacing it", pid)
            stop_pid(pid)
        return False

    def _same_data_dir(self, line: bytes) -> bool:
        """Whether *line* is a router like ours (same program) for our data dir."""
        if "--data-dir" not in self.command:
            return False
        at = self.command.index("--data-dir")
        program = "\0".join(self.command[1:at]).encode()
        data_dir = f"--data-dir\0{self.command[at + 1]}\0".encode()
        return program in line and data_dir in line

    def _spawn(self) -> None:
        # its own session: a Ctrl-C meant for the control plane's terminal does not reach it
        proc = subprocess.Popen(self.command, start_new_session=True)
        self._proc, self.pid = proc, proc.pid
        write_atomic(self.pidfile, f"{proc.pid}\n")

    async def watch(self, clock: Callable[[], float] = time.monotonic) -> None:
        """Restart the router whenever it is found dead, until :meth:`stop`.

        Raises:
            RouterFailing: it died :data:`CRASH_LIMIT` times within :data:`CRASH_WINDOW_S`.
        """
        deaths: list[float] = []
        while not self.stopping:
            if self.pid is not None and not self._running() and not self.stopping:
                now = clock()
                deaths = [t for t in deaths if now - t < CRASH_WINDOW_S] + [now]
                if len(deaths) >= CRASH_LIMIT:
                    raise RouterFailing(
                        f"the router died {len(deaths)} times in "
                        f"{CRASH_WINDOW_S:.0f} s; see its errors above"
                    )
                log.warning("router (pid %s) is gone; starting it again", self.pid)
                self._spawn()
            await asyncio.sleep(WATCH_INTERVAL_S)

    def stop(self) -> None:
        """Stop the router (SIGTERM, then SIGKILL after :data:`STOP_TIMEOUT_S`)."""
        self.stopping = True
        pid = self.pid
        if pid is None or not self._running():
            return
        if self._proc is not None and self._proc.pid == pid:
            self._proc.terminate()
            try:
                self._proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        else:
            stop_pid(pid, STOP_TIMEOUT_S)
        with contextlib.suppress(FileNotFoundError):
            self.pidfile.unlink()

    def _running(self) -> bool:
        if self._proc is not None and self._proc.pid == self.pid:
            return self._proc.poll() is None
        return self.pid is not None and alive(self.pid)

    def detach(self) -> None:
        """Stop watching but leave the router running (for a control-plane re-exec)."""
        self.stopping = True
