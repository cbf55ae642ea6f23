"""A space's disk, outside in (issue 11: A5, A9, A11), on a real platform with small limits.

A space writing past its limits gets ENOSPC inside its container (``/tmp``, its home folder,
``/data``) while the host's disk holds no more than the limits, the platform reports the full
disk in the runtime JSON and on the space page, and another space serves on. Pushes prune
superseded revisions; ``rm`` frees the space's revision folders, images and disks; ``rm``
during a slow build returns at once and leaves no image or container; a newer push cancels
the build it supersedes."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
import requests

from spacehost.settings import Settings
from tests.e2e.conftest import (
    ROOT,
    SPACEHOST,
    Running,
    remove_containers,
    start_platform,
    stop_platform,
)
from tests.support.polling import wait_for
from tests.support.ports import free_port

pytestmark = pytest.mark.docker

LAYER = 96 << 20
VOLUME = 48 << 20
SLOW_S = 120  # the slow build step; everything here must end long before it would
QUICK_S = 10.0  # what "at once" means for an rm or a cancelled build


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    data = tmp_path_factory.mktemp("disk-platform")
    proc, run = start_platform(
        data,
        free_port(),
        extra_env={
            "SPACEHOST_SPACE_DISK": str(LAYER),
            "SPACEHOST_DATA_DISK": str(VOLUME),
            "SPACEHOST_KEEP_REVISIONS": "1",
        },
    )
    try:
        yield run
    finally:
        stop_platform(proc, run, "disk")
        remove_containers(data)


def space_dir(tmp: Path, marker: str, slow: bool = False) -> Path:
    """The docker-app example with *marker* in its server (a revision of its own) and, when
    *slow*, a build step that runs SLOW_S seconds after printing that it started."""
    folder = tmp / marker
    shutil.copytree(ROOT / "spaces" / "docker-app", folder)
    with open(folder / "server.py", "a") as f:
        f.write(f"\n# {marker}\n")
    if slow:
        text = (folder / "Dockerfile").read_text()
        # A nonce per run: the engine's build cache must never hold this step finished (a
        # cached step would end the build at once). The log shows "...-started-42" only when
        # the step really runs: its command line holds "$((6*7))", not 42.
        step = (
            f"RUN echo {uuid.uuid4().hex} >/dev/null && "
            f"echo slow-step-{marker}-started-$((6*7)) && sleep {SLOW_S}\n"
        )
        (folder / "Dockerfile").write_text(text.replace("USER user\n", step + "USER user\n"))
    return folder


def runtime(run: Running, space: str) -> dict[str, Any]:
    resp = requests.get(f"{run.url}/api/spaces/{space}/runtime", timeout=10)
    resp.raise_for_status()
    result: dict[str, Any] = resp.json()
    return result


def container_of(run: Running, space: str) -> Any:
    instance = Settings(data_dir=run.data_dir).instance
    found = docker.from_env().containers.list(
        filters={
            "label": [
                f"spacehost.instance={instance}",
                f"spacehost.space={space}",
                "spacehost.role=app",
            ]
        }
    )
    assert len(found) == 1, found
    return found[0]


def write_mib(container: Any, path: str, mib: int) -> str:
    result = container.exec_run(
        ["sh", "-c", f"dd if=/dev/zero of={path} bs=1M count={mib} 2>&1"], user="1000:1000"
    )
    return str(result.output.decode())


def images_of(space: str) -> list[str]:
    # the low-level list: one call, no inspect of each image (another test may remove one)
    images = docker.from_env().api.images(filters={"label": f"spacehost.space={space}"})
    return [t for image in images for t in image.get("RepoTags") or [] if t != "<none>:<none>"]


def folders(run: Running) -> set[str]:
    return {p.name for p in (run.data_dir / "revisions").iterdir() if not p.name.startswith(".")}


def allocated(root: Path, pattern: str = "**/*") -> int:
    """Bytes the files under *root* take on the host's disk (sparse files: what is written)."""
    return sum(p.stat().st_blocks * 512 for p in root.glob(pattern) if p.is_file())


def build_rows(run: Running, space: str) -> list[tuple[str, str, str]]:
    with sqlite3.connect(f"file:{run.data_dir / 'spacehost.db'}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT revision, status, error FROM builds WHERE space = ? ORDER BY id", (space,)
        ).fetchall()
    return [(str(a), str(b), str(c or "")) for a, b, c in rows]


def push_in_background(run: Running, folder: Path, space: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*SPACEHOST, "push", str(folder), "--name", space],
        env=run.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )


