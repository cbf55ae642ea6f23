"""spacehost's ``spaces`` package (``runtime_images/spaces_pkg``) as a wheel, made here so that
pip installs it in a space image without a build backend or an index. Pure apart from reading
the package's files; the same files always give the same bytes (fixed times, sorted entries),
so the image layer that installs it is reused by Docker's cache.

The wheel is named ``spaces`` like Hugging Face's package, so pip replaces one with the other:
a space image installs it after the space's requirements (which may list Hugging Face's
``spaces``), as Hugging Face installs gradio after them.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from spacehost.builder.runtime_images import runtime_images_dir

DIST_NAME = "spaces"
ZIP_TIME = (2020, 1, 1, 0, 0, 0)
_VERSION_RE = re.compile(r'^__version__ = "([^"]+)"$', re.M)


@dataclass(frozen=True)
class Wheel:
    filename: str
    data: bytes
    version: str


def package_dir() -> Path:
    """The ``spaces`` package's source folder (``runtime_images/spaces_pkg/spaces``)."""
    return runtime_images_dir() / "spaces_pkg" / "spaces"


def spaces_wheel(source: Path | None = None) -> Wheel:
    """The wheel of the package in *source* (default :func:`package_dir`)."""
    folder = source or package_dir()
    files = {
        f"spaces/{p.relative_to(folder).as_posix()}": p.read_bytes()
        for p in sorted(folder.rglob("*.py"))
    }
    match = _VERSION_RE.search(files["spaces/__init__.py"].decode())
    version = match.group(1) if match else "0.0.0+spacehost"
    return build_wheel(files, version)


def build_wheel(files: dict[str, bytes], version: str) -> Wheel:
    """A pure-Python wheel of ``spaces`` *version* holding *files* (paths inside the wheel)."""
    info = f"{DIST_NAME}-{version}.dist-info"
    metadata = (
        "Metadata-Version: 2.1\n"
        f"Name: {DIST_NAME}\n"
        f"Version: {version}\n"
        "Summary: spacehost's @spaces.GPU (Hugging Face ZeroGPU-compatible) for self-hosted GPUs\n"
        "Requires-Python: >=3.10\n"
    ).encode()
    wheel_meta = (
        b"Wheel-Version: 1.0\nGenerator: spacehost\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    entries = {
        **files,
        f"{info}/METADATA": metadata,
        f"{info}/WHEEL": wheel_meta,
        f"{info}/top_level.txt": b"spaces\n",
    }
    record = "".join(
        f"{name},{_hash(data)},{len(data)}\n" for name, data in sorted(entries.items())
    )
    entries[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(entries):
            item = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            item.external_attr = 0o644 << 16
            item.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(item, entries[name])
    return Wheel(f"{DIST_NAME}-{version}-py3-none-any.whl", buf.getvalue(), version)


def _hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


_HF_SPACES_RE = re.compile(r"^\s*spaces\s*(\[[^\]]*\])?\s*([=<>!~;#@].*)?$", re.I)


def spaces_note(requirements: tuple[str, ...]) -> str:
    """A build-log line when requirements.txt lists Hugging Face's ``spaces`` ("" otherwise):
    it is installed with the requirements, then replaced by spacehost's."""
    if not any(_HF_SPACES_RE.match(line) for line in requirements):
        return ""
    return (
        "requirements.txt lists `spaces` (Hugging Face's ZeroGPU package): spacehost's "
        "compatible `spaces` is installed after the requirements and replaces it"
    )
