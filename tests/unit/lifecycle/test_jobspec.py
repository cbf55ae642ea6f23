"""Reading HF's job spec (lifecycle/jobspec.py), flavors (jobflavors.py) and schedules
(jobschedule.next_run): pure, from the bodies huggingface_hub 2.4.0 sends."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spacehost.errors import HardwareUnavailable, InvalidRequest, NotSupported
from spacehost.lifecycle.jobflavors import GIB, HostResources, limits_for, offered
from spacehost.lifecycle.jobschedule import next_run
from spacehost.lifecycle.jobspec import parse_job_spec

# exactly what `hf jobs run -e FOO=bar -s MYSECRET=s3 --timeout 10m python:3.12 python -c
# 'print(1)'` sends (docs/jobs.md; verified against the unchanged client)
HF_BODY = {
    "command": ["python", "-c", "print(1)"],
    "arguments": [],
    "environment": {"FOO": "bar"},
    "flavor": "cpu-basic",
    "secrets": {"MYSECRET": "s3"},
    "timeoutSeconds": 600,
    "labels": {"name": "python-3-12-4b93ea8a"},
    "dockerImage": "python:3.12",
}
HOST = HostResources(cores=2, memory=24 * GIB)


def test_the_body_hf_jobs_run_sends() -> None:
    spec = parse_job_spec(HF_BODY)
    assert spec.image == "python:3.12" and spec.space_id is None
    assert spec.argv == ["python", "-c", "print(1)"]
    assert dict(spec.environment) == {"FOO": "bar"} and dict(spec.secrets) == {"MYSECRET": "s3"}
    assert spec.timeout_s == 600 and dict(spec.labels) == {"name": "python-3-12-4b93ea8a"}
    stored = spec.to_json()
    assert "secrets" not in stored  # stored apart, encrypted
    assert parse_job_spec(stored).argv == spec.argv


@pytest.mark.parametrize(
    "image", ["hf.co/spaces/alice/demo", "https://huggingface.co/spaces/alice/demo"]
)
def test_hf_space_image_forms_name_a_space(image: str) -> None:
    spec = parse_job_spec({**HF_BODY, "dockerImage": image})
    assert spec.space_id == "alice/demo" and spec.image is None
    assert parse_job_spec({"spaceId": "alice/demo", "command": ["x"]}).space_id == "alice/demo"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ([], "JSON object"),
        ({"command": ["x"]}, "needs 'dockerImage'"),
        ({"dockerImage": "i", "command": []}, "'command' is empty"),
        ({"dockerImage": "i", "command": "python"}, "'command' must be a list"),
        ({"dockerImage": "i", "command": ["x"], "environment": {"1X": "v"}}, "'1X'"),
        ({"dockerImage": "i", "command": ["x"], "timeoutSeconds": -1}, "positive"),
        ({"dockerImage": "i", "command": ["x"], "timeoutSeconds": 10**9}, "over the limit"),
        ({"dockerImage": "i", "spaceId": "a/b", "command": ["x"]}, "both"),
        ({"spaceId": "not a space", "command": ["x"]}, "'owner/name'"),
        ({"dockerImage": "i", "command": ["x"], "labels": {"a": 1}}, "labels"),
    ],
)
def test_bad_specs_are_refused_naming_the_field(body: object, words: str) -> None:
    with pytest.raises(InvalidRequest) as err:
        parse_job_spec(body)
    assert words in err.value.message and err.value.hint


def test_what_the_platform_cannot_do_is_refused_not_ignored() -> None:
    with pytest.raises(NotSupported, match="'model' volumes are not offered here"):
        parse_job_spec({**HF_BODY, "volumes": [{"type": "model", "source": "a/m"}]})
    with pytest.raises(NotSupported, match="'ssh'"):
        parse_job_spec({**HF_BODY, "ssh": True})


def test_bucket_volumes_as_hf_jobs_uv_run_sends_them() -> None:
    """A local script goes to the job in {ns}/jobs-artifacts, mounted at /data (huggingface_hub
    _upload_scripts_to_bucket)."""
    volume = {"type": "bucket", "source": "alice/jobs-artifacts", "mountPath": "/data",
              "readOnly": False, "path": "20261207T100000-abc123"}  # fmt: skip
    spec = parse_job_spec({**HF_BODY, "volumes": [volume]})
    assert [(v.source, v.mount_path, v.path, v.read_only) for v in spec.volumes] == [
        ("alice/jobs-artifacts", "/data", "20261207T100000-abc123", False)
    ]
    assert spec.to_json()["volumes"] == [volume]
    assert parse_job_spec(spec.to_json()).volumes == spec.volumes  # stored and read back
    with pytest.raises(InvalidRequest, match="mountPath must be an absolute path"):
        parse_job_spec({**HF_BODY, "volumes": [{**volume, "mountPath": "data"}]})


def test_flavors_are_capped_to_the_host() -> None:
    limits = limits_for("cpu-basic", HOST)
    assert limits.cpus == 2 and limits.memory == 16 * GIB
    small = HostResources(cores=1, memory=4 * GIB)
    assert limits_for("cpu-basic", small).memory == 3 * GIB  # 75 % of the host
    assert [f["name"] for f in offered(HOST)] == ["cpu-basic"]  # nothing bigger fits 2 cores
    assert offered(HOST)[0]["cpu"] == "2 vCPU"


def test_a_gpu_flavor_on_a_cpu_host_is_refused_clearly() -> None:
    with pytest.raises(HardwareUnavailable, match="has no GPU") as err:
        limits_for("a10g-small", HOST)
    assert "cpu-basic" in err.value.hint
    with pytest.raises(InvalidRequest, match="unknown job flavor"):
        limits_for("tpu-v5", HOST)


def test_gpu_flavors_are_offered_only_with_gpus() -> None:
    gpu_host = HostResources(cores=16, memory=128 * GIB, gpus=1, gpu_model="H100")
    names = {f["name"]: f for f in offered(gpu_host)}
    assert "a10g-small" in names and "a10g-largex2" not in names
    assert names["a10g-small"]["accelerator"]["model"] == "H100"
    assert limits_for("a10g-small", gpu_host).gpus == 1


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("@hourly", "2026-12-07T07:00:00"),
        ("@daily", "2026-12-08T00:00:00"),
        ("*/15 * * * *", "2026-12-07T06:15:00"),
        ("@weekly", "2026-12-13T00:00:00"),
    ],
)
def test_schedules(schedule: str, expected: str) -> None:
    now = datetime(2026, 12, 7, 6, 10, tzinfo=UTC).timestamp()
    assert datetime.fromtimestamp(next_run(schedule, now), UTC).isoformat()[:19] == expected


def test_a_bad_schedule_says_what_to_write() -> None:
    with pytest.raises(InvalidRequest, match="not a cron expression") as err:
        next_run("every hour", 0)
    assert "@hourly" in err.value.hint
