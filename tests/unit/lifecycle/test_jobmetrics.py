"""lifecycle/jobmetrics.py: Docker's stats samples (the shape Docker 20.10 sends on cgroup v1,
and v2's memory field) into Hugging Face's job metrics; and through the job runner
(``Jobs.metrics``, an engine in memory): a GPU job's figures carry its own GPUs, read from
``nvidia-smi``'s listing, and stop with the container."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spacehost.lifecycle.jobmetrics import MetricsReader, memory_used, read_at, stopped
from spacehost.lifecycle.jobspec import parse_job_spec
from spacehost.runtime.nvml import parse_smi
from tests.support.fake_jobs import IMAGE, FakeJobContainers, fake_jobs

MIB = 1 << 20


def sample(read: str, cpu_ns: int, system_ns: int, pre: tuple[int, int] | None, **more: Any) -> Any:
    precpu: dict[str, Any] = (
        {"cpu_usage": {"total_usage": pre[0]}, "system_cpu_usage": pre[1]} if pre else {}
    )
    return {
        "read": read,
        "cpu_stats": {
            "cpu_usage": {"total_usage": cpu_ns},
            "system_cpu_usage": system_ns,
            "online_cpus": 2,
        },
        "precpu_stats": precpu,
        "memory_stats": {
            "usage": 150 * MIB,
            "limit": 512 * MIB,
            "stats": {"total_inactive_file": 10 * MIB, "cache": 10 * MIB},
        },
        "networks": {"eth0": {"rx_bytes": more.get("rx", 0), "tx_bytes": more.get("tx", 0)}},
    }


def test_the_first_sample_sets_the_start_and_the_next_gives_rates() -> None:
    reader = MetricsReader(cpus=2.0, memory=512 * MIB, replica="abc123")
    first = sample("2026-12-07T09:36:33.195692774Z", 26_000_000, 92_738_000_000_000, None)
    assert reader.feed(first) is None
    # one second later: 1 s of CPU time out of 2 s of the host's two CPUs, 1000 bytes in
    second = sample(
        "2026-12-07T09:36:34.195692774Z",
        1_026_000_000,
        92_740_000_000_000,
        (26_000_000, 92_738_000_000_000),
        rx=1000,
        tx=250,
    )
    assert reader.feed(second) == {
        "cpu_usage_pct": 50,  # one of the job's two CPUs
        "cpu_millicores": 2000,
        "memory_used_bytes": 140 * MIB,  # less the inactive page cache
        "memory_total_bytes": 512 * MIB,
        "rx_bps": 8000,
        "tx_bps": 2000,
        "gpus": {},
        "replica": "abc123",
    }


def test_a_stopped_containers_zeroed_samples_end_the_figures() -> None:
    assert stopped({"read": "0001-01-01T00:00:00Z"})
    assert not stopped({"read": "2026-12-07T09:36:34.199482823Z"})


def test_nanosecond_times_and_cgroup_v2_memory_are_read() -> None:
    assert read_at({"read": "1970-01-01T00:00:01.5Z"}) == 1.5
    assert read_at({"read": "1970-01-01T00:00:02.123456789Z"}) == 2.123456
    v2 = {"memory_stats": {"usage": 100, "stats": {"inactive_file": 30}}}
    assert memory_used(v2) == 70


# two GPUs as `nvidia-smi --query-gpu=index,uuid,name,memory.total,memory.used,utilization.gpu`
SMI = """0, GPU-882fa930-1111-2222-3333-444455556666, NVIDIA H100, 81559, 20480, 87
1, GPU-d901cd7f-1111-2222-3333-444455556666, NVIDIA H100, 81559, 0, 0
"""


def test_a_gpu_jobs_figures_carry_its_own_gpus_and_end_with_its_container(
    tmp_path: Path,
) -> None:
    engine = FakeJobContainers()
    jobs, _ = fake_jobs(tmp_path, engine, gpus=2, gpu_listing=lambda: parse_smi(SMI, ""))
    job = jobs.submit(
        "alice",
        parse_job_spec({"dockerImage": IMAGE, "command": ["train"], "flavor": "a10g-small"}),
        {"type": "user", "id": "alice", "name": "alice"},
    )
    cid = engine.of_job(job.id)
    assert engine.containers[cid].spec.gpu_ids == ("0",)
    t, s = "2026-12-07T09:36:3{}.0Z", 92_738_000_000_000
    engine.samples[cid] = [
        sample(t.format(3), 0, s, None),
        sample(t.format(4), 10**9, s + 2 * 10**9, (0, s)),
        {"read": "0001-01-01T00:00:00Z"},  # stopped: the figures end here
        sample(t.format(6), 2 * 10**9, s + 4 * 10**9, (10**9, s + 2 * 10**9)),
    ]
    row = jobs.store.get_job("alice", job.id)
    (figures,) = list(jobs.metrics(row))
    assert figures["gpus"] == {
        "882fa930": {
            "utilization": 87,
            "memory_used_bytes": 20480 * MIB,
            "memory_total_bytes": 81559 * MIB,
        }
    }
    assert figures["cpu_millicores"] == 2000 and figures["cpu_usage_pct"] == 50
    engine.end_all()
    jobs.close()
