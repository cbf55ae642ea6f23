"""A torch space built on a fresh Debian ``docker.io`` 20.10 engine, whose default bridge reports
no ``Gateway`` (issue 11, B13), gets the host's CPU torch through the local pip mirror.

The engine is a second ``dockerd`` started here, in a network namespace of its own (with its own
data root, exec root, pidfile and socket; the main engine is never touched), given a default
address pool so that its bridge's subnet differs from the main engine's. Its default bridge is
checked to lack ``Gateway`` first. The runtime images come from the main engine
(``docker save | docker load``: the namespace has no network); the build runs in a process inside
the namespace, as a platform using that engine would, so the mirror listens on that engine's
bridge. One build, a few minutes; the namespace, the daemon and its files go at teardown
whatever happens.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest

from spacehost.builder import DockerBuilder
from spacehost.builder.build_run import bridge_gateway
from spacehost.builder.cputorch import CpuTorch, find_cpu_torch
from spacehost.builder.mirror import MIRROR_HOSTNAME, MirrorStatus, mirror_url
from spacehost.builder.pipconfig import effective_pip_settings, host_pip_config
from spacehost.builder.runtime_images import (
    base_image_tag,
    gradio_image_tag,
    python_image_tag,
    system_image_tag,
)
from spacehost.settings import Settings
from tests.support.polling import wait_for

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]
RUN_ID = secrets.token_hex(3)
POOL = "10.213.0.0/16"  # the engine's bridge gets 10.213.0.0/24, the main one is elsewhere
GATEWAY = "10.213.0.1"
BUILD_TIMEOUT_S = 900
# 6.65 GB with PyPI's CUDA torch (the issue); about 1.3 GB with the CPU wheel.
MAX_IMAGE_BYTES = 3 << 30
# Runs inside the namespace: build a gradio space that needs torch, print the outcome.
BUILD = """\
import json, sys, time
from pathlib import Path
import docker
from spacehost.builder import DockerBuilder
from spacehost.builder.build_run import bridge_gateway
from spacehost.domain import Sdk, SpaceId
from spacehost.manifest.model import Manifest, SpaceSource
from spacehost.settings import Settings

socket_path, data_dir, tag = sys.argv[1:4]
client = docker.DockerClient(base_url=f"unix://{socket_path}", timeout=900)
builder = DockerBuilder(client, Settings.from_env({}, data_dir=Path(data_dir)))
source = SpaceSource(
    manifest=Manifest(title="T", sdk=Sdk.GRADIO, python_version="3.11"),
    files={"app.py": b"import torch\\n", "requirements.txt": b"torch\\n"},
    requirements=("torch",),
)
log = []
started = time.monotonic()
try:
    result = builder.build(source, SpaceId("b13", tag), "1" * 40, on_log=log.append)
finally:
    builder.close()
print(json.dumps({"image": result.image, "gateway": bridge_gateway(client), "log": log,
                  "seconds": round(time.monotonic() - started, 1)}))
