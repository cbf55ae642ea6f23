"""The compatibility corpus runner's pure parts: the first error line it records for a failed
Space, the spacehost name a corpus slug gets, the baseline's install script, and materializing
a Space's files out of a mirror's git copy (a real git repository made here) unchanged."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "bench"))

import compat_corpus as cc  # noqa: E402  (bench/ is a folder of scripts, not a package)

TRACEBACK = """\
* Running on local URL:  http://0.0.0.0:7860
Traceback (most recent call last):
  File "/home/user/app/app.py", line 1, in <module>
    import gradio as gr
  File "/opt/venv/lib/python3.11/site-packages/gradio/__init__.py", line 3, in <module>
    import gradio._simple_templates
ModuleNotFoundError: No module named 'requests'
Traceback (most recent call last):
RuntimeError: a second one
"""


def test_first_error_is_the_last_line_of_the_first_traceback() -> None:
    assert cc.first_error(TRACEBACK) == "ModuleNotFoundError: No module named 'requests'"


@pytest.mark.parametrize(
    "log, line",
    [
        (
            "Collecting x\nERROR: ResolutionImpossible: for help visit https://pip.pypa.io\n",
            "ERROR: ResolutionImpossible: for help visit https://pip.pypa.io",
        ),
        (
            "Step 1/5 : FROM python:3.11-slim\npull access denied for python, repository "
            "does not exist\n",
            "pull access denied for python, repository does not exist",
        ),
        (
            "Reading package lists...\nE: Unable to locate package stockfish\n",
            "E: Unable to locate package stockfish",
        ),
        ("WARNING: ERROR: not this one\nall done\n", "all done"),
        ("", ""),
    ],
)
def test_first_error_finds_pip_apt_and_daemon_errors(log: str, line: str) -> None:
    assert cc.first_error(log) == line


def test_a_slug_becomes_a_valid_space_name() -> None:
    assert cc.space_name("hfzhxyz--prediksi-diabetes") == "hfzhxyz.prediksi-diabetes"


def test_install_script_puts_gradio_in_the_same_resolve_as_the_requirements(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "README.md").write_text("---\nsdk: gradio\nsdk_version: 5.9.1\n---\n")
    (folder / "requirements.txt").write_text("openpyxl\n")
    (folder / "packages.txt").write_text("ffmpeg\n")
    script = cc._install_script(cc.Space("s", {"space": "o/s"}, folder))
    assert "apt-get install" in script
    assert "pip install 'gradio==5.9.1' -r requirements.txt" in script
    assert script.index("apt-get") < script.index("pip install")


def test_materialize_copies_a_space_unchanged_from_the_mirror(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "mirror"
    space = work / "Owner" / "Name"
    (space / "sub").mkdir(parents=True)
    (space / "app.py").write_text("print('hi')\n")
    (space / "sub" / "model.pkl").write_bytes(b"\x80\x04binary")
    (space / "_gitattributes").write_text("*.pkl filter=lfs\n")
    (space / "_hf_meta.json").write_text(
        json.dumps(
            {
                "renamed_gitattributes": [
                    {"original": ".gitattributes", "stored_as": "_gitattributes"}
                ]
            }
        )
    )
    (space / "run.sh").write_text("#!/bin/sh\n")
    (space / "run.sh").chmod(0o755)
    (work / "Other").mkdir()
    (work / "Other" / "x.py").write_text("")
    git = ["git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "m"], check=True)
    commit = subprocess.run(
        [*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    sources = tmp_path / "sources"
    sources.mkdir()
    record = {
        "slug": "owner--name",
        "space": "Owner/Name",
        "source": {"repo": "x/y", "commit": commit, "path": "Owner/Name"},
    }
    (sources / "owner--name.source.json").write_text(json.dumps(record))
    monkeypatch.setattr(cc, "SOURCES", sources)

    cc.materialize(work / ".git", tmp_path / "corpus")

    out = tmp_path / "corpus" / "owner--name"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        ".gitattributes",
        "app.py",
        "run.sh",
        "sub/model.pkl",
    ]
    assert (out / "sub" / "model.pkl").read_bytes() == b"\x80\x04binary"
    assert (out / "run.sh").stat().st_mode & 0o111


def test_report_joins_runs_into_one_row_per_space(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    for slug, sdk in (("a--one", "gradio"), ("b--two", "docker")):
        record = {
            "slug": slug,
            "space": slug.replace("--", "/"),
            "sdk": sdk,
            "sdk_version": "5.9.1" if sdk == "gradio" else None,
            "web_url": f"https://huggingface.co/spaces/{slug}",
        }
        (sources / f"{slug}.source.json").write_text(json.dumps(record))
    monkeypatch.setattr(cc, "SOURCES", sources)
    base = tmp_path / "base.json"
    base.write_text(
        json.dumps(
            [
                {
                    "slug": "a--one",
                    "result": "fail",
                    "phase": "start",
                    "seconds": 3.0,
                    "reason": "ModuleNotFoundError: No module named 'requests' | x",
                },
                {
                    "slug": "b--two",
                    "result": "pass",
                    "phase": "probe",
                    "seconds": 12.4,
                    "reason": "",
                },
            ]
        )
    )

    table = cc.combined([("baseline", [base])])

    assert "| [a/one](https://huggingface.co/spaces/a--one) | gradio | 5.9.1 |" in table
    assert "**fail** at start: ModuleNotFoundError: No module named 'requests' \\| x" in table
    assert "| docker |  | pass (12 s) |" in table
    assert "baseline: 1 of 2 pass." in table


@pytest.mark.parametrize(
    "sdk, root, config, note",
    [
        ("gradio", 200, 200, "GET /config -> 200"),
        ("gradio", 0, 200, "GET /config -> 200"),
        ("gradio", 200, 404, "GET / -> 200 (not a gradio app: no /config)"),
        ("gradio", 200, 500, None),
        ("gradio", 502, 502, None),
        ("docker", 200, 404, "GET / -> 200"),
        ("docker", 404, 200, "GET / -> 404 (the app's own answer: an API-only app)"),
        ("docker", 502, 404, None),
        ("docker", 0, 0, None),
    ],
)
def test_a_space_answers_when_its_app_serves_config_or_a_page(
    sdk: str, root: int, config: int, note: str | None
) -> None:
    assert cc.verdict(sdk, root, config) == note
