"""What `spacehost push` prints, through the real CLI against a real platform (issue 11, C18):
only this push's build, what failed in a failed redeploy with the documented exit code and the
right hint, and README problems once each."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import requests

from spacehost.errors import AppFailed, BuildFailed, ManifestInvalid
from tests.e2e.conftest import ROOT, Running

pytestmark = pytest.mark.docker

HELLO = ROOT / "spaces" / "hello"
APP = (HELLO / "app.py").read_text()


def hello_copy(tmp: Path, name: str) -> Path:
    folder = tmp / name
    shutil.copytree(HELLO, folder)
    return folder


def greeting(folder: Path, text: str) -> None:
    (folder / "app.py").write_text(APP.replace('f"Hello, {name}!"', f'f"{text}, {{name}}!"'))


def space_json(platform: Running, space: str) -> dict[str, object]:
    resp = requests.get(f"{platform.url}/api/spaces/{space}", timeout=10)
    resp.raise_for_status()
    result: dict[str, object] = resp.json()
    return result


def test_third_push_prints_only_its_own_build(platform: Running, tmp_path: Path) -> None:
    space, folder = "e2e/cli-thrice", hello_copy(tmp_path, "thrice")
    outs, revisions = [], []
    for n in range(3):
        greeting(folder, f"Hello number {n}")
        outs.append(platform.cli("push", str(folder), "--name", space, check=True).stdout)
        revisions.append(str(space_json(platform, space)["revision"]))
    third = outs[2]
    latest = platform.cli("logs", "--build", space, "--tail", "5000", check=True).stdout
    # the latest build's log alone, step series by step series (runtime images included)
    series = re.findall(r"^Step 1/\d+ ", latest, re.M)
    assert series and len(re.findall(r"\] 1/\d+ ", third)) == len(series), third
    build_part = third.split("\nstage: ", 1)[0].splitlines()[1:]  # after "pushed …"
    streamed = [ln for ln in build_part if ln.startswith(("  ", "["))]
    assert len(streamed) <= len(latest.splitlines()), third
    assert f"revision {revisions[2][:12]}" in third
    for earlier in revisions[:2]:  # its image tag and revision label are in its own build
        assert earlier[:12] not in third, third
    # every line the build wrote is one flag away
    full = platform.cli("logs", "--build", "--full", space, "--tail", "5000", check=True).stdout
    assert len(full.splitlines()) > len(latest.splitlines()) and " ---> " in full, full


@pytest.fixture(scope="module")
def serving(platform: Running, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A running space and its serving revision."""
    space = "e2e/cli-redeploy"
    folder = hello_copy(tmp_path_factory.mktemp("serving"), "good")
    platform.cli("push", str(folder), "--name", space, check=True)
    return space, str(space_json(platform, space)["servingRevision"])


def test_redeploy_whose_app_fails_at_import_says_so(
    platform: Running, serving: tuple[str, str], tmp_path: Path
) -> None:
    space, good = serving
    folder = hello_copy(tmp_path, "raises")
    (folder / "app.py").write_text("raise RuntimeError('broken on purpose at import')\n")
    proc = platform.cli("push", str(folder), "--name", space)
    err = proc.stderr
    assert proc.returncode == AppFailed.exit_code == 7, proc.stdout + err
    assert "failed to start" in err and "broken on purpose at import" in err, err
    assert f"previous revision {good[:12]} keeps serving" in err, err
    assert f"hint: see `spacehost logs {space}`" in err, err
    assert "--build" not in err and "is RUNNING" not in err, err
    assert space_json(platform, space)["servingRevision"] == good


def test_redeploy_whose_build_fails_says_at_which_step(
    platform: Running, serving: tuple[str, str], tmp_path: Path
) -> None:
    space, good = serving
    folder = hello_copy(tmp_path, "nobuild")
    (folder / "requirements.txt").write_text("this-package-does-not-exist-spacehost==0.0.1\n")
    proc = platform.cli("push", str(folder), "--name", space)
    err = proc.stderr
    assert proc.returncode == BuildFailed.exit_code == 6, proc.stdout + err
    assert re.search(r"build failed at Step \d+/\d+ : RUN pip install", err), err
    assert f"previous revision {good[:12]} keeps serving" in err, err
    assert f"hint: see `spacehost logs --build {space}`" in err, err
    assert "is RUNNING" not in err, err
    # the readable info names both revisions
    info = platform.cli("info", space, check=True).stdout
    failed = str(space_json(platform, space)["revision"])
    assert re.search(rf"serving:\s+{good[:12]}", info), info
    assert re.search(rf"failed:\s+{failed[:12]}.*build failed", info), info
    # restart reports the same failure the same way
    again = platform.cli("restart", space)
    assert again.returncode == 6, again.stdout + again.stderr
    assert f"hint: see `spacehost logs --build {space}`" in again.stderr, again.stderr
    assert f"previous revision {good[:12]} keeps serving" in again.stderr, again.stderr


def test_readme_error_and_typo_warning_are_printed_once_each(
    platform: Running, tmp_path: Path
) -> None:
    folder = hello_copy(tmp_path, "typo")
    readme = folder / "README.md"
    readme.write_text(
        readme.read_text()
        .replace("sdk: gradio", "sdk: cobol")
        .replace("sdk_version:", "sdk_versoin:")
    )
    proc = platform.cli("push", str(folder), "--name", "e2e/cli-typo")
    out = proc.stdout + proc.stderr
    assert proc.returncode == ManifestInvalid.exit_code == 2, out
    assert out.count('"cobol" is not a valid sdk') == 1, out
    assert out.count("did you mean `sdk_version`?") == 1, out
    validate = platform.cli("validate", str(folder))
    assert "did you mean `sdk_version`?" in validate.stdout
    assert requests.get(f"{platform.url}/api/spaces/e2e/cli-typo", timeout=10).status_code == 404
