"""Disk limits (runtime/storage.py) on the real engine: a space container writing past its
limits gets ENOSPC in /tmp, its home and /data, the host's disk holds no more than the limits,
and the disks survive a stop, a lost mount (a reboot) and are released with the container."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from docker import DockerClient

from spacehost.errors import EngineUnavailable
from spacehost.runtime.docker_backend import DockerBackend
from spacehost.runtime.gpu import GpuHost
from spacehost.runtime.storage import DiskLimits, LoopDisks, release_all
from tests.support.docker_runtime import RUN_ID, TEST_LABEL, http_status, make_spec, space
from tests.support.polling import wait_for

pytestmark = pytest.mark.docker

LAYER = 64 << 20
VOLUME = 32 << 20
SLEEP = ("sleep", "infinity")


@pytest.fixture
def limited(client: DockerClient, image: str, tmp_path: Path) -> Iterator[DockerBackend]:
    disks = LoopDisks(tmp_path / "disks")
    yield DockerBackend(client, gpu_host=GpuHost(), disk_limits=DiskLimits(disks, LAYER, VOLUME))
    for c in client.containers.list(all=True, filters={"label": f"{TEST_LABEL}={RUN_ID}"}):
        c.stop(timeout=0)
    release_all(disks.root)
    for c in client.containers.list(all=True, filters={"label": f"{TEST_LABEL}={RUN_ID}"}):
        c.remove(force=True)
    for v in client.volumes.list(filters={"label": "spacehost.managed=true"}):
        if v.name.startswith(f"rttest-{RUN_ID}-"):
            v.remove(force=True)


def write(engine: DockerClient, container_id: str, path: str, mib: int) -> tuple[int, str]:
    """``dd`` *mib* MiB into *path* as the app's user; (exit code, output)."""
    code, out = engine.containers.get(container_id).exec_run(
        ["sh", "-c", f"dd if=/dev/zero of={path} bs=1M count={mib} 2>&1"], user="1000:1000"
    )
    return code, out.decode()


def allocated(path: Path) -> int:
    return path.stat().st_blocks * 512


def test_writes_past_the_limits_fail_with_enospc_and_stay_off_the_host(
    limited: DockerBackend,
    client: DockerClient,
) -> None:
    volume = f"rttest-{RUN_ID}-data"
    info = limited.start(make_spec(SLEEP, data_volume=volume))
    neighbour = limited.start(make_spec(space=space("neighbour")))
    for path in ("/tmp/big", "/home/user/big", "/data/big"):
        code, out = write(client, info.id, path, 200)
        assert code != 0 and "No space left on device" in out, (path, out)
        client.containers.get(info.id).exec_run(["rm", "-f", path])
    write(client, info.id, "/tmp/fill", 200)
    write(client, info.id, "/data/fill", 200)
    usage = {u.path: u for u in limited.disk_usage(info.id)}
    assert usage["/"].full and usage["/data"].full
    assert usage["/"].size <= LAYER and usage["/data"].size <= VOLUME
    disks = LoopDisks(Path(limited._limits.disks.root))  # type: ignore[union-attr]
    on_host = sum(allocated(disks.image(n)) for n in disks.names())
    assert on_host <= LAYER + VOLUME, on_host  # 400 MiB written, at most 96 MiB on the host
    # the app sees its limit as its disk, and another space serves on
    df = client.containers.get(info.id).exec_run(["df", "-k", "/"]).output.decode()
    assert int(df.split("\n")[1].split()[1]) * 1024 <= LAYER, df
    host, port = neighbour.host, neighbour.port
    assert host and port
    assert wait_for(lambda: http_status(host, port) == 200, what="the neighbour to answer")


def test_disks_survive_a_stop_and_a_reboot_and_go_with_the_container(
    limited: DockerBackend,
    client: DockerClient,
) -> None:
    volume = f"rttest-{RUN_ID}-keep"
    info = limited.start(make_spec(SLEEP, data_volume=volume))
    assert write(client, info.id, "/tmp/kept", 1)[0] == 0
    assert write(client, info.id, "/data/kept", 1)[0] == 0
    limited.stop(info.id, timeout=0)
    disks = limited._limits.disks  # type: ignore[union-attr]
    for name in disks.names():  # what a reboot does: every mount gone, the files stay
        target = disks.root / f"{name}.target"
        if target.is_file():
            subprocess.run(["umount", target.read_text()], check=True)
        subprocess.run(["umount", str(disks.mountpoint(name))], check=True)
    again = limited.start_existing(info.id)
    assert again.is_running
    ls = client.containers.get(info.id).exec_run(["ls", "/tmp/kept", "/data/kept"])
    assert ls.exit_code == 0, ls.output
    _, out = write(client, info.id, "/tmp/big", 200)
    assert "No space left on device" in out
    limited.remove(info.id)
    assert [n for n in disks.names() if n.startswith("layer-")] == []
    limited.remove_volume(volume)
    assert disks.names() == []
    loops = subprocess.run(["losetup", "-a"], capture_output=True, text=True).stdout
    assert str(disks.root) not in loops


def test_a_start_that_fails_leaves_no_layer_bind_behind(
    limited: DockerBackend,
    client: DockerClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The engine failing as a stopped space is started again (a daemon restart under way):
    the layer disk must not stay bound on the layer folder, where the engine's own mount of
    its root would hide it when it comes back and keep the container from being removed
    (tests/e2e/test_daemon_restart.py found it)."""
    import requests

    info = limited.start(make_spec(SLEEP))
    limited.stop(info.id, timeout=0)
    disks = limited._limits.disks  # type: ignore[union-attr]
    (layer,) = [n for n in disks.names() if n.startswith("layer-")]
    bound = Path((disks.root / f"{layer}.target").read_text())
    subprocess.run(["umount", str(bound)], check=True)  # as after a reboot: mounted at start

    def engine_going_down(*args: object, **kwargs: object) -> None:
        raise requests.ConnectionError("the engine went away")

    monkeypatch.setattr(client.api, "start", engine_going_down)
    with pytest.raises(EngineUnavailable):
        limited.start_existing(info.id)
    assert not bound.is_mount()
    monkeypatch.undo()
    assert limited.start_existing(info.id).is_running  # and it binds again on the next start
    assert bound.is_mount()
    limited.remove(info.id)
    assert [n for n in disks.names() if n.startswith("layer-")] == []


def test_a_volume_whose_disk_was_deleted_with_its_data_dir_is_made_anew(
    limited: DockerBackend,
    client: DockerClient,
) -> None:
    # the operator deleted the data dir (the disks with it) and starts afresh on the same path:
    # the engine still has the volume, binding a folder that no longer exists
    volume = f"rttest-{RUN_ID}-wiped"
    first = limited.start(make_spec(SLEEP, data_volume=volume))
    assert write(client, first.id, "/data/old", 1)[0] == 0
    limited.remove(first.id)
    release_all(Path(limited._limits.disks.root))  # type: ignore[union-attr]
    again = limited.start(make_spec(SLEEP, data_volume=volume))
    code, out = client.containers.get(again.id).exec_run(
        ["sh", "-c", "ls -A /data && touch /data/new && echo written"], user="1000:1000"
    )
    assert (code, out.decode().split()) == (0, ["written"])
