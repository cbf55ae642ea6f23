"""The router supervisor: spawn, restart when dead, adopt a live router of the same data dir."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from spacehost.server import supervisor
from spacehost.server.supervisor import Supervisor, alive
from tests.support.polling import wait_for


def command(tag: str) -> list[str]:
    return [sys.executable, "-c", "import time; time.sleep(60)", "--data-dir", tag]


def test_spawns_writes_pidfile_and_stops(tmp_path: Path) -> None:
    sup = Supervisor(command(str(tmp_path)), tmp_path / "router.pid")
    sup.start()
    assert sup.pid is not None and alive(sup.pid)
    assert int((tmp_path / "router.pid").read_text()) == sup.pid
    sup.stop()
    assert sup._proc is not None and sup._proc.poll() is not None
    assert not (tmp_path / "router.pid").exists()


def test_adopts_a_live_router_of_the_same_data_dir(tmp_path: Path) -> None:
    first = Supervisor(command(str(tmp_path)), tmp_path / "router.pid")
    first.start()
    # until the child has exec'd, /proc shows the parent's command line
    wait_for(
        lambda: b"--data-dir" in Path(f"/proc/{first.pid}/cmdline").read_bytes(),
        timeout=10,
        what="the child's command line",
    )
    second = Supervisor(command(str(tmp_path)), tmp_path / "router.pid")
    second.start()
    assert second.pid == first.pid
    other = Supervisor(command(str(tmp_path / "elsewhere")), tmp_path / "router.pid")
    other.start()  # another data dir's command line: not adopted
    assert other.pid != first.pid
    other.stop()
    second.stop()
    assert first.pid is not None
    wait_for(
        lambda: first._proc is not None and first._proc.poll() is not None,
        timeout=10,
        what="the adopted router to stop",
    )


def test_a_stale_pidfile_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "router.pid").write_text(f"{os.getpid()}\n")  # alive, but not a router
    sup = Supervisor(command(str(tmp_path)), tmp_path / "router.pid")
    sup.start()
    assert sup.pid != os.getpid()
    sup.stop()


def test_watch_restarts_a_dead_router(tmp_path: Path) -> None:
    sup = Supervisor(command(str(tmp_path)), tmp_path / "router.pid")
    sup.start()
    first = sup.pid
    assert first is not None

    async def scenario() -> None:
        watcher = asyncio.create_task(sup.watch())
        os.kill(first, signal.SIGKILL)
        for _ in range(100):
            if sup.pid != first:
                break
            await asyncio.sleep(0.05)
        watcher.cancel()

    asyncio.run(scenario())
    assert sup.pid != first and sup.pid is not None
    assert sup._running()
    sup.stop()


def test_a_zombie_that_is_not_our_child_counts_as_dead() -> None:
    import subprocess

    # a grandchild left unreaped by its parent: what an adopted router is after dying, until
    # PID 1 reaps it; kill(pid, 0) still succeeds on it
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys, time; "
            "p = subprocess.Popen([sys.executable, '-c', 'pass']); print(p.pid, flush=True); "
            "time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        zombie = int(parent.stdout.readline())
        wait_for(lambda: supervisor._state(zombie) == "Z", timeout=10, what="a zombie")
        os.kill(zombie, 0)
        assert not supervisor.alive(zombie)
    finally:
        parent.kill()
        parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()


def test_a_router_of_this_data_dir_with_other_settings_is_replaced(tmp_path: Path) -> None:
    old = Supervisor([*command(str(tmp_path)), "--port", "8001"], tmp_path / "router.pid")
    old.start()
    wait_for(
        lambda: b"8001" in Path(f"/proc/{old.pid}/cmdline").read_bytes(),
        timeout=10,
        what="the child's command line",
    )
    new = Supervisor([*command(str(tmp_path)), "--port", "8002"], tmp_path / "router.pid")
    new.start()  # `up --port 8002` on the same data dir: the old address must stop serving
    assert new.pid != old.pid
    assert old._proc is not None and old._proc.wait(10) is not None
    new.stop()


def test_watch_gives_up_on_a_router_that_dies_at_once(tmp_path: Path) -> None:
    # e.g. its port was taken: restarting it every 100 ms forever would only burn a CPU
    dying = [sys.executable, "-c", "raise SystemExit(3)", "--data-dir", str(tmp_path)]
    sup = Supervisor(dying, tmp_path / "router.pid")
    sup.start()

    async def run() -> None:
        await asyncio.wait_for(sup.watch(), timeout=30)

    try:
        asyncio.run(run())
    except supervisor.RouterFailing as exc:
        assert f"died {supervisor.CRASH_LIMIT} times" in exc.message
    else:
        raise AssertionError("watch() kept restarting a router that cannot start")
    finally:
        sup.stop()


def test_ours_running_sees_only_this_data_dirs_router(tmp_path: Path) -> None:
    sup = Supervisor(command(str(tmp_path)), tmp_path / "router.pid")
    assert not sup.ours_running()
    sup.start()
    try:
        wait_for(
            lambda: b"--data-dir" in Path(f"/proc/{sup.pid}/cmdline").read_bytes(),
            timeout=10,
            what="the child's command line",
        )
        assert sup.ours_running()
        other = Supervisor(command(str(tmp_path / "elsewhere")), tmp_path / "router.pid")
        assert not other.ours_running()
    finally:
        sup.stop()
    assert not sup.ours_running()
