"""How builds reach Python packages: the host's pip configuration, spacehost's own pip settings on
top, with the host's local sources (``file://`` indexes, wheel folders) rewritten to the local
pip mirror (:mod:`spacehost.builder.mirror`) and what a build container cannot reach dropped,
rendered as the ``pip.conf`` of the python runtime image.

:func:`host_pip_config` runs ``pip config list``; the rest only asks whether paths exist
(injectable for tests).
"""

from __future__ import annotations

import ast
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit
from urllib.request import url2pathname

from spacehost.builder.mirror import MIRROR_HOSTNAME, MirrorStatus
from spacehost.errors import BuildFailed
from spacehost.settings import PipSettings

log = logging.getLogger(__name__)

SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
# Where the python runtime image keeps the host's constraints and the CPU torch pin.
IMAGE_CONSTRAINTS = "/etc/spacehost/constraints.txt"
IMAGE_CPU_TORCH = "/etc/spacehost/cpu-torch.txt"

# pip reads options from config files by section ("global", then the running command's own
# section), and environment variables (":env:") override both. Builds run `pip install`.
_SECTION_RANK = {"global": 0, "install": 1, ":env:": 2}

# Short and long spellings pip accepts in config files and PIP_* variables.
_OPTION_NAMES = {
    "index-url": "index-url",
    "i": "index-url",
    "extra-index-url": "extra-index-url",
    "find-links": "find-links",
    "f": "find-links",
    "trusted-host": "trusted-host",
    "cert": "cert",
    "timeout": "timeout",
    "default-timeout": "timeout",
    "constraint": "constraint",
    "c": "constraint",
}

_LOOPBACK_HOSTS = ("localhost", "::1", "0.0.0.0")


@dataclass(frozen=True)
class LocalSource:
    """A pip location on this host's filesystem, which builds reach through the local mirror.

    Attributes:
        option: ``index-url``, ``extra-index-url`` or ``find-links``.
        location: as configured (``file:///opt/pypi/simple``, ``/opt/wheels``).
        path: the folder (or find-links file) it names on the host.
        root: the folder the mirror serves for it. For an index, the index folder's parent:
            index pages commonly link to ``../../files/NAME.whl`` beside the index folder.
        subpath: the rest of the URL below the root: ``simple/`` for such an index, "" for a
            wheel folder, the file name for a find-links HTML file.
    """

    option: str
    location: str
    path: str
    root: str
    subpath: str


@dataclass(frozen=True)
class PipPlan:
    """The pip configuration a build uses.

    ``ca_bundle`` is a path on the host ("" for none); its certificates are added to the image's
    trust store. ``constraint_files`` are host paths whose lines become the image's constraints
    file; ``constraint_urls`` are named as they are. ``served`` are the local sources reached
    through the mirror, and ``hosts`` the ``extra_hosts`` builds need for it. ``warnings`` are
    lines for the build log (options that were dropped and why).
    """

    index_url: str = ""
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    trusted_hosts: tuple[str, ...] = ()
    timeout: str = ""
    ca_bundle: str = ""
    constraint_files: tuple[str, ...] = ()
    constraint_urls: tuple[str, ...] = ()
    served: tuple[LocalSource, ...] = ()
    hosts: tuple[tuple[str, str], ...] = ()
    warnings: tuple[str, ...] = ()


def parse_pip_config_list(text: str) -> dict[str, str]:
    """Parse the output of ``pip config list``.

    Args:
        text: lines such as ``global.index-url='https://example.org/simple'`` or
            ``:env:.timeout='60'``; other lines are ignored.

    Returns:
        ``{"global.index-url": "https://example.org/simple", ...}``: keys as pip prints them
        (``section.option``), values unquoted.
    """
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, raw = line.strip().partition("=")
        if not sep or "." not in key:
            continue
        out[key.strip()] = _unquote(raw.strip())
    return out


def _unquote(raw: str) -> str:
    # pip prints values with %r, so a value holding a quote comes back double-quoted.
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return raw.strip("'\"")
    return value if isinstance(value, str) else str(value)


