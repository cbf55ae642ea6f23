"""What a running space can reach, tried from inside a real space container (issue 11, A2), its
CPU limit and weight (A6), and an ``sdk: docker`` space's working directory (A11).

A real platform (`spacehost up`, router on 0.0.0.0 as an operator serving others would run it)
serves two small ``sdk: docker`` spaces. From inside one of them, with ``docker exec`` as the
app's user, a Python one-liner tries: the other space's container, the host's gateway addresses
at the router port, the local pip mirror's port and a port the test listens on, and a container
on the default bridge (standing for the outside world: egress is off by default). Each target is
first shown to answer from the host, so a refusal comes from the fence, not from a dead target.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
from collections.abc import Iterator

import docker
import pytest
import requests
from docker.models.containers import Container

from spacehost.builder.mirror import Mirror, probe
from spacehost.settings import Settings
from tests.e2e.conftest import Running, remove_containers, start_platform, stop_platform
from tests.support.polling import wait_for
from tests.support.ports import free_port

pytestmark = pytest.mark.docker

RUN_ID = secrets.token_hex(3)
TEST_LABEL = "spacehost.test-isolation"
APP_PORT = 8080
MIRROR_PORT = 7871
SERVER = """\
import http.server, json, os

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"cwd": os.getcwd(), "space": os.environ.get("SPACE_ID")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

http.server.ThreadingHTTPServer(("0.0.0.0", 8080), Handler).serve_forever()
"""
# The image's WORKDIR is not the contract's /home/user/app: the app must start there (as on HF).
DOCKERFILE = """\
FROM spacehost/base:bookworm
RUN mkdir -p /srv/x /opt/app
WORKDIR /srv/x
COPY server.py /opt/app/server.py
CMD ["python3", "/opt/app/server.py"]
"""
README = f"""\
---
title: Fence
sdk: docker
app_port: {APP_PORT}
---
"""
# Run inside the space as its user: connect to each "host:port", print what happened.
PROBE = """\
import json, socket, sys
out = {}
for target in sys.argv[1:]:
    host, port = target.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=4).close()
        out[target] = "open"
    except OSError as exc:
        out[target] = f"{type(exc).__name__}: {exc}"
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def client() -> Iterator[docker.DockerClient]:
    c = docker.from_env()
    yield c
    c.close()


