"""The helpers of the GPU job checks (tests/support/gpujobs.py), without a GPU: the flavor
picked from what the platform really offers, the job's image, nvidia-smi's listing."""

from __future__ import annotations

import pytest

from spacehost.lifecycle.jobflavors import GIB, HostResources, offered
from tests.support.gpujobs import (
    SmiGpu,
    first_gpu_flavor,
    gpu_job_image,
    hf_gpu_key,
    parse_smi,
)


def test_the_first_gpu_flavor_of_a_gpu_hosts_offer_is_picked() -> None:
    hardware = offered(HostResources(16, 128 * GIB, gpus=1, gpu_model="H100"))
    assert hardware[0]["name"] == "cpu-basic"  # CPU flavors come first
    assert first_gpu_flavor(hardware) == "t4-small"


def test_a_two_gpu_host_still_gives_the_first_one_gpu_flavor() -> None:
    hardware = offered(HostResources(64, 512 * GIB, gpus=2, gpu_model="A100"))
    assert first_gpu_flavor(hardware) == "t4-small"
    assert first_gpu_flavor(hardware[::-1]) == "h200x2"  # the order of the list decides


def test_a_cpu_host_offers_no_gpu_flavor_and_says_what_it_offers() -> None:
    with pytest.raises(LookupError, match=r"no GPU flavor .*offers cpu-basic"):
        first_gpu_flavor(offered(HostResources(2, 24 * GIB)))
    with pytest.raises(LookupError, match="offers nothing"):
        first_gpu_flavor([])


def test_a_gpu_job_runs_the_operators_cuda_image_else_the_gpu_spaces_image() -> None:
    env = {"SPACEHOST_GPU_BASE_IMAGE": "spacehost/gpu-host:local"}
    assert gpu_job_image(env, "gpu/holder") == "spacehost/gpu-host:local"
    assert gpu_job_image({}, "gpu/holder") == "hf.co/spaces/gpu/holder"
    assert gpu_job_image({"SPACEHOST_GPU_BASE_IMAGE": ""}, "a/b") == "hf.co/spaces/a/b"


def test_nvidia_smis_listing_is_read_line_by_line() -> None:
    text = (
        "0, GPU-882fa930-1b2c-3d4e-5f60-718293a4b5c6, NVIDIA H100 80GB HBM3, 81559\n"
        "1, GPU-0123abcd-0000-1111-2222-333344445555, NVIDIA A100-SXM4-40GB, 40960\n\n"
    )
    assert parse_smi(text) == [
        SmiGpu("0", "GPU-882fa930-1b2c-3d4e-5f60-718293a4b5c6", "NVIDIA H100 80GB HBM3", 81559),
        SmiGpu("1", "GPU-0123abcd-0000-1111-2222-333344445555", "NVIDIA A100-SXM4-40GB", 40960),
    ]
    assert parse_smi("0, GPU-1, Some, Card, 1024\n")[0].name == "Some, Card"
    assert parse_smi("") == []


def test_a_line_that_is_not_the_querys_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="not a line of nvidia-smi"):
        parse_smi("No devices were found\n")
    with pytest.raises(ValueError, match="not a line"):
        parse_smi("0, GPU-1, NVIDIA H100, [N/A]\n")


def test_hfs_key_of_a_gpu_is_its_uuids_first_8_hex_digits() -> None:
    assert hf_gpu_key("GPU-882fa930-1b2c-3d4e-5f60-718293a4b5c6") == "882fa930"