def host_pip_config(python: str | None = None) -> dict[str, str]:
    """The host's pip configuration, as ``pip config list`` reports it.

    Args:
        python: the interpreter whose pip to ask; default: the one running spacehost (its pip
            reads the same global and user files and ``PIP_*`` variables as the system's).

    Returns:
        What :func:`parse_pip_config_list` makes of the output; ``{}`` when pip cannot be run
        (logged), so a host without pip builds with pip's defaults.
    """
    cmd = [python or sys.executable, "-m", "pip", "config", "list"]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("cannot read the host's pip configuration (%s): %s", " ".join(cmd), exc)
        return {}
    if done.returncode != 0:
        log.warning("`%s` failed: %s", " ".join(cmd), done.stderr.strip()[-500:])
        return {}
    return parse_pip_config_list(done.stdout)


def resolve_host_options(host_cfg: Mapping[str, str]) -> dict[str, str]:
    """The value pip itself would use for each option this module knows, from *host_cfg*.

    Args:
        host_cfg: output of :func:`parse_pip_config_list`.

    Returns:
        ``{"index-url": ..., "find-links": ..., "timeout": ...}``: for each option, the value
        from the highest-ranked section (``:env:`` > ``install`` > ``global``); other
        sections and options are ignored, as ``pip install`` ignores them.
    """
    ranked: dict[str, tuple[int, str]] = {}
    for key, value in host_cfg.items():
        section, _, name = key.rpartition(".")
        option = _OPTION_NAMES.get(name)
        rank = _SECTION_RANK.get(section)
        if option is None or rank is None:
            continue
        if option not in ranked or rank >= ranked[option][0]:
            ranked[option] = (rank, value)
    return {option: value for option, (_, value) in ranked.items()}


def local_path(location: str) -> str | None:
    """The host path a pip location names: a ``file://`` URL or a plain path (made absolute);
    None for a network URL (``file://otherhost/...`` included)."""
    parts = urlsplit(location)
    if parts.scheme == "file":
        return url2pathname(parts.path) if parts.netloc in ("", "localhost") else None
    if "://" in location:
        return None
    return os.path.abspath(os.path.expanduser(location))


def local_source(
    option: str,
    location: str,
    *,
    is_dir: Callable[[str], bool] = os.path.isdir,
    is_file: Callable[[str], bool] = os.path.isfile,
) -> LocalSource | None:
    """How the mirror serves *location* (see :class:`LocalSource`); None when it is not a
    local path, or names nothing on this host."""
    path = local_path(location)
    if path is None:
        return None
    path = path.rstrip("/") or "/"
    parent, name = os.path.dirname(path), os.path.basename(path)
    if option == "find-links":
        if is_dir(path):
            return LocalSource(option, location, path, path, "")
        if is_file(path):
            return LocalSource(option, location, path, parent, name)
        return None
    if not is_dir(path):
        return None
    if parent in ("", "/"):  # never serve the whole filesystem for an index at /simple
        return LocalSource(option, location, path, path, "")
    return LocalSource(option, location, path, parent, name + "/")


def pip_locations(pip: PipSettings, host: Mapping[str, str]) -> list[tuple[str, str]]:
    """Every ``(option, location)`` pip would read, in pip.conf order (index first)."""
    out: list[tuple[str, str]] = []
    if index_url := pip.index_url or host.get("index-url", ""):
        out.append(("index-url", index_url))
    extra = _merge(host.get("extra-index-url", "").split(), pip.extra_index_urls)
    links = _merge(host.get("find-links", "").split(), pip.find_links)
    out += [("extra-index-url", u) for u in extra]
    out += [("find-links", u) for u in links]
    return out


def mirror_roots(
    pip: PipSettings,
    host_cfg: Mapping[str, str],
    *,
    is_dir: Callable[[str], bool] = os.path.isdir,
    is_file: Callable[[str], bool] = os.path.isfile,
) -> tuple[str, ...]:
    """The folders the local mirror must serve for this configuration, in URL order: root
    ``N`` is served at ``http://spacehost-mirror:PORT/N/``."""
    host = resolve_host_options(host_cfg) if pip.source == "host" else {}
    roots: dict[str, None] = {}
    for option, location in pip_locations(pip, host):
        source = local_source(option, location, is_dir=is_dir, is_file=is_file)
        if source is not None:
            roots.setdefault(source.root)
    return tuple(roots)


