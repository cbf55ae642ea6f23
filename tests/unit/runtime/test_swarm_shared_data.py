"""``SPACEHOST_SWARM_DATA=shared`` (runtime/swarm_shared_data.py): each space's ``/data`` is a
folder under the shared folder, named by the platform instance and the volume, never outside
it; made for the app's user; bind-mounted into the task; removed with the volume; a folder the
platform cannot use stops it from starting, saying what to do. Real folders under tmp_path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from spacehost.errors import InvalidRequest
from spacehost.runtime.swarm_shared_data import (
    SharedData,
    check_shared_dir,
    shared_mount,
    with_shared_data,
)
from spacehost.server.backends import shared_data
from spacehost.settings import Settings
from tests.support.ports import free_port

VOLUME = "spacehost-data-1a2b3c4d-alice--demo"
AS_ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to uid 1000 needs root")


def test_a_space_folder_is_named_by_the_instance_and_its_volume(tmp_path: Path) -> None:
    a, b = SharedData(tmp_path, "instance-a"), SharedData(tmp_path, "instance-b")
    assert a.folder(VOLUME) == tmp_path / "instance-a" / VOLUME
    assert a.folder(VOLUME) != b.folder(VOLUME)  # two platforms on one share never share one
    assert a.folder(VOLUME) != a.folder("spacehost-data-1a2b3c4d-alice--other")


@pytest.mark.parametrize("name", ["..", ".", "../../etc", "a/../../b", "/etc", "", ".hidden"])
def test_a_name_can_never_escape_the_shared_folder(tmp_path: Path, name: str) -> None:
    with pytest.raises(InvalidRequest, match="cannot name a folder under") as err:
        SharedData(tmp_path, "inst").folder(name)
    assert "letters, digits" in err.value.hint
    with pytest.raises(InvalidRequest):
        SharedData(tmp_path, name).folder(VOLUME)


@AS_ROOT
def test_prepare_makes_the_folder_for_the_apps_user_once(tmp_path: Path) -> None:
    shared = SharedData(tmp_path, "inst")
    folder = shared.prepare(VOLUME)
    assert folder.is_dir() and (folder.stat().st_uid, folder.stat().st_gid) == (1000, 1000)
    (folder / "kept.txt").write_text("x")
    assert shared.prepare(VOLUME) == folder and (folder / "kept.txt").read_text() == "x"


@AS_ROOT
def test_remove_deletes_the_folder_and_what_it_holds_and_a_gone_one_is_fine(
    tmp_path: Path,
) -> None:
    shared = SharedData(tmp_path, "inst")
    folder = shared.prepare(VOLUME)
    (folder / "sub").mkdir()
    (folder / "sub" / "db.sqlite").write_bytes(b"\0" * 10)
    shared.remove(VOLUME)
    assert not folder.exists() and (tmp_path / "inst").is_dir()
    shared.remove(VOLUME)  # already gone: nothing to do


def test_the_data_volume_becomes_a_bind_mount_of_the_folder() -> None:
    args = {
        "task_template": {
            "ContainerSpec": {
                "Mounts": [
                    {"Type": "volume", "Source": "datasets", "Target": "/home/user/x"},
                    {"Type": "volume", "Source": VOLUME, "Target": "/data"},
                ]
            }
        }
    }
    folder = Path("/mnt/spacehost-data/inst") / VOLUME
    mounts = with_shared_data(args, folder)["task_template"]["ContainerSpec"]["Mounts"]
    assert mounts == [
        {"Type": "volume", "Source": "datasets", "Target": "/home/user/x"},
        {"Type": "bind", "Source": f"/mnt/spacehost-data/inst/{VOLUME}", "Target": "/data"},
    ]
    assert shared_mount(folder) == mounts[1]


def test_a_missing_folder_or_a_file_is_refused_saying_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequest, match="does not exist") as err:
        check_shared_dir(tmp_path / "not-mounted")
    assert "SPACEHOST_SWARM_SHARED_DIR" in err.value.message and "mount" in err.value.hint
    (tmp_path / "file").write_text("")
    with pytest.raises(InvalidRequest, match="is not a folder"):
        check_shared_dir(tmp_path / "file")


def test_a_folder_where_nothing_can_be_made_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="is not writable here") as err:
        check_shared_dir(Path("/proc"))  # a folder of the kernel's: no mkdir, even as root
    assert "no_root_squash" in err.value.hint and "anonuid=1000" in err.value.hint


@AS_ROOT
def test_a_usable_folder_passes_and_keeps_nothing_of_the_probe(tmp_path: Path) -> None:
    check_shared_dir(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_only_a_swarm_with_shared_data_checks_the_folder(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing")
    swarm = Settings(data_dir=tmp_path, runtime="swarm", swarm_url="unix:///x.sock")
    assert shared_data(swarm.with_(swarm_data="ephemeral", swarm_shared_dir=missing)) is None
    assert shared_data(Settings(swarm_data="shared", swarm_shared_dir=missing)) is None
    with pytest.raises(InvalidRequest, match="does not exist"):
        shared_data(swarm.with_(swarm_data="shared", swarm_shared_dir=missing))


def test_spacehost_up_refuses_to_start_without_the_shared_folder(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "SPACEHOST_RUNTIME": "swarm",
        "SPACEHOST_SWARM_URL": "unix:///nonexistent.sock",
        "SPACEHOST_REGISTRY": "registry.example.com",  # no registry of its own to start
        "SPACEHOST_SWARM_DATA": "shared",
        "SPACEHOST_SWARM_SHARED_DIR": str(tmp_path / "not-mounted"),
        "SPACEHOST_BUILTIN_CONTENT": "0",
    }
    done = subprocess.run(
        [sys.executable, "-m", "spacehost.cli.main", "up", "--data-dir", str(tmp_path / "d"),
         "--port", str(free_port())],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0
    assert f"SPACEHOST_SWARM_SHARED_DIR {tmp_path / 'not-mounted'} does not exist" in done.stderr
    assert "hint:" in done.stderr
