"""Python wheels made on the spot, for pip indexes and wheel folders a test serves."""

from __future__ import annotations

import zipfile
from pathlib import Path


def make_wheel(path: Path, name: str, version: str) -> None:
    """Write a minimal valid pure-Python wheel of *name* *version* to *path*."""
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": f"VERSION = {version!r}\n",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = "".join(f"{k},,\n" for k in files) + f"{dist}/RECORD,,\n"
    with zipfile.ZipFile(path, "w") as zf:
        for k, v in files.items():
            zf.writestr(k, v)
        zf.writestr(f"{dist}/RECORD", record)