def effective_pip_settings(
    pip: PipSettings,
    host_cfg: Mapping[str, str],
    *,
    mirror: MirrorStatus | None = None,
    is_file: Callable[[str], bool] = os.path.isfile,
    is_dir: Callable[[str], bool] = os.path.isdir,
) -> PipPlan:
    """Merge the host's pip configuration with spacehost's pip settings.

    Args:
        pip: ``settings.pip``. With ``source="none"`` the host configuration is ignored. Its
            lists are added after the host's; its ``index_url`` and ``ca_bundle`` win.
        host_cfg: output of :func:`host_pip_config`.
        mirror: the local mirror's status for :func:`mirror_roots` of the same configuration.
            When it answers (``url`` set), local paths and ``file://`` URLs become its URLs;
            otherwise (or None) they are dropped, with its problem and a warning for each.
        is_file: tells whether a host path is a readable file (injected for tests).
        is_dir: tells whether a host path is a folder (injected for tests).

    Returns:
        The plan, with loopback URLs dropped too (a build container cannot reach them).

    Raises:
        BuildFailed: ``pip.ca_bundle`` names a file that does not exist.
    """
    host = resolve_host_options(host_cfg) if pip.source == "host" else {}
    warnings: list[str] = [mirror.problem] if mirror and mirror.problem else []
    via = _MirrorRoute(mirror.url if mirror else "", is_dir, is_file, warnings)
    chosen: dict[str, list[str]] = {"index-url": [], "extra-index-url": [], "find-links": []}
    for option, location in pip_locations(pip, host):
        fallback = "using pypi.org instead" if option == "index-url" else ""
        if url := via.route(option, location, fallback):
            chosen[option].append(url)
    trusted = _merge(host.get("trusted-host", "").split(), pip.trusted_hosts)
    if via.served:
        trusted = _merge(trusted, [urlsplit(via.base).netloc])
    files, urls = _constraints(host.get("constraint", "").split(), is_file, warnings)
    return PipPlan(
        index_url=next(iter(chosen["index-url"]), ""),
        extra_index_urls=tuple(chosen["extra-index-url"]),
        find_links=tuple(chosen["find-links"]),
        trusted_hosts=trusted,
        timeout=host.get("timeout", ""),
        ca_bundle=_ca_bundle(pip.ca_bundle, host.get("cert", ""), is_file, warnings),
        constraint_files=files,
        constraint_urls=urls,
        served=tuple(via.served),
        hosts=tuple(mirror.hosts.items()) if mirror and via.served else (),
        warnings=tuple(warnings),
    )


class _MirrorRoute:
    """Turns configured locations into URLs a build can reach, numbering served roots as
    :func:`mirror_roots` does."""

    def __init__(
        self,
        base: str,
        is_dir: Callable[[str], bool],
        is_file: Callable[[str], bool],
        warnings: list[str],
    ):
        self.base = base
        self._is_dir = is_dir
        self._is_file = is_file
        self._warnings = warnings
        self._roots: dict[str, int] = {}
        self.served: list[LocalSource] = []

    def route(self, option: str, location: str, fallback: str) -> str:
        """The URL for *location*, or "" (with a warning) when a build cannot reach it."""
        if not self.base or local_path(location) is None:
            return location if _reachable(location, option, self._warnings, fallback) else ""
        source = local_source(option, location, is_dir=self._is_dir, is_file=self._is_file)
        if source is None:
            suffix = f"; {fallback}" if fallback else ""
            self._warnings.append(
                f"skipping local {option} {location}: no such folder on this host{suffix}"
            )
            return ""
        index = self._roots.setdefault(source.root, len(self._roots))
        self.served.append(source)
        return f"{self.base}/{index}/{source.subpath}"


