"""`spacehost down` (server/down.py) against stand-in processes: a control plane that stops
its router on SIGINT, as `spacehost up` does, and a router left serving by a SIGTERM."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from spacehost.server.down import control_pidfile, down, router_pidfile
from spacehost.server.supervisor import alive
from spacehost.settings import Settings
from tests.support.polling import wait_for

# a stand-in `spacehost up`: on SIGINT it stops the router whose pid is in its pidfile and, as
# `spacehost up` does, waits until it has stopped (dead, or a zombie: it is the test's child)
UP = """
import os, signal, sys, time
def ended(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True
def stop(*_):
    pid = int(open(sys.argv[1]).read())
    os.kill(pid, signal.SIGTERM)
    end = time.monotonic() + 10
    while not ended(pid) and time.monotonic() < end:
        time.sleep(0.01)
    sys.exit(0)
signal.signal(signal.SIGINT, stop)
print("ready", flush=True)
time.sleep(60)
"""


@pytest.fixture()
def procs() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for p in started:
        p.kill()
        p.wait()
        if p.stdout is not None:
            p.stdout.close()


def spawn(procs: list[subprocess.Popen[str]], args: list[str], pidfile: Path) -> int:
    proc = subprocess.Popen([sys.executable, "-c", *args], stdout=subprocess.PIPE, text=True)
    procs.append(proc)
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    pidfile.parent.mkdir(parents=True, exist_ok=True)
    pidfile.write_text(f"{proc.pid}\n")
    return proc.pid


def router(procs: list[subprocess.Popen[str]], settings: Settings) -> int:
    code = "import time; print('ready', flush=True); time.sleep(60)"
    return spawn(
        procs,
        [code, "spacehost.router", "--data-dir", str(settings.data_dir)],
        router_pidfile(settings),
    )


def test_down_stops_the_control_plane_and_through_it_the_router(
    tmp_path: Path, procs: list[subprocess.Popen[str]]
) -> None:
    settings = Settings(data_dir=tmp_path)
    r = router(procs, settings)
    c = spawn(
        procs, [UP, str(router_pidfile(settings)), "spacehost", "up"], control_pidfile(settings)
    )
    assert down(settings) == [f"stopped the control plane (pid {c}) and its router (pid {r})"]
    wait_for(lambda: not alive(r) and not alive(c), timeout=10, what="both to stop")
    assert not router_pidfile(settings).exists()


def test_down_stops_a_router_left_serving(
    tmp_path: Path, procs: list[subprocess.Popen[str]]
) -> None:
    settings = Settings(data_dir=tmp_path)
    r = router(procs, settings)
    assert down(settings) == [f"stopped the router (pid {r})"]
    assert not alive(r)
    assert down(settings) == []


def test_down_leaves_processes_that_are_not_this_platforms_alone(
    tmp_path: Path, procs: list[subprocess.Popen[str]]
) -> None:
    settings = Settings(data_dir=tmp_path)
    other = subprocess.Popen(["sleep", "60"], text=True)
    procs.append(other)
    for pidfile in (control_pidfile(settings), router_pidfile(settings)):
        pidfile.parent.mkdir(parents=True, exist_ok=True)
        pidfile.write_text(f"{other.pid}\n")  # alive, but neither `up` nor a router
    assert down(settings) == []
    assert alive(other.pid)
