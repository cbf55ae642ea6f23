"""The CLI's side of hub pushes: which files a folder sends, and the streamed tar."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from spacehost.cli.hub import Progress, TarStream, scan
from spacehost.cli.main import main
from spacehost.errors import UploadRejected


def write(folder: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return folder


def test_the_streamed_tar_has_its_announced_length_and_every_file(tmp_path: Path) -> None:
    long_name = "deep/" + "x" * 150 + "/weights.bin"  # past ustar's 100 characters: PAX
    files = {"README.md": b"# card\n", "config.json": b"{}", long_name: os.urandom(70_000),
             "empty.txt": b""}
    stream = TarStream(scan(write(tmp_path / "m", files)))
    seen: list[int] = []
    stream.on_bytes = seen.append
    data = b"".join(stream)
    assert len(data) == len(stream) == sum(seen)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        got = {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]
    assert got == files


def test_links_to_files_are_sent_as_the_file_and_git_folders_are_skipped(tmp_path: Path) -> None:
    outside = write(tmp_path / "elsewhere", {"big.bin": b"weights"})
    folder = write(tmp_path / "m", {"README.md": b"x", ".git/HEAD": b"ref",
                                    ".cache/huggingface/x": b"y"})
    (folder / "model.bin").symlink_to(outside / "big.bin")
    found = {f.path: f.size for f in scan(folder)}
    assert found == {"README.md": 1, "model.bin": 7}


@pytest.mark.parametrize("case", ["dirlink", "empty", "missing", "dangling"])
def test_unusable_folders_are_refused(tmp_path: Path, case: str) -> None:
    folder = tmp_path / "m"
    if case != "missing":
        write(folder, {} if case == "empty" else {"README.md": b"x"})
        folder.mkdir(exist_ok=True)
    if case == "dirlink":
        (folder / "more").symlink_to(tmp_path)
    if case == "dangling":
        (folder / "gone.bin").symlink_to(tmp_path / "nothing")
    with pytest.raises(UploadRejected):
        scan(folder)


def test_a_file_that_shrinks_while_streamed_fails_the_push(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {"a.bin": b"0123456789"})
    stream = TarStream(scan(folder))
    (folder / "a.bin").write_bytes(b"01")
    with pytest.raises(UploadRejected, match="changed while"):
        b"".join(stream)


def test_progress_prints_quarters_when_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    progress = Progress(100 << 20)
    for _ in range(100):
        progress(1 << 20)
    lines = capsys.readouterr().err.splitlines()
    assert [line.split("(")[1].split("%")[0] for line in lines] == ["25", "50", "75", "100"]


def test_cli_refuses_bad_pushes_before_contacting_a_server(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = ["--server", "http://127.0.0.1:9"]  # nothing listens: these must not get that far
    (tmp_path / "empty").mkdir()
    assert main([*server, "push", str(tmp_path / "empty"), "--type", "dataset",
                 "--name", "a/b"]) == 2
    assert "no files to push" in capsys.readouterr().err
    folder = write(tmp_path / "m", {"README.md": b"x"})
    assert main([*server, "push", str(folder), "--type", "model", "--name", "spaces/m"]) == 2
    assert "reserved" in capsys.readouterr().err
    assert main([*server, "rm", "not-a-repo-id", "--type", "model"]) == 2