def _constraints(
    entries: Iterable[str], is_file: Callable[[str], bool], warnings: list[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    files: list[str] = []
    urls: list[str] = []
    for entry in dict.fromkeys(entries):
        path = local_path(entry)
        if path is None:
            if _reachable(entry, "constraint", warnings):
                urls.append(entry)
        elif is_file(path):
            files.append(path)
        else:
            warnings.append(f"ignoring pip's constraint {entry}: no such file on this host")
    return tuple(files), tuple(urls)


def _merge(first: Iterable[str], second: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*first, *second]))


def _reachable(url: str, option: str, warnings: list[str], fallback: str = "") -> bool:
    parts = urlsplit(url)
    suffix = f"; {fallback}" if fallback else ""
    if "://" not in url or parts.scheme == "file":
        warnings.append(
            f"skipping local {option} {url}: not reachable from a build container{suffix}"
        )
        return False
    host = (parts.hostname or "").lower()
    if host in _LOOPBACK_HOSTS or host.startswith("127."):
        warnings.append(
            f"skipping {option} {url}: it names this host's loopback interface, which a build "
            f"container cannot reach (use an address the containers can route to){suffix}"
        )
        return False
    return True


def _ca_bundle(
    configured: str, pip_cert: str, is_file: Callable[[str], bool], warnings: list[str]
) -> str:
    if configured == "none":
        return ""
    if configured:
        if not is_file(configured):
            raise BuildFailed(
                f"the CA bundle {configured} (SPACEHOST_CA_BUNDLE) does not exist",
                hint="point SPACEHOST_CA_BUNDLE at a PEM file, or set it to 'none'",
            )
        return configured
    if pip_cert:
        if is_file(pip_cert):
            return pip_cert
        warnings.append(f"ignoring pip's cert {pip_cert}: no such file on this host")
    return SYSTEM_CA_BUNDLE if is_file(SYSTEM_CA_BUNDLE) else ""


def render_pip_conf(plan: PipPlan) -> str:
    """The ``/etc/pip.conf`` of the python runtime image for *plan*.

    The CA bundle is not named here: the image sets ``PIP_CERT`` to its own bundle.
    """
    lines = [
        "# Written by spacehost from the host's pip configuration and SPACEHOST_PIP_* settings.",
        "[global]",
        "disable-pip-version-check = true",
    ]
    singles = (("index-url", plan.index_url), ("timeout", plan.timeout))
    lists = (
        ("extra-index-url", plan.extra_index_urls),
        ("find-links", plan.find_links),
        ("trusted-host", plan.trusted_hosts),
        ("constraint", image_constraints(plan)),
    )
    lines += [f"{name} = {value}" for name, value in singles if value]
    lines += [f"{name} = {' '.join(values)}" for name, values in lists if values]
    return "\n".join(lines) + "\n"


def image_constraints(plan: PipPlan, *, cpu_torch: bool = False) -> tuple[str, ...]:
    """The constraint files and URLs pip uses in an image made with *plan* (plus the CPU torch
    pin with *cpu_torch*): pip.conf's ``constraint``, or a CPU build's ``PIP_CONSTRAINT``,
    which replaces it and so repeats it."""
    files = (IMAGE_CONSTRAINTS,) if plan.constraint_files else ()
    return (*files, *plan.constraint_urls, *((IMAGE_CPU_TORCH,) if cpu_torch else ()))


def proxy_build_args(pip: PipSettings) -> dict[str, str]:
    """The proxy variables to pass to every build as build args.

    ``HTTP_PROXY`` and friends are Docker's predefined build args: ``RUN`` steps see them (pip,
    apt and curl honour them), yet they stay out of the image and out of the layer cache key.
    When a proxy is set, the local mirror's name is added to ``NO_PROXY``/``no_proxy``: the
    proxy cannot reach the bridge gateway on the builds' behalf.
    """
    args = dict(pip.proxy_env)
    if not args:
        return args
    for name in ("NO_PROXY", "no_proxy"):
        current = [h for h in args.get(name, "").split(",") if h.strip()]
        args[name] = ",".join(dict.fromkeys([*current, MIRROR_HOSTNAME]))
    return args
