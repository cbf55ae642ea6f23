"""The package index jobs get (docs/jobs.md, "uv scripts"): the host's *local* pip sources
(``file://`` indexes and wheel folders, the ones builds reach through the local mirror,
:mod:`spacehost.builder.mirror`), served read-only by the control plane at
``{HF_ENDPOINT}/api/jobs-pip/N/...`` (api/jobpip.py). Jobs reach the platform and nothing else,
so this is the only index a job can use: ``uv run --with pkg`` and a script's inline
dependencies resolve from it, as ``pip install`` does. Network indexes of the host's
configuration (PyPI, a proxy) are not offered: a job has no way out to them.

Pure, but for :func:`job_index`, which reads the host's configuration (``pip config list``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from spacehost.builder.pipconfig import (
    host_pip_config,
    local_source,
    pip_locations,
    resolve_host_options,
)
from spacehost.settings import PipSettings

JOB_INDEX_PATH = "/api/jobs-pip"


@dataclass(frozen=True)
class JobSource:
    """One local source: pip's option for it, the number of the root folder it is served
    under, and its path below that root (``simple/`` for an index, "" for a wheel folder)."""

    option: str
    root: int
    subpath: str


@dataclass(frozen=True)
class JobIndex:
    """The folders served to jobs (``roots``, numbered as in the URLs) and the sources in
    pip's order (the index first)."""

    roots: tuple[str, ...] = ()
    sources: tuple[JobSource, ...] = ()

    @property
    def offered(self) -> bool:
        return bool(self.sources)

    def env(self, endpoint: str) -> dict[str, str]:
        """The variables that point uv and pip in a job at this index through *endpoint*
        (the job's ``HF_ENDPOINT``); none when there is no local source."""
        base = endpoint.rstrip("/") + JOB_INDEX_PATH
        indexes = [f"{base}/{s.root}/{s.subpath}" for s in self.sources if s.option != "find-links"]
        links = [f"{base}/{s.root}/{s.subpath}" for s in self.sources if s.option == "find-links"]
        if not indexes and not links:
            return {}
        # pip's behaviour across several indexes (the best version wherever it is), not uv's
        # default of the first index that has the name: local sources split packages anyhow
        env = {"UV_INDEX_STRATEGY": "unsafe-best-match"}
        if indexes:
            env["UV_DEFAULT_INDEX"] = env["PIP_INDEX_URL"] = indexes[0]
            if indexes[1:]:
                env["UV_INDEX"] = env["PIP_EXTRA_INDEX_URL"] = " ".join(indexes[1:])
        else:
            env["UV_NO_INDEX"] = env["PIP_NO_INDEX"] = "1"  # PyPI is out of reach anyway
        if links:
            env["UV_FIND_LINKS"] = ",".join(links)
            env["PIP_FIND_LINKS"] = " ".join(links)
        return env


def index_of(
    pip: PipSettings,
    host_cfg: Mapping[str, str],
    *,
    is_dir: Callable[[str], bool] = os.path.isdir,
    is_file: Callable[[str], bool] = os.path.isfile,
) -> JobIndex:
    """The local sources of this pip configuration, roots numbered in order (as the builds'
    mirror numbers them, :func:`spacehost.builder.pipconfig.mirror_roots`)."""
    host = resolve_host_options(host_cfg) if pip.source == "host" else {}
    roots: dict[str, int] = {}
    sources: list[JobSource] = []
    for option, location in pip_locations(pip, host):
        source = local_source(option, location, is_dir=is_dir, is_file=is_file)
        if source is not None:
            number = roots.setdefault(source.root, len(roots))
            sources.append(JobSource(option, number, source.subpath))
    return JobIndex(tuple(roots), tuple(sources))


def job_index(pip: PipSettings) -> JobIndex:
    """:func:`index_of` the host's pip configuration now (runs ``pip config list``)."""
    return index_of(pip, host_pip_config() if pip.source == "host" else {})
