"""A running job's live figures in Hugging Face's metrics shape (``hf jobs stats``,
``HfApi.fetch_job_metrics``; docs/jobs.md, "Live figures"), from the engine's stats samples
(Docker's ``stats`` shape, one a second). Pure: samples in, figures out.

- ``cpu_usage_pct``: the CPU time used over the last second as a share of the job's CPUs (its
  flavor's limit on this host), so 100 is every CPU it was given; ``cpu_millicores``: those CPUs.
- ``memory_used_bytes``: the container's memory less its inactive page cache (what ``docker
  stats`` shows); ``memory_total_bytes``: its limit.
- ``rx_bps``/``tx_bps``: the network's bits per second over the last second (the CLI prints them
  as ``bps``).
- ``gpus``: for each GPU the job was given, by the first 8 hex digits of its UUID (as HF keys
  them): ``utilization`` (%), ``memory_used_bytes``, ``memory_total_bytes`` — the whole GPU's,
  which the job has to itself (docs/jobs.md, "Flavors"); ``{}`` for a CPU job.
- ``replica``: the container's short id.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

MIB = 1 << 20
_ZERO_READ = "0001-01-01"  # the time Docker gives the zeroed samples of a stopped container
_FRACTION = re.compile(r"\.(\d{1,6})\d*")


def stopped(sample: Mapping[str, Any]) -> bool:
    """True for the zeroed samples Docker sends once the container has stopped."""
    return str(sample.get("read") or _ZERO_READ).startswith(_ZERO_READ)


def read_at(sample: Mapping[str, Any]) -> float:
    """When the engine took *sample* (its ``read``: RFC 3339 with nanoseconds), in seconds."""
    text = _FRACTION.sub(lambda m: "." + m.group(1), str(sample["read"])).replace("Z", "+00:00")
    return datetime.fromisoformat(text).timestamp()


def network_bytes(sample: Mapping[str, Any]) -> tuple[int, int]:
    """Bytes received and sent so far, over every interface."""
    nets = (sample.get("networks") or {}).values()
    return sum(int(n.get("rx_bytes", 0)) for n in nets), sum(
        int(n.get("tx_bytes", 0)) for n in nets
    )


def memory_used(sample: Mapping[str, Any]) -> int:
    """Memory in use less the inactive page cache (cgroup v1 ``total_inactive_file``, v2
    ``inactive_file``), as ``docker stats`` counts it."""
    mem = sample.get("memory_stats") or {}
    stats = mem.get("stats") or {}
    inactive = stats.get("total_inactive_file", stats.get("inactive_file", 0))
    return max(0, int(mem.get("usage") or 0) - int(inactive or 0))


def cpu_cores_used(sample: Mapping[str, Any]) -> float:
    """How many of the host's CPUs the container kept busy since the previous sample."""
    cpu, pre = sample.get("cpu_stats") or {}, sample.get("precpu_stats") or {}
    used = (cpu.get("cpu_usage") or {}).get("total_usage", 0) - (
        (pre.get("cpu_usage") or {}).get("total_usage", 0)
    )
    system = (cpu.get("system_cpu_usage") or 0) - (pre.get("system_cpu_usage") or 0)
    online = cpu.get("online_cpus") or len((cpu.get("cpu_usage") or {}).get("percpu_usage") or [])
    if used <= 0 or system <= 0 or not pre.get("system_cpu_usage"):
        return 0.0
    return float(used) / float(system) * float(online or 1)


def gpu_key(uuid: str) -> str:
    """HF's key of a GPU: ``GPU-882fa930-…`` → ``882fa930``."""
    return uuid.removeprefix("GPU-")[:8]


def gpu_figures(
    listing: Sequence[Mapping[str, Any]], indices: Collection[str]
) -> dict[str, dict[str, int]]:
    """The figures of the GPUs at host *indices* from the host's GPU listing (runtime/nvml.py
    ``list_gpus``); a GPU whose memory size is unknown is left out (HF's client divides by it)."""
    out: dict[str, dict[str, int]] = {}
    for gpu in listing:
        total = gpu.get("memory_total_mib")
        if str(gpu.get("index")) not in indices or not total:
            continue
        out[gpu_key(str(gpu.get("uuid") or gpu.get("index")))] = {
            "utilization": int(gpu.get("utilization_pct") or 0),
            "memory_used_bytes": int(gpu.get("memory_used_mib") or 0) * MIB,
            "memory_total_bytes": int(total) * MIB,
        }
    return out


@dataclass
class MetricsReader:
    """Turns a container's samples into HF's figures; the first sample only sets the start
    (CPU and network figures are rates over the time between two samples).

    Args:
        cpus: the job's CPUs (its flavor's limit here).
        memory: the job's memory limit in bytes.
        replica: what names the container (HF's ``replica``).
    """

    cpus: float
    memory: int
    replica: str
    _last: tuple[float, int, int] | None = None

    def feed(self, sample: Mapping[str, Any]) -> dict[str, Any] | None:
        """The figures since the previous sample (``gpus`` empty: the caller adds the job's);
        None for the first one."""
        at = read_at(sample)
        rx, tx = network_bytes(sample)
        last, self._last = self._last, (at, rx, tx)
        if last is None or at <= last[0]:
            return None
        seconds = at - last[0]
        limit = int((sample.get("memory_stats") or {}).get("limit") or 0)
        return {
            "cpu_usage_pct": round(100 * cpu_cores_used(sample) / self.cpus),
            "cpu_millicores": round(self.cpus * 1000),
            "memory_used_bytes": memory_used(sample),
            "memory_total_bytes": min(limit, self.memory) if limit else self.memory,
            "rx_bps": round(8 * max(0, rx - last[1]) / seconds),
            "tx_bps": round(8 * max(0, tx - last[2]) / seconds),
            "gpus": {},
            "replica": self.replica,
        }
