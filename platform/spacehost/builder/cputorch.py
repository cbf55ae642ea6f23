"""The CPU torch policy: builds for spaces without a GPU install the CPU build of torch when a
local ``torch-VERSION+cpu-cpXY-...whl`` exists for the image's Python.

pip alone picks the highest torch version it finds, which on PyPI (and in most mirrors) is the
multi-GB CUDA build; a CPU-only space gains nothing from CUDA. With ``SPACEHOST_CPU_TORCH=auto``
CPU builds are constrained to ``torch==VERSION+cpu`` (a pip constraints file in the image, named
by ``PIP_CONSTRAINT`` in the space's Dockerfile); GPU builds are left alone.

:func:`find_cpu_torch` reads folder listings and index pages; the rest is pure.
"""

from __future__ import annotations

import os
import platform
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from spacehost.builder.pipconfig import LocalSource
from spacehost.errors import BuildFailed

SETTING = "SPACEHOST_CPU_TORCH"

_WHEEL = re.compile(
    r"^torch-(?P<version>[^-]+\+cpu[^-]*)-(?P<python>[^-]+)-(?P<abi>[^-]+)-(?P<platform>[^-]+)\.whl$",
    re.IGNORECASE,
)
_HREF = re.compile(r"""href\s*=\s*["']([^"'#]+)""", re.IGNORECASE)


@dataclass(frozen=True)
class CpuTorch:
    """A local CPU torch wheel: its version (``2.13.0+cpu``), file name and where it was found."""

    version: str
    filename: str
    location: str

    @property
    def requirement(self) -> str:
        return f"torch=={self.version}"


@dataclass(frozen=True)
class TorchPin:
    """What a build does about torch: the constraint (``torch==2.13.0+cpu``, or "" for none),
    the wheel behind it, and a line for the build log ("" for nothing to say)."""

    constraint: str = ""
    wheel: CpuTorch | None = None
    note: str = ""


def wheel_matches(filename: str, python_version: str, machine: str | None = None) -> str:
    """The torch version of *filename* when it is a CPU torch wheel for CPython
    *python_version* (``"3.11"``) on *machine* (default: this host's, e.g. ``x86_64``), else
    ""."""
    match = _WHEEL.match(filename)
    if not match:
        return ""
    tag = "cp" + python_version.replace(".", "")
    arch = (machine or platform.machine()).lower()
    pythons = match.group("python").lower().split(".")
    platforms = match.group("platform").lower().split(".")
    if tag not in pythons or not any(p.endswith(arch) for p in platforms):
        return ""
    return match.group("version")


def candidate_names(
    source: LocalSource,
    *,
    listdir: Callable[[str], list[str]] = os.listdir,
    read: Callable[[str], str] | None = None,
) -> list[str]:
    """File names of torch distributions a local source offers: a wheel folder's files, or
    the links of an index's ``torch/`` page."""
    try:
        if source.option == "find-links":
            return list(listdir(source.path)) if source.subpath == "" else []
        page = os.path.join(source.path, "torch", "index.html")
        text = read(page) if read else Path(page).read_text(errors="replace")
    except OSError:
        return []
    return [href.rsplit("/", 1)[-1] for href in _HREF.findall(text)]


def find_cpu_torch(
    sources: Iterable[LocalSource],
    python_version: str,
    *,
    names: Callable[[LocalSource], list[str]] = candidate_names,
    machine: str | None = None,
) -> CpuTorch | None:
    """The highest local CPU torch wheel for *python_version* among *sources*, or None."""
    best: tuple[Version, CpuTorch] | None = None
    for source in sources:
        for name in names(source):
            version = wheel_matches(name, python_version, machine)
            try:
                parsed = Version(version) if version else None
            except InvalidVersion:
                parsed = None
            if parsed is not None and (best is None or parsed > best[0]):
                best = (parsed, CpuTorch(version, name, source.location))
    return best[1] if best else None


def decide(
    mode: str, *, wants_gpu: bool, wheel: CpuTorch | None, python_version: str, uses_torch: bool
) -> TorchPin:
    """The pin for one build.

    Args:
        mode: ``SPACEHOST_CPU_TORCH`` (``auto`` or ``off``).
        wants_gpu: the space asks for a GPU (its build keeps pip's own choice).
        wheel: what :func:`find_cpu_torch` found among the sources builds can reach.
        python_version: the image's Python, for the log line.
        uses_torch: the space's requirements name torch (reasons for not pinning are only
            worth a log line then).
    """
    if mode == "off":
        note = f"--> torch: not pinned ({SETTING}=off): pip chooses it" if uses_torch else ""
        return TorchPin(note=note)
    if wants_gpu:
        note = "--> torch: not pinned to a CPU build: this space asks for a GPU"
        return TorchPin(note=note if uses_torch and wheel else "")
    if wheel is None:
        note = (
            f"--> torch: no local CPU torch wheel for Python {python_version} is reachable, so "
            "pip chooses torch from the indexes (usually the multi-GB CUDA build)"
        )
        return TorchPin(note=note if uses_torch else "")
    note = (
        f"--> torch: CPU build, so pip is constrained to {wheel.requirement} (the local wheel "
        f"{wheel.filename} from {wheel.location}) instead of a CUDA build; {SETTING}=off turns "
        "this off"
    )
    return TorchPin(constraint=wheel.requirement, wheel=wheel, note=note)


def torch_requirements(lines: Sequence[str]) -> list[Requirement]:
    """The requirements on ``torch`` among requirements.txt *lines* (options, URLs and lines
    that do not parse are skipped)."""
    found: list[Requirement] = []
    for raw in lines:
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("-", "#")):
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if canonicalize_name(req.name) == "torch":
            found.append(req)
    return found


def check_requirements(pin: TorchPin, files: Sequence[tuple[str, Sequence[str]]]) -> None:
    """Fail early when the space asks for a torch the pin excludes.

    Args:
        pin: the build's pin.
        files: ``(file name, lines)`` for pre-requirements.txt and requirements.txt.

    Raises:
        BuildFailed: a requirement's version specifier (or URL) does not allow the pinned
            version; the message names the line, the hint the setting.
    """
    if pin.wheel is None:
        return
    version = pin.wheel.version
    for name, lines in files:
        for req in torch_requirements(lines):
            if req.url or not req.specifier.contains(version, prereleases=True):
                raise BuildFailed(
                    f"{name} asks for {req}, but builds without a GPU here install "
                    f"{pin.wheel.requirement} (the local CPU wheel {pin.wheel.filename})",
                    hint=f"ask for plain `torch` (or a range that allows {version}) in {name}, "
                    f"give the space a GPU (suggested_hardware), or set {SETTING}=off to let "
                    "pip choose torch from the indexes (usually the multi-GB CUDA build)",
                    details={"requirement": str(req), "pinned": pin.constraint},
                )


def conflict_hint(log_tail: Sequence[str]) -> str:
    """A hint for a failed pip step whose output blames the CPU torch pin, else ""."""
    # pip prints the merged constraints: "The user requested (constraint) torch<=2,==2.1+cpu"
    if any("(constraint) torch" in line and "+cpu" in line for line in log_tail):
        return (
            "a package needs another torch than the CPU build this host pins for builds without "
            f"a GPU: loosen that package's version, or set {SETTING}=off to let pip choose torch"
        )
    return ""