@pytest.fixture(scope="module")
def spaces(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    folder = tmp_path_factory.mktemp("fence-space")
    for name, text in (("README.md", README), ("Dockerfile", DOCKERFILE), ("server.py", SERVER)):
        (folder / name).write_text(text)
    data = tmp_path_factory.mktemp("fence-platform")
    # no disk limits: they are tested elsewhere and would only slow this module down
    env = {"SPACEHOST_HOST": "0.0.0.0", "SPACEHOST_SPACE_DISK": "0", "SPACEHOST_DATA_DISK": "0"}
    proc, running = start_platform(data, free_port(), env)
    try:
        for name in ("fence-a", "fence-b"):
            running.cli("push", str(folder), "--name", f"e2e/{name}", check=True)
        yield running
    finally:
        stop_platform(proc, running, "isolation")
        remove_containers(running.data_dir)


@pytest.fixture(scope="module")
def outside(client: docker.DockerClient) -> Iterator[tuple[str, int, str]]:
    """A server on the default bridge, where builds run: the world beyond a space. Yields its
    address, port and the default bridge's gateway."""
    box = client.containers.run(
        "spacehost/base:bookworm", ["python3", "-m", "http.server", "7999"], detach=True,
        network="bridge", labels={TEST_LABEL: RUN_ID}, name=f"spacehost-fence-outside-{RUN_ID}",
    )  # fmt: skip
    try:
        box.reload()
        ip, gateway = addresses(box)
        wait_for(lambda: _answers(ip, 7999), timeout=30, what="the outside server")
        yield ip, 7999, gateway
    finally:
        box.remove(force=True)


@pytest.fixture(scope="module")
def host_listener() -> Iterator[int]:
    """Anything listening on the host on every address."""
    with socket.socket() as sock:
        sock.bind(("0.0.0.0", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def mirror(
    outside: tuple[str, int, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The local pip mirror's address (the default bridge's gateway); this test serves one
    there unless an instance does."""
    gateway = outside[2]
    ours = Mirror(MIRROR_PORT, lambda: gateway)
    if probe(gateway, MIRROR_PORT)[0] == "none":
        ours.ensure([str(tmp_path_factory.mktemp("wheels"))])
    try:
        assert probe(gateway, MIRROR_PORT)[0] != "none", "nothing serves the mirror's port"
        yield gateway
    finally:
        ours.close()


def _answers(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=3).close()
        return True
    except OSError:
        return False


def app_container(client: docker.DockerClient, running: Running, space: str) -> Container:
    instance = Settings(data_dir=running.data_dir).instance
    found = client.containers.list(
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


def addresses(box: Container) -> tuple[str, str]:
    """The container's IP and its network's gateway (the host, as the container sees it)."""
    network = next(iter(box.attrs["NetworkSettings"]["Networks"].values()))
    return network["IPAddress"], network["Gateway"]


def test_a_docker_space_starts_in_its_images_workdir(spaces: Running) -> None:
    answer = requests.get(spaces.space_url("e2e/fence-a", "subdomain"), timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"cwd": "/srv/x", "space": "e2e/fence-a"}


def test_a_space_gets_fewer_cores_than_the_host_and_a_lower_weight(
    client: docker.DockerClient, spaces: Running
) -> None:
    host = app_container(client, spaces, "e2e/fence-a").attrs["HostConfig"]
    cores = os.cpu_count() or 1
    assert host["NanoCpus"] == int(Settings.from_env({}).cpus * 1e9)
    assert 0 < host["NanoCpus"] < cores * 10**9
    assert host["CpuShares"] == 512  # the engine's default (a host process's weight) is 1024


def test_a_space_reaches_neither_other_spaces_nor_the_host_nor_the_outside(
    client: docker.DockerClient,
    spaces: Running,
    outside: tuple[str, int, str],
    host_listener: int,
    mirror: str,
) -> None:
    a = app_container(client, spaces, "e2e/fence-a")
    b_ip, _ = addresses(app_container(client, spaces, "e2e/fence-b"))
    _, a_gateway = addresses(a)
    targets = {
        "another space": f"{b_ip}:{APP_PORT}",
        "the router, at the space's gateway": f"{a_gateway}:{spaces.port}",
        "the router, at the default bridge's gateway": f"{mirror}:{spaces.port}",
        "the local pip mirror": f"{mirror}:{MIRROR_PORT}",
        "a port listening on the host": f"{a_gateway}:{host_listener}",
        "a server on the default bridge": f"{outside[0]}:{outside[1]}",
    }
    for what, target in targets.items():  # each answers the host: only the fence can refuse
        host, port = target.rsplit(":", 1)
        assert _answers(host, int(port)), f"{what} ({target}) does not answer the host"

    code, output = a.exec_run(["python3", "-c", PROBE, *targets.values()], user="1000:1000")
    assert code == 0, output
    seen = json.loads(output.decode().strip().splitlines()[-1])
    reached = {what: target for what, target in targets.items() if seen[target] == "open"}
    assert not reached, f"from inside a space: {seen}"

    # ... while both spaces are still served through the router
    for name in ("e2e/fence-a", "e2e/fence-b"):
        answer = requests.get(spaces.space_url(name, "subdomain"), timeout=30)
        assert answer.status_code == 200 and answer.json()["space"] == name


def test_the_firewall_is_in_place_and_a_second_install_changes_nothing(spaces: Running) -> None:
    if os.geteuid() != 0:
        pytest.skip("reading iptables needs root")
    from spacehost.runtime.isolation import CHAIN_FORWARD, CHAIN_INPUT, Firewall, Isolation

    def ours() -> list[str]:
        lines = []
        for chain in (CHAIN_INPUT, CHAIN_FORWARD, "INPUT", "DOCKER-USER"):
            listed = subprocess.run(["iptables", "-w", "10", "-S", chain], capture_output=True,
                                    text=True, check=True).stdout.splitlines()  # fmt: skip
            lines += [line for line in listed if "SPACEHOST" in line or "spacehost" in line]
        return lines

    before = ours()
    # the platform installed them as it started: hooked once, first in INPUT and DOCKER-USER
    assert f"-A INPUT -j {CHAIN_INPUT}" in before
    assert f"-A DOCKER-USER -j {CHAIN_FORWARD}" in before
    assert before.count(f"-A INPUT -j {CHAIN_INPUT}") == 1
    Firewall().ensure(Isolation())  # what the next platform start does
    assert ours() == before


def test_the_spaces_network_keeps_containers_apart(
    client: docker.DockerClient, spaces: Running
) -> None:
    a = app_container(client, spaces, "e2e/fence-a")
    (name,) = a.attrs["NetworkSettings"]["Networks"]
    options = client.networks.get(name).attrs["Options"]
    assert name == "spacehost-spaces"
    assert options["com.docker.network.bridge.enable_icc"] == "false"
