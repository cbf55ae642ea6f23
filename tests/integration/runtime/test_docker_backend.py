"""DockerBackend against the real Docker Engine, with a tiny image FROM spacehost/base:bookworm
(tests/support/docker_runtime.py). What every backend promises is in test_backend_contract.py."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from docker import DockerClient

from spacehost.domain import GpuRequest
from spacehost.errors import Conflict, HardwareUnavailable, NotFound
from spacehost.runtime.base import Mount
from spacehost.runtime.docker_backend import DockerBackend
from spacehost.runtime.gpu import CdiDevice, GpuHost, discover_gpu_host
from tests.support.docker_runtime import (
    RUN_ID,
    TEST_LABEL,
    exited,
    http_status,
    make_spec,
    remove_test_objects,
    sh,
    space,
)
from tests.support.polling import wait_for

pytestmark = pytest.mark.docker


@pytest.fixture
def backend(client: DockerClient, image: str) -> Iterator[DockerBackend]:
    yield DockerBackend(client, gpu_host=GpuHost())
    remove_test_objects(client)


def exec_out(client: DockerClient, container_id: str, cmd: str) -> str:
    code, out = client.containers.get(container_id).exec_run(cmd)
    assert code == 0, out
    text: str = out.decode().strip()
    return text


def primary_ip() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("10.255.255.255", 1))
            ip: str = sock.getsockname()[0]
        except OSError:
            return None
    return None if ip.startswith("127.") else ip


# --- start and serve -----------------------------------------------------------------------------


def test_start_serves_http_on_loopback_only_as_uid_1000(
    backend: DockerBackend, client: DockerClient
) -> None:
    info = backend.start(make_spec())
    assert (info.status, info.host, info.space, info.revision) == (
        "running", "127.0.0.1", space(), "0123456789abcdef"
    )  # fmt: skip
    assert info.port is not None and info.port != 7860
    assert info.name.startswith(f"spacehost-{space().slug}-0123456789ab-")
    assert wait_for(lambda: http_status("127.0.0.1", info.port or 0) == 200, what="HTTP 200")

    bindings = client.api.inspect_container(info.id)["NetworkSettings"]["Ports"]["7860/tcp"]
    assert {b["HostIp"] for b in bindings} == {"127.0.0.1"}
    ip = primary_ip()
    if ip is not None:
        assert http_status(ip, info.port) is None, "the space must not be reachable from outside"

    assert exec_out(client, info.id, "id -u") == "1000"
    assert exec_out(client, info.id, "id -g") == "1000"
    assert exec_out(client, info.id, "pwd") == "/home/user/app"
    assert exec_out(client, info.id, "sh -c 'echo $HOME'") == "/home/user"
    assert "init" in exec_out(client, info.id, "cat /proc/1/comm")  # tini (docker-init) is PID 1


def test_labels_and_limits_are_applied(backend: DockerBackend, client: DockerClient) -> None:
    info = backend.start(make_spec(labels={TEST_LABEL: RUN_ID, "team": "ml"}))
    attrs = client.api.inspect_container(info.id)
    labels = attrs["Config"]["Labels"]
    assert labels["spacehost.managed"] == "true"
    assert labels["spacehost.space"] == str(space())
    assert labels["spacehost.revision"] == "0123456789abcdef"
    assert labels["team"] == "ml"
    hc = attrs["HostConfig"]
    assert (hc["Memory"], hc["NanoCpus"], hc["PidsLimit"]) == (256 << 20, 500_000_000, 64)
    assert hc["MemorySwap"] == 256 << 20
    assert hc["Init"] is True
    assert hc["RestartPolicy"]["Name"] in ("no", "")
    assert attrs["Config"]["User"] == "1000:1000"


def test_env_reaches_the_app(backend: DockerBackend) -> None:
    info = backend.start(make_spec(sh('echo "id=$SPACE_ID"'), env={"SPACE_ID": "a/b"}))
    wait_for(exited(backend, info.id), what="exit")
    assert backend.logs(info.id) == ["id=a/b"]


def test_missing_image_is_not_found_with_rebuild_hint(backend: DockerBackend) -> None:
    with pytest.raises(NotFound) as err:
        backend.start(make_spec(image="spacehost-test/absent:never"))
    assert "rebuild" in err.value.hint


# --- state ---------------------------------------------------------------------------------------


def test_exit_code_is_reported(backend: DockerBackend) -> None:
    info = backend.start(make_spec(("python3", "-c", "import sys; sys.exit(3)")))
    done = wait_for(exited(backend, info.id), what="exit")
    assert (done.exit_code, done.oom_killed, done.host, done.port) == (3, False, None, None)
    assert done.started_at is not None and done.finished_at is not None


def test_oom_kill_is_reported(backend: DockerBackend) -> None:
    hog = "b = bytearray(b'x') * (512 << 20)"  # writes every page, unlike bytearray(n)
    info = backend.start(make_spec(("python3", "-c", hog), memory_limit=48 << 20))
    done = wait_for(exited(backend, info.id), what="OOM kill")
    assert done.oom_killed is True
    assert done.exit_code == 137


def test_stop_delivers_sigterm_through_init(backend: DockerBackend) -> None:
    info = backend.start(make_spec())
    wait_for(lambda: http_status("127.0.0.1", info.port or 0) == 200, what="HTTP 200")
    started = time.monotonic()
    backend.stop(info.id, timeout=20)
    assert time.monotonic() - started < 10, "SIGTERM should end the app without the kill timeout"
    stopped = backend.inspect(info.id)
    assert stopped is not None and stopped.status == "exited" and stopped.exit_code == 143
    backend.stop(info.id)  # already stopped: no error


def test_pause_and_unpause(backend: DockerBackend) -> None:
    info = backend.start(make_spec())
    port = info.port or 0
    wait_for(lambda: http_status("127.0.0.1", port) == 200, what="HTTP 200")
    backend.pause(info.id)
    paused = backend.inspect(info.id)
    assert paused is not None and (paused.status, paused.port) == ("paused", port)
    with pytest.raises(Conflict):
        backend.pause(info.id)
    backend.unpause(info.id)
    running = backend.inspect(info.id)
    assert running is not None and running.status == "running"
    assert wait_for(lambda: http_status("127.0.0.1", port) == 200, what="HTTP 200 after unpause")
    with pytest.raises(Conflict):
        backend.unpause(info.id)


def test_remove_is_idempotent_and_gone_containers_read_as_none(backend: DockerBackend) -> None:
    info = backend.start(make_spec())
    backend.remove(info.id)
    backend.remove(info.id)
    assert backend.inspect(info.id) is None
    with pytest.raises(NotFound):
        backend.stop(info.id)
    with pytest.raises(NotFound):
        backend.logs(info.id)


def test_list_managed_filters_by_space(backend: DockerBackend) -> None:
    a = backend.start(make_spec(sh("sleep 60"), space=space("alpha")))
    b = backend.start(make_spec(sh("exit 0"), space=space("beta")))
    assert [i.id for i in backend.list_managed(space("alpha"))] == [a.id]
    assert [i.id for i in backend.list_managed(space("beta"))] == [b.id]
    assert backend.list_managed(space("gamma")) == []
    everything = {i.id for i in backend.list_managed()}
    assert {a.id, b.id} <= everything
    assert all(i.space is not None for i in backend.list_managed())


# --- data ----------------------------------------------------------------------------------------


def test_data_volume_persists_across_containers(
    backend: DockerBackend, client: DockerClient
) -> None:
    volume = f"rttest-{RUN_ID}-data"
    first = backend.start(make_spec(sh("echo kept > /data/note && echo wrote"), data_volume=volume))
    assert wait_for(exited(backend, first.id), what="writer exit").exit_code == 0
    second = backend.start(make_spec(sh("cat /data/note"), data_volume=volume))
    assert wait_for(exited(backend, second.id), what="reader exit").exit_code == 0
    assert backend.logs(second.id) == ["kept"]
    labels = client.volumes.get(volume).attrs["Labels"]
    assert labels["spacehost.space"] == str(space())
    backend.remove(first.id)
    backend.remove(second.id)
    backend.remove_volume(volume)
    backend.remove_volume(volume)
    with pytest.raises(docker.errors.NotFound):
        client.volumes.get(volume)


def test_volume_is_not_left_half_prepared_when_the_image_is_missing(
    backend: DockerBackend, client: DockerClient
) -> None:
    volume = f"rttest-{RUN_ID}-noimage"
    with pytest.raises(NotFound):
        backend.start(make_spec(image="spacehost-test/absent:never", data_volume=volume))
    with pytest.raises(docker.errors.NotFound):
        client.volumes.get(volume)


def test_volume_in_use_cannot_be_removed(backend: DockerBackend) -> None:
    volume = f"rttest-{RUN_ID}-busy"
    info = backend.start(make_spec(sh("sleep 60"), data_volume=volume))
    with pytest.raises(Conflict):
        backend.remove_volume(volume)
    backend.remove(info.id)


# --- logs ----------------------------------------------------------------------------------------


def test_logs_return_stdout_and_stderr_lines(backend: DockerBackend) -> None:
    script = "import sys\nfor i in range(5): print('line', i)\nprint('oops é', file=sys.stderr)"
    info = backend.start(make_spec(("python3", "-u", "-c", script)))
    wait_for(exited(backend, info.id), what="exit")
    lines = backend.logs(info.id)
    # The engine reads stdout and stderr from separate pipes: their relative order may vary.
    assert [line for line in lines if line.startswith("line")] == [f"line {i}" for i in range(5)]
    assert sorted(lines) == sorted([*(f"line {i}" for i in range(5)), "oops é"])


def test_logs_tail_returns_the_last_lines(backend: DockerBackend) -> None:
    info = backend.start(make_spec(("python3", "-u", "-c", "for i in range(5): print('line', i)")))
    wait_for(exited(backend, info.id), what="exit")
    assert backend.logs(info.id, tail=2) == ["line 3", "line 4"]
    assert backend.logs(info.id, tail=0) == []


def test_follow_logs_streams_until_the_container_stops(backend: DockerBackend) -> None:
    info = backend.start(make_spec(sh("echo first; sleep 1; printf 'second\\nthird'")))
    lines = list(backend.follow_logs(info.id))
    assert lines == ["first", "second", "third"]
    done = backend.inspect(info.id)
    assert done is not None and done.status == "exited"


def test_follow_logs_since_leaves_out_an_earlier_run(backend: DockerBackend) -> None:
    info = backend.start(make_spec(sh("echo run $(cat /proc/sys/kernel/random/uuid)")))
    first = list(backend.follow_logs(info.id))
    assert len(first) == 1 and first[0].startswith("run ")
    since = time.time()
    backend.start_existing(info.id)  # a stopped (sleeping) container started again
    again = list(backend.follow_logs(info.id, since=since))
    assert len(again) == 1 and again[0].startswith("run ") and again != first
    assert backend.logs(info.id) == first + again  # the engine keeps both runs


def test_follow_logs_of_a_missing_container_is_not_found(backend: DockerBackend) -> None:
    with pytest.raises(NotFound):
        next(backend.follow_logs(f"spacehost-absent-{RUN_ID}"))


# --- networking and GPU --------------------------------------------------------------------------


def test_host_network_mode_listens_on_a_chosen_loopback_port(
    client: DockerClient, image: str, backend: DockerBackend
) -> None:
    host_backend = DockerBackend(client, gpu_host=GpuHost(), network_mode="host")
    serve = sh('exec python3 -m http.server "$GRADIO_SERVER_PORT" --bind "$GRADIO_SERVER_NAME"')
    info = host_backend.start(make_spec(serve, env={"GRADIO_SERVER_PORT": "7860"}))
    assert info.host == "127.0.0.1" and info.port not in (None, 7860)
    assert wait_for(lambda: http_status("127.0.0.1", info.port or 0) == 200, what="HTTP 200")
    assert client.api.inspect_container(info.id)["HostConfig"]["NetworkMode"] == "host"
    again = host_backend.inspect(info.id)
    assert again is not None and again.port == info.port


def test_auto_network_mode_picks_bridge_when_the_engine_has_one(client: DockerClient) -> None:
    has_bridge = any(n.name == "bridge" for n in client.networks.list())
    expected = "bridge" if has_bridge else "host"
    assert DockerBackend(client, network_mode="auto").network_mode == expected


def test_gpu_space_on_a_cpu_host_is_refused_before_creating_anything(
    backend: DockerBackend, client: DockerClient
) -> None:
    with pytest.raises(HardwareUnavailable) as err:
        backend.start(make_spec(gpu=GpuRequest(1)), hardware="t4-small")
    assert "suggested_hardware: t4-small" in err.value.message
    with pytest.raises(HardwareUnavailable) as err:
        backend.start(make_spec(gpu=GpuRequest(1), labels={"spacehost.hardware": "l4x1"}))
    assert "suggested_hardware: l4x1" in err.value.message
    assert client.containers.list(all=True, filters={"label": f"{TEST_LABEL}={RUN_ID}"}) == []


def test_gpu_space_falls_back_to_cpu_with_a_warning(
    client: DockerClient, image: str, backend: DockerBackend, caplog: pytest.LogCaptureFixture
) -> None:
    cpu_backend = DockerBackend(client, gpu_host=GpuHost(), gpu_fallback="cpu")
    with caplog.at_level(logging.WARNING, logger="spacehost.runtime"):
        info = cpu_backend.start(make_spec(sh("exit 0"), gpu=GpuRequest(1)))
    assert info.id
    assert "running it on CPU" in caplog.text


def test_gpu_host_is_discovered_from_the_engine_when_not_given(client: DockerClient) -> None:
    assert DockerBackend(client).gpu_host == discover_gpu_host(client.info())


def test_devices_mode_passes_nodes_driver_dir_and_library_path(
    client: DockerClient, image: str, backend: DockerBackend, tmp_path: Path
) -> None:
    # /dev/null stands in for a GPU node and a temp dir for the driver: what is checked is that
    # the engine gets the device, the read-only driver mount and the environment.
    (tmp_path / "lib64").mkdir()
    (tmp_path / "lib64" / "libcuda.so.1").write_text("fake\n")
    for path in (tmp_path, tmp_path / "lib64"):
        path.chmod(0o755)  # pytest makes it 0700; the app runs as uid 1000
    fake = GpuHost(
        mode="devices",
        count=1,
        gpu_ids=("0",),
        mounts=(Mount(str(tmp_path), "/usr/local/nvidia"),),
        env={"LD_LIBRARY_PATH": "/usr/local/nvidia/lib64"},
        gpus=(CdiDevice("0", devices=("/dev/null:/dev/nvidia0:rwm",)),),
    )
    gpu_backend = DockerBackend(client, gpu_host=fake)
    probe = sh(
        "test -c /dev/nvidia0 && cat /usr/local/nvidia/lib64/libcuda.so.1"
        ' && echo "$LD_LIBRARY_PATH"'
        " && ! touch /usr/local/nvidia/x 2>/dev/null && echo read-only"
    )
    info = gpu_backend.start(make_spec(probe, gpu=GpuRequest(1)))
    assert wait_for(exited(backend, info.id), what="exit").exit_code == 0, backend.logs(info.id)
    assert backend.logs(info.id) == ["fake", "/usr/local/nvidia/lib64", "read-only"]


def test_device_request_without_toolkit_is_hardware_unavailable(
    client: DockerClient, image: str, backend: DockerBackend
) -> None:
    if "nvidia" in (client.info().get("Runtimes") or {}):
        pytest.skip("this engine has the nvidia runtime")
    toolkit = DockerBackend(client, gpu_host=GpuHost(mode="device_request", count=None))
    with pytest.raises(HardwareUnavailable) as err:
        toolkit.start(make_spec(gpu=GpuRequest(1)))
    assert "could not attach the GPU" in err.value.message
    assert client.containers.list(all=True, filters={"label": f"{TEST_LABEL}={RUN_ID}"}) == []