def wait_slow_step(run: Running, space: str, marker: str) -> None:
    def started() -> bool:
        resp = requests.get(
            f"{run.url}/api/spaces/{space}/logs", params={"kind": "build", "full": "1"}, timeout=10
        )
        return resp.status_code == 200 and f"slow-step-{marker}-started-42" in resp.text

    wait_for(started, timeout=120, what=f"the slow build step of {space} to run")


def test_writes_past_the_limits_fail_inside_the_space_and_are_reported(
    running: Running, tmp_path: Path
) -> None:
    full, other = "e2e/disk-full", "e2e/disk-other"
    running.cli("push", str(space_dir(tmp_path, "full")), "--name", full, check=True)
    running.cli("push", str(space_dir(tmp_path, "other")), "--name", other, check=True)
    disks = running.data_dir / "disks"
    before = allocated(disks, "*.img")
    box = container_of(running, full)
    for path in ("/tmp/big", "/home/user/big", "/data/big"):
        out = write_mib(box, path, 300)
        assert "No space left on device" in out, (path, out)
    # 900 MiB written, at most the limits on the host's disk
    assert allocated(disks, "*.img") - before <= LAYER + VOLUME
    usage = {d["path"]: d for d in runtime(running, full)["disk"]}
    assert usage["/"]["full"] and usage["/data"]["full"], usage
    assert usage["/"]["size"] <= LAYER and usage["/data"]["size"] <= VOLUME
    page = requests.get(f"{running.url}/spaces/{full}", timeout=10).text
    assert "id=disk-full" in page and "No space left on device" in page
    # the platform and the other space serve on; the full one too (its server writes nothing)
    for space in (other, full):
        resp = requests.get(running.space_url(space, "path") + "api/hello", timeout=10)
        assert resp.status_code == 200 and resp.json()["space"] == space
    running.cli("rm", full, "--yes", check=True)
    assert not [n for n in (p.name for p in disks.iterdir()) if "disk-full" in n]
    loops = subprocess.run(["losetup", "-a"], capture_output=True, text=True).stdout
    assert "disk-full" not in loops


def test_pushes_prune_revisions_and_rm_frees_them(running: Running, tmp_path: Path) -> None:
    space = "e2e/disk-many"
    first = folders(running)
    size_before = allocated(running.data_dir / "revisions")
    for n in range(3):
        running.cli("push", str(space_dir(tmp_path, f"many-{n}")), "--name", space, check=True)
    # the serving revision and SPACEHOST_KEEP_REVISIONS=1 other, with their images (pruned
    # once the old container is gone, a moment after the push returns)
    wait_for(
        lambda: len(folders(running) - first) == 2 and len(images_of(space)) == 2,
        timeout=30,
        what="the oldest revision to be pruned",
    )
    running.cli("rm", space, "--yes", check=True)
    assert folders(running) == first
    assert images_of(space) == []
    assert allocated(running.data_dir / "revisions") <= size_before


def test_rm_cancels_a_build_in_progress(running: Running, tmp_path: Path) -> None:
    space = "e2e/disk-slow"
    push = push_in_background(running, space_dir(tmp_path, "slow-rm", slow=True), space)
    try:
        wait_slow_step(running, space, "slow-rm")
        t0 = time.monotonic()
        running.cli("rm", space, "--yes", check=True, timeout=60)
        took = time.monotonic() - t0
        assert took < QUICK_S, f"rm took {took:.1f} s"
        push.wait(QUICK_S * 3)
    finally:
        push.kill()
        push.wait()
    assert images_of(space) == []
    client = docker.from_env()
    steps = [
        c
        for c in client.containers.list(all=True)
        if "slow-step-slow-rm" in str(c.attrs.get("Config", {}).get("Cmd"))
    ]
    assert steps == []  # the build step's container is gone too


def test_a_newer_push_cancels_the_build_it_supersedes(running: Running, tmp_path: Path) -> None:
    space = "e2e/disk-superseded"
    slow = push_in_background(running, space_dir(tmp_path, "slow-a", slow=True), space)
    try:
        wait_slow_step(running, space, "slow-a")
        t0 = time.monotonic()
        running.cli(
            "push", str(space_dir(tmp_path, "fast-b")), "--name", space, check=True, timeout=SLOW_S
        )
        assert time.monotonic() - t0 < SLOW_S / 2  # B did not wait for A's step to end
        slow.wait(QUICK_S * 3)
    finally:
        slow.kill()
        slow.wait()
    rows = build_rows(running, space)
    assert rows[0][1] == "cancelled" and "superseded by revision" in rows[0][2], rows
    assert rows[-1][1] == "succeeded", rows
    info = runtime(running, space)
    assert info["stage"] == "RUNNING" and not info["errorMessage"]
    resp = requests.get(running.space_url(space, "path") + "api/hello", timeout=10)
    assert resp.status_code == 200
    assert len(images_of(space)) == 1  # A left none
