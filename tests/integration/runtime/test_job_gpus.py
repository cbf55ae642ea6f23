"""A GPU job's container gets exactly its GPUs the way the host gives spaces GPUs — here the
``/dev/nvidia*`` files mode of a host without nvidia-container-toolkit (the lent GPU machines'
set-up), with /dev/null standing in for a GPU node and a temp dir for the driver — and keeps
them across an adoption (the ``spacehost.gpus`` label)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from docker import DockerClient

from spacehost.runtime.base import Mount
from spacehost.runtime.docker_backend import DockerBackend
from spacehost.runtime.gpu import CdiDevice, GpuHost
from spacehost.runtime.jobcontainers import DockerJobContainers, JobContainerSpec
from tests.support.docker_runtime import RUN_ID, TEST_LABEL, remove_test_objects
from tests.support.polling import wait_for

pytestmark = pytest.mark.docker

PROBE = (
    "test -c /dev/nvidia1 && cat /usr/local/nvidia/lib64/libcuda.so.1"
    ' && echo "$LD_LIBRARY_PATH" && ! test -e /dev/nvidia0 && echo only-gpu-1'
)


@pytest.fixture
def jobs(client: DockerClient, image: str, tmp_path: Path) -> Iterator[DockerJobContainers]:
    (tmp_path / "lib64").mkdir()
    (tmp_path / "lib64" / "libcuda.so.1").write_text("fake\n")
    for path in (tmp_path, tmp_path / "lib64"):
        path.chmod(0o755)
    two_gpus = GpuHost(
        mode="devices",
        count=2,
        gpu_ids=("0", "1"),
        mounts=(Mount(str(tmp_path), "/usr/local/nvidia"),),
        env={"LD_LIBRARY_PATH": "/usr/local/nvidia/lib64"},
        gpus=(
            CdiDevice("0", devices=("/dev/null:/dev/nvidia0:rwm",)),
            CdiDevice("1", devices=("/dev/null:/dev/nvidia1:rwm",)),
        ),
    )
    backend = DockerBackend(client, gpu_host=two_gpus)
    yield DockerJobContainers(client, backend, None, None, "http://127.0.0.1:9")
    remove_test_objects(client)


def test_a_gpu_job_gets_its_gpu_files_driver_and_label_without_the_toolkit(
    jobs: DockerJobContainers, client: DockerClient, image: str
) -> None:
    spec = JobContainerSpec(
        job_id=f"gpu{RUN_ID}",
        image=image,
        argv=("sh", "-c", PROBE),
        env={},
        cpus=1.0,
        memory=256 << 20,
        gpu_ids=("1",),
        labels={TEST_LABEL: RUN_ID},
    )
    container_id = jobs.start(spec)
    ended = wait_for(
        lambda: (s := jobs.state(container_id)) is not None and not s.running and s,
        what="the job's container to exit",
    )
    logs = client.containers.get(container_id).logs().decode().split()
    assert ended.exit_code == 0, logs
    assert logs == ["fake", "/usr/local/nvidia/lib64", "only-gpu-1"]
    assert ended.gpu_ids == ("1",)  # read back from its label: an adopted job keeps GPU 1
