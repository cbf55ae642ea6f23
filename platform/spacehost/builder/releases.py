"""When a project's releases were uploaded to the package index, learned from the host (the
index's JSON simple API, PEP 691/700: the ``upload-time`` of each file) and kept on disk.

The build's cut-off (:mod:`.cutoff`) needs the upload time of the space's gradio and of the
gradio release after it. One fetch of the project's page gives every release; the answer is
cached in ``DATA/cache/releases/<project>.json`` (release times never change), and fetched
again only when it lacks the version asked for, or lacks a later release and is a day old.
Offline, the cache answers alone; without it the caller is told why and goes on without.
"""

from __future__ import annotations

import json
import re
import ssl
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from packaging.utils import parse_sdist_filename, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from spacehost.atomicfile import write_atomic

PYPI_SIMPLE = "https://pypi.org/simple"
FETCH_TIMEOUT_S = 15.0
REFRESH_AFTER_S = 86400.0
_ACCEPT = "application/vnd.pypi.simple.v1+json"
# (first, last) upload of a version's files, ISO text, by version
Times = dict[str, tuple[str, str]]
Fetch = Callable[[str, str], bytes]  # (url, ca_file) -> body


@dataclass(frozen=True)
class ReleaseWindow:
    """A release and the time it was the newest one.

    Attributes:
        version: the release.
        uploaded: when its last file was uploaded (it is complete on the index from then).
        superseded: when the first file of a later final release was uploaded; None while it
            is the newest.
        superseded_by: that later release ("" while none).
    """

    version: str
    uploaded: datetime
    superseded: datetime | None = None
    superseded_by: str = ""


def release_times(page: Mapping[str, object]) -> Times:
    """``{version: (first upload, last upload)}`` from a PEP 691 project page; files without
    ``upload-time`` or with names that are not a wheel or sdist are left out."""
    out: dict[str, tuple[str, str]] = {}
    files = page.get("files")
    for item in files if isinstance(files, list) else []:
        when = item.get("upload-time") if isinstance(item, dict) else None
        version = _file_version(str(item.get("filename", ""))) if isinstance(item, dict) else ""
        if not isinstance(when, str) or not version:
            continue
        first, last = out.get(version, (when, when))
        out[version] = (min(first, when, key=_instant), max(last, when, key=_instant))
    return out


def window(times: Times, version: str) -> ReleaseWindow | None:
    """When *version* was uploaded and when a later final release superseded it (None when
    *times* lacks *version*)."""
    if version not in times:
        return None
    wanted = Version(version)
    later = [
        (_instant(first), v)
        for v, (first, _) in times.items()
        if _valid(v) and Version(v) > wanted and not Version(v).is_prerelease
    ]
    uploaded = _instant(times[version][1])
    after = [(when, v) for when, v in later if when > uploaded]
    if not after:
        return ReleaseWindow(version, uploaded)
    when, by = min(after)
    return ReleaseWindow(version, uploaded, when, by)


class ReleaseDates:
    """Release windows of a project, from *index_url*, cached under *cache_dir*.

    Args:
        index_url: a simple index that answers PEP 691 JSON (PyPI does).
        cache_dir: where ``<project>.json`` is kept.
        ca_file: CA bundle for HTTPS ("" = the system's).
        fetch: downloads a URL (injected for tests).
        clock: seconds since the epoch (injected for tests).
    """

    def __init__(
        self,
        index_url: str,
        cache_dir: Path,
        *,
        ca_file: str = "",
        fetch: Fetch | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self._index = index_url.rstrip("/")
        self._dir = cache_dir
        self._ca = ca_file
        self._fetch = fetch or _fetch
        self._clock = clock

    def window(self, project: str, version: str) -> tuple[ReleaseWindow | None, str]:
        """``(window, problem)``: the window of *project* *version*, or None and why not
        (the index cannot be reached and nothing is cached, or it has no such release)."""
        cached, fetched_at = self._read(project)
        found = window(cached, version)
        stale = self._clock() - fetched_at > REFRESH_AFTER_S
        if found is not None and (found.superseded is not None or not stale):
            return found, ""
        try:
            fresh = release_times(json.loads(self._fetch(self._page(project), self._ca)))
        except (OSError, ValueError) as exc:  # offline, refused, not JSON
            if found is not None:
                return found, ""
            return None, f"{self._page(project)} could not be read ({exc})"
        self._write(project, fresh)
        found = window(fresh, version)
        if found is None:
            return None, f"{self._page(project)} lists no upload of {project} {version}"
        return found, ""

    def _page(self, project: str) -> str:
        return f"{self._index}/{project}/"

    def _path(self, project: str) -> Path:
        return self._dir / f"{re.sub(r'[^a-z0-9-]', '-', project.lower())}.json"

    def _read(self, project: str) -> tuple[Times, float]:
        try:
            data = json.loads(self._path(project).read_text())
            times = {str(k): (str(v[0]), str(v[1])) for k, v in data["releases"].items()}
            return times, float(data["fetched_at"])
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return {}, 0.0

    def _write(self, project: str, times: Times) -> None:
        data = {"index": self._index, "fetched_at": self._clock(), "releases": times}
        self._dir.mkdir(parents=True, exist_ok=True)
        write_atomic(self._path(project), json.dumps(data, sort_keys=True).encode())


def _fetch(url: str, ca_file: str) -> bytes:
    context = ssl.create_default_context(cafile=ca_file or None)
    request = urllib.request.Request(url, headers={"Accept": _ACCEPT})
    # urllib honours HTTP(S)_PROXY/NO_PROXY from the environment, as pip on the host does.
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S, context=context) as response:
        body: bytes = response.read()
        return body


def _file_version(filename: str) -> str:
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[1])
        return str(parse_sdist_filename(filename)[1])
    except ValueError:  # packaging's InvalidWheelFilename/InvalidSdistFilename/InvalidVersion
        return ""


def _valid(version: str) -> bool:
    try:
        Version(version)
    except InvalidVersion:
        return False
    return True


def _instant(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
