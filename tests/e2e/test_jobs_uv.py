"""`hf jobs uv run` through the unchanged `hf` CLI (huggingface_hub 2.4.0, a fresh process,
HF_ENDPOINT at the platform) on the real Docker Engine: HF's default image
ghcr.io/astral-sh/uv:python3.12-bookworm runs as spacehost's own uv image; a command; a local
script, which the client ships in the private bucket {ns}/jobs-artifacts mounted at /data; a
`--with` package; a uv tag not made here. docs/jobs.md, "uv scripts"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest

from tests.e2e.conftest import Running
from tests.support.polling import wait_for

HF = str(Path(sys.executable).parent / "hf")
UV_IMAGE = "spacehost/uv:python3.11-bookworm"  # made at `spacehost up` (prewarm)


def uv_image_made() -> bool:
    try:
        docker.from_env().images.get(UV_IMAGE)
    except docker.errors.ImageNotFound:
        return False
    return True


@pytest.fixture(scope="module")
def uv_platform(platform: Running) -> Running:
    """The session's platform once it has made the uv image (in the background at start-up,
    after the gradio runtime image): waited for once, a failure fails the module at once."""
    wait_for(uv_image_made, 600, what=f"the platform to make {UV_IMAGE}")
    return platform


def hf_jobs(platform: Running, home: Path, *args: str, cwd: Path | None = None) -> Any:
    env = {
        **os.environ,
        "HF_ENDPOINT": platform.url,
        "HF_TOKEN": (platform.data_dir / "token").read_text().strip(),
        "HF_HOME": str(home),
        "NO_COLOR": "1",
    }
    return subprocess.run(
        [HF, "jobs", *args], env=env, capture_output=True, text=True, timeout=300, cwd=cwd
    )


def test_a_command_runs_on_the_default_uv_image(uv_platform: Running, tmp_path: Path) -> None:
    out = hf_jobs(uv_platform, tmp_path, "uv", "run", "python", "-c", "print('uv job ok')")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "uv job ok" in out.stdout
    # the image HF's client names by default, and the Python it runs on here, said in the log
    assert "ghcr.io/astral-sh/uv:python3.12-bookworm runs as spacehost/uv:python3.11" in out.stdout


def test_a_local_script_goes_in_the_artifacts_bucket_and_runs_from_data(
    uv_platform: Running, tmp_path: Path
) -> None:
    script = tmp_path / "hello.py"
    script.write_text(
        '# /// script\n# dependencies = ["six"]\n# ///\n'  # from the platform's index
        "import pathlib, sys, six\n"
        "print('script args', sys.argv[1:], 'from', pathlib.Path(__file__).parent)\n"
        "pathlib.Path('/data/result.txt').write_text('written by the job')\n"
    )
    out = hf_jobs(uv_platform, tmp_path, "uv", "run", "hello.py", "--flag", "x", cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "script args ['--flag', 'x'] from /data" in out.stdout
    assert "/buckets/" in out.stdout and "jobs-artifacts" in out.stdout  # the client says where
    results = (uv_platform.data_dir / "hub").rglob("jobs-artifacts/**/result.txt")
    assert "written by the job" in [p.read_text() for p in results]  # back in the bucket


def test_with_packages_resolve_from_the_platforms_index(
    uv_platform: Running, tmp_path: Path
) -> None:
    out = hf_jobs(
        uv_platform, tmp_path, "uv", "run", "--with", "six", "python", "-c",
        "import six; print('six', six.__version__)",
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert "six 1." in out.stdout


def test_a_uv_tag_not_made_here_is_refused_naming_those_that_are(
    uv_platform: Running, tmp_path: Path
) -> None:
    out = hf_jobs(
        uv_platform, tmp_path, "uv", "run", "--image", "ghcr.io/astral-sh/uv:python3.12-alpine",
        "python", "-c", "1",
    )  # fmt: skip
    assert out.returncode != 0
    assert "ghcr.io/astral-sh/uv:python3.11-bookworm" in out.stdout + out.stderr
