"""What a space may assume in its image: the Hugging Face build image contract. Pure.

Hugging Face builds a gradio space on its full Python image with a few Debian packages added
(``git git-lfs ffmpeg libsm6 libxext6 cmake rsync libgl1``, ``git lfs install``), a few Python
packages installed before the space's requirements (``datasets``, ``huggingface_hub``,
``hf-transfer``, with its platform pin ``protobuf<4``), and
``gradio[oauth,mcp]==sdk_version`` plus ``spaces`` after them. Real spaces rely on all of it
without saying so (lightgbm needs ``libgomp.so.1``, opencv ``libGL.so.1``, pydub ``ffmpeg``,
gradio 5.x ``requests``). docs/builds.md ("What a space may assume") lists the same, with the
sources it was reconstructed from.

spacehost's runtime images give the same: the system layer (``runtime_images/system``) holds
:data:`SYSTEM_PACKAGES` once for every Python and gradio version made on a Debian base; the
gradio layer installs :data:`PREINSTALLED` and then gradio with :data:`GRADIO_EXTRAS`.
Runtime images made from an operator's image (an image reference in
``SPACEHOST_PYTHON_BASES``, ``SPACEHOST_GPU_BASE_IMAGE``) are used as the operator made them:
no Debian packages are added and gradio comes without extras, since such hosts may reach no
Debian archive or package index.
"""

from __future__ import annotations

# The contract's version, in every runtime image tag: images made to an older contract keep
# their tags (and the builds that use them) and are never rebuilt in place.
CONTRACT = "hf1"

# Debian (bookworm/trixie) package names. HF's list first, then what HF's full Python image
# (buildpack-deps) has that spaces commonly need.
HF_SYSTEM_PACKAGES = (
    "git",
    "git-lfs",
    "ffmpeg",
    "libsm6",
    "libxext6",
    "cmake",
    "rsync",
    "libgl1",
)
FULL_IMAGE_PACKAGES = (
    "build-essential",  # gcc, g++, make, libc6-dev: sdists that compile C/C++
    "make",
    "pkg-config",
    "python3-dev",  # Python.h for those compiles
    "libgomp1",  # OpenMP runtime: lightgbm, xgboost, scikit-learn builds, faiss
    "libglib2.0-0",  # libgthread: opencv-python
    "libxrender1",
    "libffi-dev",
    "libssl-dev",
    "curl",
    "wget",
    "procps",
    "unzip",
    "xz-utils",
)
SYSTEM_PACKAGES = HF_SYSTEM_PACKAGES + FULL_IMAGE_PACKAGES

# Installed before gradio in the gradio layer, as HF installs them before the requirements.
# HF's older ``click<8.1`` pin is left out on purpose: today's typer needs a newer click, so pip
# backtracks to an older huggingface_hub and datasets to honour it (seen: huggingface_hub
# 1.16 instead of 2.4, datasets 5.0 instead of 5.2).
PREINSTALLED = (
    "datasets",
    "huggingface_hub",
    "hf_xet",
    "hf-transfer>=0.1.4",
    "requests",
    "protobuf<4",
    # HF's `spaces` package depends on psutil>=2,<6 (and gradio's own dependencies), so every
    # HF space has it; spacehost's `spaces` needs none, hence it is pre-installed here
    "psutil<6",
)

# What a dated build of another gradio (on the python image, builder/cutoff.py) pre-installs as
# of its date: the same without hf_xet, whose first release (2025-02) postdates most such dates,
# so naming it would make pip fail the whole step and fall back to today's packages.
# huggingface_hub >= 0.32 depends on hf_xet itself, so a later date still brings it.
DATED_PREINSTALLED = tuple(p for p in PREINSTALLED if p != "hf_xet")

GRADIO_EXTRAS = "oauth,mcp"


def gradio_requirement(version: str, extras: str = GRADIO_EXTRAS) -> str:
    """``("6.31.0", "oauth,mcp")`` -> ``"gradio[oauth,mcp]==6.31.0"``; no extras: ``gradio==V``.

    pip only warns about an extra a version lacks (``mcp`` before gradio 5.28), as on HF.
    """
    return f"gradio[{extras}]=={version}" if extras else f"gradio=={version}"


def packages_file(packages: tuple[str, ...] = SYSTEM_PACKAGES) -> bytes:
    """The system layer's ``packages.txt``: one Debian package a line."""
    return ("\n".join(packages) + "\n").encode()
