"""The pip steps of a dated build: the rendered RUN lines, and what they do when pip cannot
resolve as of the date (run with a real shell and a stand-in pip that refuses dated
installs of one argument): that step falls back with a warning, the others stay dated."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from spacehost.builder.contract import DATED_PREINSTALLED
from spacehost.builder.dockerfile import BuildPlan, plan_build, render_dockerfile
from spacehost.domain import Sdk
from spacehost.manifest.model import Manifest, SpaceSource

CUTOFF = "2025-01-07T00:30:44Z"
FROM = "spacehost/python:3.11-bookworm"


def space(requirements: str = "six==1.16.0\n", sdk_version: str = "5.9.1") -> SpaceSource:
    return SpaceSource(
        manifest=Manifest(title="Old", sdk=Sdk.GRADIO, sdk_version=sdk_version),
        files={"app.py": b"import gradio\n", "requirements.txt": requirements.encode()},
        requirements=tuple(requirements.split()),
    )


def plan(uploaded_prior_to: str) -> BuildPlan:
    base = plan_build(space(), from_image=FROM, python_version="3.11", runtime_gradio="6.31.0")
    return BuildPlan(**{**base.__dict__, "uploaded_prior_to": uploaded_prior_to})


def run_steps(dockerfile: str) -> list[str]:
    """The RUN commands, continuation lines joined."""
    steps: list[str] = []
    current: list[str] | None = None
    for line in dockerfile.splitlines():
        if current is None and line.startswith("RUN "):
            current = []
            line = line[4:]
        if current is not None:
            current.append(line.rstrip("\\").rstrip())
            if not line.endswith("\\"):
                steps.append(" ".join(current))
                current = None
    return steps


def test_without_a_cutoff_the_pip_steps_are_as_before() -> None:
    steps = run_steps(render_dockerfile(space(), plan("")))
    assert steps[:2] == [
        "pip install --no-cache-dir -r requirements.txt",
        "pip install --no-cache-dir gradio==5.9.1",
    ]


def test_a_dated_build_passes_uploaded_prior_to_and_falls_back_with_a_warning() -> None:
    text = render_dockerfile(space(), plan(CUTOFF))
    assert f"pip install --no-cache-dir --uploaded-prior-to={CUTOFF} -r requirements.txt" in text
    assert f"pip install --no-cache-dir --uploaded-prior-to={CUTOFF} gradio==5.9.1" in text
    assert "WARNING: pip could not install requirements.txt as of 2025-01-07T00:30:44Z" in text


STAND_IN_PIP = """#!/bin/sh
echo "pip $*" >> "$PIP_CALLS"
case "$*" in
  *--uploaded-prior-to*"$REFUSE"*) echo "ERROR: No matching distribution" >&2; exit 1;;
esac
"""


def run_with_stand_in_pip(tmp_path: Path, refuse: str) -> tuple[list[str], str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    pip = bin_dir / "pip"
    pip.write_text(STAND_IN_PIP)
    pip.chmod(pip.stat().st_mode | stat.S_IEXEC)
    calls = tmp_path / "calls"
    env = {**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin", "PIP_CALLS": str(calls)}
    env["REFUSE"] = refuse
    output = ""
    for step in run_steps(render_dockerfile(space(), plan(CUTOFF)))[:2]:
        done = subprocess.run(
            ["sh", "-c", step],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        output += done.stdout + done.stderr
    return calls.read_text().splitlines(), output


def test_when_pip_resolves_as_of_the_date_every_step_is_dated(tmp_path: Path) -> None:
    calls, output = run_with_stand_in_pip(tmp_path, refuse="never-asked")
    assert calls == [
        f"pip install --no-cache-dir --uploaded-prior-to={CUTOFF} -r requirements.txt",
        f"pip install --no-cache-dir --uploaded-prior-to={CUTOFF} gradio==5.9.1",
    ]
    assert "WARNING" not in output


@pytest.mark.parametrize("refused", ["-r requirements.txt", "gradio==5.9.1"])
def test_a_step_pip_cannot_date_warns_and_falls_back_alone(tmp_path: Path, refused: str) -> None:
    calls, output = run_with_stand_in_pip(tmp_path, refuse=refused)
    dated = f"pip install --no-cache-dir --uploaded-prior-to={CUTOFF} "
    plain = "pip install --no-cache-dir "
    if refused.startswith("-r"):  # the requirements fall back; gradio stays dated
        assert calls == [dated + refused, plain + refused, dated + "gradio==5.9.1"]
        assert output.count("WARNING: pip could not install requirements.txt as of") == 1
    else:
        assert calls == [dated + "-r requirements.txt", dated + refused, plain + refused]
        assert output.count("WARNING: pip could not install gradio==5.9.1 as of") == 1
    assert "installing it with today's packages instead (the other steps stay as of" in output


def test_a_dated_build_on_the_python_image_installs_the_contracts_packages_first() -> None:
    """A dated build of another gradio starts on the python image, which lacks the gradio
    image's pre-installs: they come in a dated step of their own, before the requirements."""
    dated = BuildPlan(**{**plan(CUTOFF).__dict__, "preinstall": DATED_PREINSTALLED})
    steps = run_steps(render_dockerfile(space(), dated))
    first = f"pip install --no-cache-dir --uploaded-prior-to={CUTOFF} datasets huggingface_hub"
    assert steps[0].startswith(first)
    assert "'protobuf<4'" in steps[0]
    assert "WARNING: pip could not install the pre-installed packages as of" in steps[0]
    assert "-r requirements.txt" in steps[1]
    assert "gradio==5.9.1" in steps[2]


def test_a_build_on_the_gradio_image_installs_no_contract_packages() -> None:
    steps = run_steps(render_dockerfile(space(), plan(CUTOFF)))
    assert not any("huggingface_hub" in step for step in steps)
