"""The CLI's side of hub pushes: which files a folder sends, and the streamed tar."""

from __future__ import annotations

import argparse
import http.server
import io
import json
import os
import re
import tarfile
import threading
from pathlib import Path

import pytest

from spacehost.cli import hub
from spacehost.cli.hub import Progress, TarStream, scan
from spacehost.cli.main import main
from spacehost.errors import ManifestInvalid, UploadRejected, UploadTooLarge


def write(folder: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return folder


def test_the_streamed_tar_has_its_announced_length_and_every_file(tmp_path: Path) -> None:
    long_name = "deep/" + "x" * 150 + "/weights.bin"  # past ustar's 100 characters: PAX
    files = {
        "README.md": b"# card\n",
        "config.json": b"{}",
        long_name: os.urandom(70_000),
        "empty.txt": b"",
    }
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
    folder = write(
        tmp_path / "m", {"README.md": b"x", ".git/HEAD": b"ref", ".cache/huggingface/x": b"y"}
    )
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
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = ["--server", "http://127.0.0.1:9"]  # nothing listens: these must not get that far
    (tmp_path / "empty").mkdir()
    assert (
        main([*server, "push", str(tmp_path / "empty"), "--type", "dataset", "--name", "a/b"]) == 2
    )
    assert "no files to push" in capsys.readouterr().err
    folder = write(tmp_path / "m", {"README.md": b"x"})
    assert main([*server, "push", str(folder), "--type", "model", "--name", "spaces/m"]) == 2
    assert "reserved" in capsys.readouterr().err
    assert main([*server, "rm", "not-a-repo-id", "--type", "model"]) == 2


class FakeHubClient:
    """Stands in for spacehost.client.Client: a server with a small upload limit."""

    url = "http://127.0.0.1:9"

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.pushed: list[tuple[str, str, int, str]] = []

    def hub_summary(self) -> dict[str, int]:
        return {"models": 0, "datasets": 0, "maxUploadBytes": self.limit}

    def hub_push(
        self,
        kind: object,
        repo_id: str,
        tar: TarStream,
        *,
        message: str = "",
        private: bool = False,
    ) -> dict[str, object]:
        body = b"".join(tar)
        self.pushed.append((str(kind), repo_id, len(body), message))
        return {
            "id": repo_id,
            "sha": "f" * 40,
            "files": len(tar.files),
            "size": 1,
            "unchanged": False,
            "urls": {"page": f"{self.url}/{repo_id}"},
        }


def _args(folder: Path, **kw: str) -> argparse.Namespace:
    return argparse.Namespace(
        dir=str(folder),
        type=kw.get("type", "model"),
        name=kw.get("name", "alice/m"),
        message=kw.get("message", ""),
    )


def test_push_warns_without_a_readme_and_sends_the_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write(tmp_path / "weights-only", {"model.safetensors": b"w" * 1000})
    client = FakeHubClient(1 << 30)
    assert hub.push(_args(folder, message="first"), client) == 0  # type: ignore[arg-type]
    out = capsys.readouterr()
    assert "has no README.md" in out.err and "pushed model alice/m" in out.out
    assert client.pushed == [("model", "alice/m", client.pushed[0][2], "first")]


def test_push_over_the_servers_limit_is_refused_before_sending(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {"README.md": b"x", "w.bin": b"\0" * 50_000})
    client = FakeHubClient(20_000)
    with pytest.raises(UploadTooLarge, match="more than the server's limit"):
        hub.push(_args(folder), client)  # type: ignore[arg-type]
    assert client.pushed == []


class RecordingServer:
    """A real HTTP server that records every request it gets and answers ``GET /api/hub`` with
    an upload limit of one byte (so a push that reaches it stops before sending files)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        record = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                record.append(("GET", self.path))
                body = json.dumps({"models": 0, "datasets": 0, "maxUploadBytes": 1}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                record.append(("POST", self.path))
                self.send_response(500)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> RecordingServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        ("backslash", "refusing path 'weights\\\\\\\\a.bin'"),
        ("fifo", "pipe is not a regular file or folder"),
        ("dirlink", "more is a symlink to"),
        ("dangling", "gone.bin is a broken symlink"),
    ],
    ids=["backslash", "fifo", "dirlink", "dangling"],
)
def test_a_bad_folder_exits_non_zero_before_the_server_hears_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str, named: str
) -> None:
    folder = write(tmp_path / "m", {"README.md": b"card", "w.bin": b"\0" * 1000})
    if bad == "backslash":
        write(folder, {"weights\\a.bin": b"w"})  # a name the server's repo paths refuse
    elif bad == "fifo":
        os.mkfifo(folder / "pipe")
    elif bad == "dirlink":
        (folder / "more").symlink_to(tmp_path, target_is_directory=True)
    else:
        (folder / "gone.bin").symlink_to(tmp_path / "nothing")
    with RecordingServer() as server:
        code = main(
            ["--server", server.url, "push", str(folder), "--type", "model", "--name", "alice/m"]
        )
    err = capsys.readouterr().err
    assert code == UploadRejected.exit_code != 0
    assert re.search(named, err), err
    assert server.requests == []


def test_a_good_folder_does_reach_the_recording_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write(tmp_path / "m", {"README.md": b"card", "w.bin": b"\0" * 1000})
    with RecordingServer() as server:
        code = main(
            ["--server", server.url, "push", str(folder), "--type", "model", "--name", "alice/m"]
        )
    assert code == UploadTooLarge.exit_code  # its limit is one byte: nothing is sent
    assert "more than the server's limit" in capsys.readouterr().err
    assert server.requests == [("GET", "/api/hub")]


def test_a_bad_space_folder_exits_non_zero_before_the_server_hears_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write(tmp_path / "s", {"README.md": b"---\nsdk: gradio\n---\n", "app.py": b""})
    (folder / "leak.py").symlink_to(tmp_path / "elsewhere.py")
    write(tmp_path, {"elsewhere.py": b"secret"})
    with RecordingServer() as server:
        code = main(["--server", server.url, "push", str(folder), "--name", "alice/s"])
    assert code == ManifestInvalid.exit_code != 0
    assert "leak.py is a symlink to" in capsys.readouterr().err
    assert server.requests == []
