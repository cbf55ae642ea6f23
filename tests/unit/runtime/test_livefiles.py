"""The in-container move of a hot reload (runtime/livefiles.py), run here on a folder: the
files Gradio's watcher looks at change so that it reloads once, after all of them."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

from spacehost.runtime.livefiles import MOVE_SCRIPT, AppFilesChange, move_plan, staging_tar

OLD = 1_700_000_000


def app_dir(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    (app / "__pycache__").mkdir(parents=True)
    for rel, text in {"app.py": "A = 1\n", "helper.py": "H = 1\n", "gone.css": "x{}\n"}.items():
        (app / rel).write_text(text)
        os.utime(app / rel, (OLD, OLD))
    (app / "__pycache__" / "helper.cpython-311.pyc").write_bytes(b"stale")
    return app


def run_move(tmp_path: Path, app: Path, change: AppFilesChange) -> None:
    data = io.BytesIO(staging_tar(change, ".stage", 2_000_000_000.0))
    with tarfile.open(fileobj=data) as tar:
        tar.extractall(tmp_path, filter="data")  # where put_archive puts it: the home folder
    plan = move_plan(change, str(tmp_path / ".stage"))
    subprocess.run([sys.executable, "-c", MOVE_SCRIPT, plan], cwd=app, check=True)


def test_files_move_in_with_the_app_file_last_and_newest(tmp_path: Path) -> None:
    app = app_dir(tmp_path)
    change = AppFilesChange(
        "app.py",
        put={
            "app.py": b"A = 2\n",
            "helper.py": b"H = 2\n",
            "pkg/new.py": b"N = 1\n",
            "a.png": b"p",
        },
        delete=("gone.css",),
    )
    run_move(tmp_path, app, change)
    assert (app / "app.py").read_text() == "A = 2\n"
    assert (app / "helper.py").read_text() == "H = 2\n"
    assert (app / "pkg" / "new.py").read_text() == "N = 1\n"
    assert not (app / "gone.css").exists()
    # a changed module keeps its old time (it sets off no reload of its own) and loses its
    # bytecode (Python would trust a .pyc of the same time and size)
    assert (app / "helper.py").stat().st_mtime == OLD
    assert not (app / "__pycache__" / "helper.cpython-311.pyc").exists()
    # the app file is newer than anything the watcher saw: one reload, of every file
    assert (app / "app.py").stat().st_mtime > OLD + 1000
    assert not (tmp_path / ".stage").exists()


def test_an_asset_only_change_still_touches_the_app_file(tmp_path: Path) -> None:
    app = app_dir(tmp_path)
    run_move(tmp_path, app, AppFilesChange("app.py", put={"data.txt": b"new"}))
    assert (app / "data.txt").read_bytes() == b"new"
    assert (app / "app.py").read_text() == "A = 1\n"
    assert (app / "app.py").stat().st_mtime > OLD + 1000


def test_the_staging_tar_belongs_to_the_container_user(tmp_path: Path) -> None:
    change = AppFilesChange("app.py", put={"sub/dir/x.py": b"x"})
    with tarfile.open(fileobj=io.BytesIO(staging_tar(change, ".s", 5.5))) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert set(members) == {".s", ".s/sub", ".s/sub/dir", ".s/sub/dir/x.py"}
    assert {(m.uid, m.gid) for m in members.values()} == {(1000, 1000)}
    assert members[".s/sub/dir/x.py"].mtime == 5.5  # PAX keeps the fraction
