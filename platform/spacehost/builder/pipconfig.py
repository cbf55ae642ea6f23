"""How builds reach Python packages: the host's pip configuration, spacehost's own pip settings on
top, minus what a build container cannot reach, rendered as the ``pip.conf`` of the python
runtime image.

Only :func:`host_pip_config` does I/O (it runs ``pip config list``); the rest is pure.
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

from spacehost.errors import BuildFailed
from spacehost.settings import PipSettings

log = logging.getLogger(__name__)

SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"

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
}

_LOOPBACK_HOSTS = ("localhost", "::1", "0.0.0.0")


@dataclass(frozen=True)
class PipPlan:
    """The pip configuration a build uses.

    ``ca_bundle`` is a path on the host ("" for none); its certificates are added to the image's
    trust store. ``warnings`` are lines for the build log (options that were dropped and why).
    """

    index_url: str = ""
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    trusted_hosts: tuple[str, ...] = ()
    timeout: str = ""
    ca_bundle: str = ""
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


def effective_pip_settings(
    pip: PipSettings,
    host_cfg: Mapping[str, str],
    *,
    is_file: Callable[[str], bool] = os.path.isfile,
) -> PipPlan:
    """Merge the host's pip configuration with spacehost's pip settings.

    Args:
        pip: ``settings.pip``. With ``source="none"`` the host configuration is ignored. Its
            lists are added after the host's; its ``index_url`` and ``ca_bundle`` win.
        host_cfg: output of :func:`host_pip_config`.
        is_file: tells whether a host path is a readable file (injected for tests).

    Returns:
        The plan, with local paths, ``file://`` URLs and loopback URLs dropped (a build container
        cannot reach them) and a warning for each.

    Raises:
        BuildFailed: ``pip.ca_bundle`` names a file that does not exist.
    """
    host = resolve_host_options(host_cfg) if pip.source == "host" else {}
    warnings: list[str] = []
    index_url = pip.index_url or host.get("index-url", "")
    if index_url and not _reachable(index_url, "index-url", warnings, "using pypi.org instead"):
        index_url = ""
    extra = _merge(host.get("extra-index-url", "").split(), pip.extra_index_urls)
    links = _merge(host.get("find-links", "").split(), pip.find_links)
    return PipPlan(
        index_url=index_url,
        extra_index_urls=tuple(u for u in extra if _reachable(u, "extra-index-url", warnings)),
        find_links=tuple(u for u in links if _reachable(u, "find-links", warnings)),
        trusted_hosts=_merge(host.get("trusted-host", "").split(), pip.trusted_hosts),
        timeout=host.get("timeout", ""),
        ca_bundle=_ca_bundle(pip.ca_bundle, host.get("cert", ""), is_file, warnings),
        warnings=tuple(warnings),
    )


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
    )
    lines += [f"{name} = {value}" for name, value in singles if value]
    lines += [f"{name} = {' '.join(values)}" for name, values in lists if values]
    return "\n".join(lines) + "\n"


def proxy_build_args(pip: PipSettings) -> dict[str, str]:
    """The proxy variables to pass to every build as build args.

    ``HTTP_PROXY`` and friends are Docker's predefined build args: ``RUN`` steps see them (pip,
    apt and curl honour them), yet they stay out of the image and out of the layer cache key.
    """
    return dict(pip.proxy_env)
