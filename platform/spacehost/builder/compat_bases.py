"""Which local stand-in spacehost can make for a public base image a Dockerfile names. Pure.

Hosts with no registry cannot pull ``python:3.11-slim``; spacehost makes a compatible image from
Debian's archive instead (:mod:`.compat_images`), named ``spacehost/compat-python:...`` or
``spacehost/compat-debian:...`` so it never shadows an image the operator pulled. This module
says which one stands in for an image reference, or why none can.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from spacehost.builder.pythons import nearest_python
from spacehost.errors import BuildFailed

# The Python 3 each Debian suite ships (what a compat image of that suite has).
SUITE_PYTHONS = {"bullseye": "3.9", "bookworm": "3.11", "trixie": "3.13"}
DEBIAN_NUMBERS = {"11": "bullseye", "12": "bookworm", "13": "trixie"}
# Debian's aliases as of 2026-12 (trixie is stable since 2025-08).
DEBIAN_ALIASES = {
    "latest": "trixie",
    "stable": "trixie",
    "oldstable": "bookworm",
    "oldoldstable": "bullseye",
}
KNOWN_SUITES = ("buster", "bullseye", "bookworm", "trixie", "forky", "sid")
HUB_REGISTRIES = ("docker.io", "index.docker.io", "registry-1.docker.io")
_PYTHON_TAG_RE = re.compile(r"^(?:(?P<version>3(?:\.\d+){0,2})(?:-|$))?(?P<rest>.*)$")
_DATE_RE = re.compile(r"^\d{8}$")
# What the official non-slim python image (buildpack-deps) has that Dockerfiles rely on.
FULL_PACKAGES = (
    "autoconf automake bzip2 build-essential curl dirmngr file git gnupg libbz2-dev "
    "libffi-dev libjpeg-dev liblzma-dev libncurses-dev libpng-dev libpq-dev libreadline-dev "
    "libsqlite3-dev libssl-dev libtool libxml2-dev libxslt1-dev libyaml-dev make "
    "openssh-client patch pkg-config procps python3-dev unzip wget xz-utils zlib1g-dev"
)
SLIM_PACKAGES = "netbase tzdata"  # as the official slim image installs


@dataclass(frozen=True)
class ImageRef:
    """An image reference split up: ``registry`` "" for Docker Hub, ``repository`` without
    ``library/``, ``tag`` "latest" when absent, ``digest`` "" when absent."""

    registry: str
    repository: str
    tag: str
    digest: str


@dataclass(frozen=True)
class CompatBase:
    """The stand-in spacehost makes for a public base.

    Attributes:
        tag: its name, ``spacehost/compat-python:3.11-slim-bookworm``.
        family: ``"python"`` or ``"debian"``.
        suite: the Debian suite it is made from.
        python: the Python version it has (``"3.11"``; "" for debian).
        slim: the slim variant (no compilers, git, curl ...).
        warning: a build-log warning when it is not what was asked for ("" otherwise).
    """

    tag: str
    family: str
    suite: str
    python: str = ""
    slim: bool = True
    warning: str = ""

    @property
    def packages(self) -> str:
        """The Debian packages added to the bootstrapped base."""
        if self.family != "python":
            return ""
        return SLIM_PACKAGES if self.slim else f"{SLIM_PACKAGES} {FULL_PACKAGES}"


def parse_ref(ref: str) -> ImageRef:
    """``"python:3.11-slim"`` -> ``ImageRef("", "python", "3.11-slim", "")``;
    ``"docker.io/library/python"`` -> ``ImageRef("", "python", "latest", "")``."""
    name, _, digest = ref.partition("@")
    first, slash, rest = name.partition("/")
    registry = ""
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, name = first, rest
    last = name.rsplit("/", 1)[-1]
    tag = ""
    if ":" in last:
        name, tag = name.rsplit(":", 1)
    if registry in HUB_REGISTRIES:
        registry = ""
    if not registry:
        name = name.removeprefix("library/")
    return ImageRef(registry, name.lower(), tag or "latest", digest)


def compat_for(ref: str, suites: tuple[str, ...], why: str = "") -> CompatBase:
    """The stand-in for the base image *ref*.

    Args:
        ref: the image reference, ARGs substituted (``python:3.11-slim``).
        suites: the Debian suites spacehost may make images from (``settings.compat_suites``).
        why: why *ref* itself cannot be used (the pull's error), for the error message.

    Returns:
        The stand-in, with a warning when its Python or suite differs from *ref*'s.

    Raises:
        BuildFailed: no stand-in can be made for *ref* (another registry, another
            distribution, a suite not configured); the message names *ref* and the hint says
            what to configure.
    """
    image = parse_ref(ref)
    usable = {s: SUITE_PYTHONS[s] for s in suites if s in SUITE_PYTHONS}
    if image.registry == "" and image.repository == "python":
        return _python(ref, image, usable, why)
    if image.registry == "" and image.repository == "debian":
        return _debian(ref, image, usable, why)
    raise _unprovidable(ref, why, _other_reason(image))


def _python(ref: str, image: ImageRef, usable: Mapping[str, str], why: str) -> CompatBase:
    m = _PYTHON_TAG_RE.match("" if image.tag == "latest" else image.tag)
    assert m is not None  # the pattern matches every string
    version = m.group("version") or ""
    words = [w for w in m.group("rest").split("-") if w and not _DATE_RE.match(w)]
    slim = "slim" in words
    named = [w for w in words if w != "slim"]
    if len(named) > 1 or (named and named[0] not in KNOWN_SUITES):
        raise _unprovidable(ref, why, f"the {image.tag!r} variant cannot be made from Debian")
    if version and not version.startswith("3"):
        raise _unprovidable(ref, why, "only Python 3 can be made here")
    suite = named[0] if named else _suite_for(version, usable)
    if suite not in usable:
        raise _unprovidable(ref, why, _suite_reason(suite, usable))
    python = usable[suite]
    variant = "-slim" if slim else ""
    tag = f"spacehost/compat-python:{python}{variant}-{suite}"
    warning = ""
    wanted = ".".join(version.split(".")[:2])
    if version and wanted != python and wanted != "3":
        warning = (
            f"{ref}: Python {wanted} is not available here; using {tag} (Python {python} from "
            f"Debian {suite}, the nearest this host can make; configure a registry mirror or "
            f"`docker load` {ref} for the real one)"
        )
    elif image.digest:
        warning = f"{ref}: the digest cannot be honoured without a registry; using {tag}"
    return CompatBase(tag, "python", suite, python, slim, warning)


def _suite_for(version: str, usable: Mapping[str, str]) -> str:
    """The suite whose Python is nearest *version* (the newest for ``3`` or none)."""
    if not usable:
        return ""
    if not version or version == "3":
        return max(usable, key=lambda s: tuple(int(p) for p in usable[s].split(".")))
    wanted = ".".join(version.split(".")[:2])
    chosen = nearest_python(wanted, usable.values())
    return next((s for s, py in usable.items() if py == chosen), "")


def _debian(ref: str, image: ImageRef, usable: Mapping[str, str], why: str) -> CompatBase:
    words = [w for w in image.tag.split("-") if not _DATE_RE.match(w)]
    slim = "slim" in words
    named = [w for w in words if w != "slim"] or ["latest"]
    word = named[0].split(".")[0]
    suite = DEBIAN_NUMBERS.get(word) or DEBIAN_ALIASES.get(word) or word
    if len(named) > 1 or suite not in usable:
        raise _unprovidable(ref, why, _suite_reason(suite, usable))
    tag = f"spacehost/compat-debian:{suite}{'-slim' if slim else ''}"
    warning = f"{ref}: the digest cannot be honoured without a registry; using {tag}"
    return CompatBase(tag, "debian", suite, warning=warning if image.digest else "")


def _suite_reason(suite: str, usable: Mapping[str, str]) -> str:
    made = ", ".join(sorted(usable)) or "none (SPACEHOST_COMPAT_SUITES is off)"
    if suite in SUITE_PYTHONS:
        return f"Debian {suite} is not among the suites configured here ({made})"
    return f"{suite or 'that tag'} is not a Debian suite spacehost can make (configured: {made})"


def _other_reason(image: ImageRef) -> str:
    if image.registry:
        return f"images from {image.registry} cannot be made here"
    if image.repository == "ubuntu":
        return "Ubuntu images cannot be made from this host's Debian archive"
    return f"spacehost makes only python and debian bases, not {image.repository}"


def _unprovidable(ref: str, why: str, reason: str) -> BuildFailed:
    # What to configure goes into the message too: a space's BUILD_ERROR shows the message.
    because = f" ({why})" if why else ""
    return BuildFailed(
        f"the Dockerfile's base image {ref} is not on this host and cannot be pulled{because}; "
        f"{reason}: configure a registry mirror for the Docker Engine (registry-mirrors in "
        f"/etc/docker/daemon.json) or load the image with `docker load`",
        hint=f"load it here with `docker load -i FILE` (saved elsewhere with `docker save "
        f"{ref}`), or configure a registry mirror; without one, start FROM a base spacehost "
        "can make: python:3.X[-slim][-SUITE] or debian:SUITE[-slim] (docs/builds.md)",
        details={"image": ref},
    )
