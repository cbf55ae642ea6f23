"""This host's GPUs now: model, memory, utilisation, and the processes on each (with the
container each belongs to). From NVML (the ``nvidia-ml-py`` package, imported only if
installed), else from ``nvidia-smi --query-gpu=... --format=csv``, else none.

Every function returns plain dicts (JSON-ready) and never raises for a host without GPUs.
"""

from __future__ import annotations

import contextlib
import csv
import importlib
import io
import logging
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

GPU_FIELDS = ("index", "uuid", "name", "memory.total", "memory.used", "utilization.gpu")
APP_FIELDS = ("gpu_uuid", "pid", "used_memory")
SMI_TIMEOUT_S = 10.0
MIB = 1 << 20
# a container's id as cgroup v1 (docker/<id>) and v2 (docker-<id>.scope) paths write it
_CONTAINER_RE = re.compile(r"(?:docker[/-]|/)([0-9a-f]{64})(?:\.scope)?\s*$", re.M)


def list_gpus(proc_root: Path = Path("/proc")) -> list[dict[str, Any]]:
    """The GPUs of this host: ``[{index, uuid, name, memory_total_mib, memory_used_mib,
    utilization_pct, processes: [{pid, used_memory_mib, container}]}]`` ([] without GPUs).

    Args:
        proc_root: where to read each process's cgroup (to find its container).
    """
    gpus = _from_nvml()
    if gpus is None:
        gpus = _from_smi()
    for gpu in gpus:
        for proc in gpu["processes"]:
            proc["container"] = container_of(int(proc["pid"]), proc_root)
    return gpus


def container_of(pid: int, proc_root: Path = Path("/proc")) -> str | None:
    """The id of the Docker container process *pid* runs in (None: not in one, or gone)."""
    try:
        text = (proc_root / str(pid) / "cgroup").read_text()
    except OSError:
        return None
    found = _CONTAINER_RE.search(text)
    return found.group(1) if found else None


# --- NVML ---------------------------------------------------------------------------------


def _from_nvml() -> list[dict[str, Any]] | None:
    """None when NVML cannot be used (no package, no driver): try nvidia-smi then."""
    try:
        nvml: Any = importlib.import_module("pynvml")
    except ImportError:
        return None
    try:
        nvml.nvmlInit()
    except Exception as exc:  # NVMLError: no driver, no GPU
        log.debug("NVML unavailable: %s", exc)
        return None
    try:
        return [_nvml_gpu(nvml, i) for i in range(nvml.nvmlDeviceGetCount())]
    except Exception as exc:
        log.warning("reading the GPUs through NVML failed: %s", exc)
        return None
    finally:
        with contextlib.suppress(Exception):
            nvml.nvmlShutdown()


def _nvml_gpu(nvml: Any, index: int) -> dict[str, Any]:
    handle = nvml.nvmlDeviceGetHandleByIndex(index)
    memory = nvml.nvmlDeviceGetMemoryInfo(handle)
    try:
        utilization: int | None = int(nvml.nvmlDeviceGetUtilizationRates(handle).gpu)
    except Exception:
        utilization = None
    processes = [
        {"pid": int(p.pid), "used_memory_mib": _mib(p.usedGpuMemory)}
        for p in nvml.nvmlDeviceGetComputeRunningProcesses(handle)
    ]
    return {
        "index": index,
        "uuid": _text(nvml.nvmlDeviceGetUUID(handle)),
        "name": _text(nvml.nvmlDeviceGetName(handle)),
        "memory_total_mib": _mib(memory.total),
        "memory_used_mib": _mib(memory.used),
        "utilization_pct": utilization,
        "processes": processes,
    }


def _mib(value: Any) -> int | None:
    return None if value is None else int(value) // MIB


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


# --- nvidia-smi ---------------------------------------------------------------------------


def _from_smi() -> list[dict[str, Any]]:
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    gpus_csv = _run(smi, f"--query-gpu={','.join(GPU_FIELDS)}")
    if gpus_csv is None:
        return []
    apps_csv = _run(smi, f"--query-compute-apps={','.join(APP_FIELDS)}") or ""
    return parse_smi(gpus_csv, apps_csv)


def _run(smi: str, query: str) -> str | None:
    try:
        done = subprocess.run(
            [smi, query, "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=SMI_TIMEOUT_S,
            check=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("nvidia-smi failed: %s", exc)
        return None
    return done.stdout


def parse_smi(gpus_csv: str, apps_csv: str) -> list[dict[str, Any]]:
    """The GPUs from ``nvidia-smi --query-gpu=index,uuid,name,memory.total,memory.used,
    utilization.gpu`` and ``--query-compute-apps=gpu_uuid,pid,used_memory`` (both
    ``--format=csv,noheader,nounits``). Pure."""
    gpus: list[dict[str, Any]] = []
    for row in _rows(gpus_csv):
        if len(row) < len(GPU_FIELDS):
            continue
        index, uuid, name, total, used, util = row[: len(GPU_FIELDS)]
        gpus.append(
            {
                "index": _int(index),
                "uuid": uuid,
                "name": name,
                "memory_total_mib": _int(total),
                "memory_used_mib": _int(used),
                "utilization_pct": _int(util),
                "processes": [],
            }
        )
    by_uuid = {g["uuid"]: g for g in gpus}
    for row in _rows(apps_csv):
        if len(row) >= len(APP_FIELDS) and row[0] in by_uuid and _int(row[1]) is not None:
            by_uuid[row[0]]["processes"].append(
                {"pid": _int(row[1]), "used_memory_mib": _int(row[2])}
            )
    return gpus


def _rows(text: str) -> list[list[str]]:
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text)) if row]


def _int(text: str) -> int | None:
    try:
        return int(float(text))
    except ValueError:  # "[N/A]", "[Not Supported]"
        return None