"""


@dataclass
class Engine:
    client: docker.DockerClient
    namespace: str
    socket: Path
    root: Path


def _tools_missing() -> str:
    if os.geteuid() != 0:
        return "needs root (network namespaces, a second dockerd)"
    missing = [t for t in ("ip", "nsenter", "dockerd", "docker") if shutil.which(t) is None]
    return f"missing {', '.join(missing)}" if missing else ""


@pytest.fixture(scope="module")
def cpu_wheel() -> CpuTorch:
    """The host's CPU torch wheel for Python 3.11, as a build served by the mirror finds it."""
    pip = Settings.from_env({}).pip
    serving = MirrorStatus(url=mirror_url(pip.mirror_port), address=GATEWAY)
    plan = effective_pip_settings(pip, host_pip_config(), mirror=serving)
    wheel = find_cpu_torch(plan.served, "3.11")
    if wheel is None:
        pytest.skip("no local CPU torch wheel for Python 3.11 in this host's pip configuration")
    return wheel


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    if why := _tools_missing():
        pytest.skip(why)
    namespace = f"spacehost-b13-{RUN_ID}"
    root = Path(tempfile.mkdtemp(prefix="shb13-", dir="/tmp"))  # short: socket paths
    sock = root / "docker.sock"
    daemon: subprocess.Popen[bytes] | None = None
    client: docker.DockerClient | None = None
    try:
        subprocess.run(["ip", "netns", "add", namespace], check=True)
        inside = ["nsenter", f"--net=/run/netns/{namespace}"]
        subprocess.run([*inside, "ip", "link", "set", "lo", "up"], check=True)
        with open(root / "dockerd.log", "wb") as out:
            # nsenter, not `ip netns exec`: that one remounts /sys and hides the cgroups
            daemon = subprocess.Popen(
                [*inside, "dockerd", "--data-root", str(root / "data"), "--exec-root",
                 str(root / "exec"), "--pidfile", str(root / "docker.pid"), "-H",
                 f"unix://{sock}", "--default-address-pool", f"base={POOL},size=24"],
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        # the API version named: the default asks the engine for it, which is not up yet
        client = docker.DockerClient(base_url=f"unix://{sock}", version="1.41", timeout=900)
        wait_for(lambda: daemon.poll() is not None or _pings(client, sock), timeout=60,
                 what="the second dockerd")  # fmt: skip
        assert daemon.poll() is None, (root / "dockerd.log").read_text()
        yield Engine(client, namespace, sock, root)
    finally:
        if client is not None:
            client.close()
        _stop(daemon)
        subprocess.run(["ip", "netns", "del", namespace], check=False)
        _unmount_below(root)
        shutil.rmtree(root, ignore_errors=True)


def _pings(client: docker.DockerClient, sock: Path) -> bool:
    # a raw connection first: docker-py leaks the socket of a connection that fails
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(str(sock))
        except OSError:
            return False
    return bool(client.ping())


def _stop(daemon: subprocess.Popen[bytes] | None) -> None:
    if daemon is None or daemon.poll() is not None:
        return
    daemon.terminate()  # nsenter exec()s dockerd: this is dockerd's own pid
    try:
        daemon.wait(60)
    except subprocess.TimeoutExpired:
        daemon.kill()
        daemon.wait(30)


def _unmount_below(root: Path) -> None:
    """Lazily unmount whatever the daemon left mounted under *root* (deepest first)."""
    with open("/proc/self/mounts") as mounts:
        points = [line.split()[1] for line in mounts if line.split()[1].startswith(f"{root}/")]
    for point in sorted(points, key=len, reverse=True):
        subprocess.run(["umount", "-l", point], check=False)


def _transfer(tags: list[str], engine: Engine) -> None:
    with subprocess.Popen(["docker", "save", *tags], stdout=subprocess.PIPE) as save:
        load = subprocess.run(["docker", "-H", f"unix://{engine.socket}", "load", "-q"],
                              stdin=save.stdout, capture_output=True, timeout=300)  # fmt: skip
    assert save.returncode == 0 and load.returncode == 0, load.stderr


def test_a_torch_space_gets_the_cpu_torch_on_an_engine_whose_bridge_has_no_gateway(
    engine: Engine, cpu_wheel: CpuTorch, tmp_path: Path
) -> None:
    configs = engine.client.api.inspect_network("bridge")["IPAM"]["Config"]
    assert configs and not any(c.get("Gateway") for c in configs), configs  # as on Debian 20.10
    assert bridge_gateway(engine.client) == GATEWAY  # found from here too (another namespace)

    # the runtime images, current on the main engine, carried over as they are
    main = docker.from_env(timeout=900)
    try:
        DockerBuilder(main, Settings.from_env({}, data_dir=tmp_path / "main")).ensure_runtime(
            "3.11", on_log=lambda _line: None
        )
    finally:
        main.close()
    base = "debian:bookworm"
    _transfer([base_image_tag(base), system_image_tag(base), python_image_tag("3.11", base),
               gradio_image_tag(Settings().gradio_version, "3.11", base)], engine)  # fmt: skip

    done = subprocess.run(
        ["nsenter", f"--net=/run/netns/{engine.namespace}", sys.executable, "-c", BUILD,
         str(engine.socket), str(tmp_path / "data"), f"torch-{RUN_ID}"],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"\ntorch space built on the fresh engine in {result['seconds']} s")
    log = "\n".join(result["log"])

    assert result["gateway"] == GATEWAY  # inside: the bridge interface's own address
    assert "no default bridge network" not in log and "WARNING: skipping local" not in log
    assert f"Looking in links: http://{MIRROR_HOSTNAME}:7871/" in log
    version = engine.client.containers.run(
        result["image"], ["python", "-c", "import torch; print(torch.__version__)"],
        remove=True, network_mode="none",
    )  # fmt: skip
    assert bytes(version).decode().strip() == cpu_wheel.version
    assert cpu_wheel.version.endswith("+cpu")
    size = int(engine.client.images.get(result["image"]).attrs["Size"])
    print(f"image size {size / 1e9:.2f} GB")
    assert size < MAX_IMAGE_BYTES
