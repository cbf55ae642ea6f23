"""spacehost.atomicfile: a file replaced whole, with the permissions asked for, no temp left."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from spacehost.atomicfile import replacing, write_atomic


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_text_and_bytes_round_trip_and_replace(tmp_path: Path) -> None:
    target = tmp_path / "run" / "routes.json"  # the folder is made
    write_atomic(target, "first ✓")
    assert target.read_text(encoding="utf-8") == "first ✓"
    write_atomic(target, b"\x00second")
    assert target.read_bytes() == b"\x00second"
    assert os.listdir(target.parent) == ["routes.json"]  # no temp file left


def test_mode_is_exact_and_default_follows_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        write_atomic(tmp_path / "pin", "abc", mode=0o644)  # not filtered by the umask
        write_atomic(tmp_path / "pid", "1\n")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "pin") == 0o644
    assert _mode(tmp_path / "pid") == 0o600  # 0o666 less the umask, as open() gives


def test_temp_file_goes_to_tmp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tmp_dir, seen = tmp_path / "tmp", []
    tmp_dir.mkdir()
    real = os.replace

    def spy(src: str | Path, dst: str | Path) -> None:
        seen.append(Path(src).parent)
        real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    write_atomic(tmp_path / "refs" / "main", "sha", tmp_dir=tmp_dir)
    assert seen == [tmp_dir] and (tmp_path / "refs" / "main").read_text() == "sha"
    assert os.listdir(tmp_dir) == []


def test_failed_rename_keeps_the_old_file_and_removes_the_temp(tmp_path: Path) -> None:
    target = tmp_path / "table"
    target.mkdir()  # a folder where the file should go: the rename fails
    (target / "x").write_text("kept")
    with pytest.raises(OSError):
        write_atomic(target, "new")
    assert (target / "x").read_text() == "kept"
    assert os.listdir(tmp_path) == ["table"]


def test_replacing_streams_and_an_error_in_the_block_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "xorb"
    with replacing(target) as out:
        out.write(b"one ")
        out.write(b"two")
    assert target.read_bytes() == b"one two"
    with pytest.raises(RuntimeError), replacing(target) as out:
        out.write(b"half")
        raise RuntimeError("the source broke")
    assert target.read_bytes() == b"one two"
    assert os.listdir(tmp_path) == ["xorb"]
