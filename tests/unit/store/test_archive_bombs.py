"""Upload bombs (issue 11, A3): real tarballs whose links, headers or names would make the
platform write or hold far more than the upload limit. Every one is refused, for space uploads
(read_archive) and hub uploads (unpack_hub_archive) alike, within bounded memory."""

from __future__ import annotations

import io
import tarfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from spacehost.errors import SpacehostError, UploadRejected, UploadTooLarge
from spacehost.store import read_archive
from spacehost.store.hubarchive import unpack_hub_archive
from tests.support.tarballs import Member, make_tar

LIMIT = 4 << 20
MiB = 1 << 20


def link(name: str, target: str, *, hard: bool) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
    info.linkname = target
    return info


def link_bomb(hard: bool) -> bytes:
    """1 MiB of zeros and 64 links to it: 65 MiB written from a few KB."""
    return make_tar(
        [("big.bin", bytes(MiB)), *(link(f"copy{i}.bin", "big.bin", hard=hard) for i in range(64))]
    )


def pax_bomb(size: int = 32 * MiB) -> bytes:
    """One file whose PAX header carries *size* bytes: read whole by tarfile."""
    info = tarfile.TarInfo("app.py")
    info.pax_headers = {"comment": "a" * size}
    return make_tar([info])


def gnu_long_name_bomb() -> bytes:
    info = tarfile.TarInfo("d/" * (MiB // 2) + "app.py")
    return make_tar([info], fmt=tarfile.GNU_FORMAT)


def unpack_space(data: bytes, tmp: Path) -> object:
    return read_archive(data, max_bytes=LIMIT)


def unpack_hub(data: bytes, tmp: Path) -> object:
    archive = tmp / "upload.tar"
    archive.write_bytes(data)
    dest = tmp / "files"
    dest.mkdir()
    try:
        return unpack_hub_archive(archive, dest, max_bytes=LIMIT)
    finally:
        assert _bytes_under(dest) <= LIMIT, "a refused upload wrote more than the limit"


def _bytes_under(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


UNPACKERS = [pytest.param(unpack_space, id="space"), pytest.param(unpack_hub, id="hub")]
Unpack = Callable[[bytes, Path], object]


def refused_within(
    unpack: Unpack,
    data: bytes,
    tmp: Path,
    error: type[SpacehostError],
    match: str,
    peak_mib: int = 8,
) -> None:
    """*unpack* raises *error* and never holds more than *peak_mib* MiB of Python memory."""
    tracemalloc.start()
    try:
        with pytest.raises(error, match=match):
            unpack(data, tmp)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < peak_mib * MiB, f"held {peak / MiB:.0f} MiB to refuse a {len(data)} B upload"


@pytest.mark.parametrize("unpack", UNPACKERS)
@pytest.mark.parametrize("hard", [True, False], ids=["hardlinks", "symlinks"])
def test_a_link_bomb_is_charged_for_every_copy(unpack: Unpack, hard: bool, tmp_path: Path) -> None:
    data = link_bomb(hard)
    assert len(data) < 16 << 10
    refused_within(unpack, data, tmp_path, UploadTooLarge, "copies links make")


@pytest.mark.parametrize("unpack", UNPACKERS)
def test_links_within_the_limit_are_still_fine(unpack: Unpack, tmp_path: Path) -> None:
    data = make_tar(
        [
            ("a.bin", bytes(1000)),
            link("b.bin", "a.bin", hard=True),
            link("c.bin", "b.bin", hard=False),
        ]
    )
    assert unpack(data, tmp_path)


@pytest.mark.parametrize("unpack", UNPACKERS)
def test_a_huge_pax_header_is_refused_before_it_is_read(unpack: Unpack, tmp_path: Path) -> None:
    data = pax_bomb()
    assert len(data) < 64 << 10
    refused_within(unpack, data, tmp_path, UploadRejected, "extended header")


@pytest.mark.parametrize("unpack", UNPACKERS)
def test_a_huge_gnu_long_name_is_refused(unpack: Unpack, tmp_path: Path) -> None:
    refused_within(unpack, gnu_long_name_bomb(), tmp_path, UploadRejected, "extended header")


@pytest.mark.parametrize("unpack", UNPACKERS)
def test_many_pax_headers_count_against_the_limit(unpack: Unpack, tmp_path: Path) -> None:
    """Each member's headers are charged: 100 empty files with 60 KiB PAX headers each (6 MiB
    of headers, no content) are over a 4 MiB limit; the members are not all kept in memory."""
    members: list[Member] = []
    for i in range(100):
        info = tarfile.TarInfo(f"f{i}.txt")
        info.pax_headers = {"comment": "c" * (60 << 10)}
        members.append(info)
    refused_within(unpack, make_tar(members), tmp_path, UploadTooLarge, "tar headers")


@pytest.mark.parametrize("unpack", UNPACKERS)
def test_a_global_pax_header_chain_is_refused(unpack: Unpack, tmp_path: Path) -> None:
    raw = io.BytesIO()
    for _ in range(8):  # eight global headers of 60 KiB in a row
        raw.write(tarfile.TarInfo("g").create_pax_global_header({"comment": "c" * (60 << 10)}))
    info = tarfile.TarInfo("app.py")
    raw.write(info.tobuf(tarfile.PAX_FORMAT) + bytes(1024))
    refused_within(unpack, raw.getvalue(), tmp_path, UploadRejected, "global PAX headers")


@pytest.mark.parametrize("unpack", UNPACKERS)
def test_a_sparse_member_is_refused(unpack: Unpack, tmp_path: Path) -> None:
    info = tarfile.TarInfo("holes.bin")
    info.type = tarfile.GNUTYPE_SPARSE
    refused_within(
        unpack, make_tar([info], fmt=tarfile.GNU_FORMAT), tmp_path, UploadRejected, "sparse"
    )


@pytest.mark.parametrize("unpack", UNPACKERS)
@pytest.mark.parametrize(
    "members",
    [
        [("x", b"file"), ("x/y", b"below it")],
        [("x/y", b"below it"), ("x", b"file")],
        [("a/x", b"file"), ("a/x/deep/y", b"below it")],
        [("t.txt", b"t"), link("x", "t.txt", hard=False), ("x/y", b"below a link")],
    ],
    ids=["file-then-folder", "folder-then-file", "deep", "link-then-folder"],
)
def test_a_name_that_is_both_a_file_and_a_folder_is_refused(
    unpack: Unpack, members: list[Member], tmp_path: Path
) -> None:
    with pytest.raises(UploadRejected, match="is both a file and a folder"):
        unpack(make_tar(members), tmp_path)


def test_a_folder_entry_and_a_file_of_the_same_name_are_refused(tmp_path: Path) -> None:
    folder = tarfile.TarInfo("x")
    folder.type = tarfile.DIRTYPE
    with pytest.raises(UploadRejected, match="is both a file and a folder"):
        read_archive(make_tar([folder, ("x", b"file")]), max_bytes=LIMIT)


@pytest.mark.parametrize("unpack", UNPACKERS)
@pytest.mark.parametrize(
    "name",
    ["d/" * 2100 + "app.py", "n" * 256 + "/app.py"],
    ids=["path-over-4096-bytes", "name-over-255-bytes"],
)
def test_paths_linux_cannot_write_are_refused(unpack: Unpack, name: str, tmp_path: Path) -> None:
    with pytest.raises(UploadRejected, match="longer than"):
        unpack(make_tar([(name, b"x")]), tmp_path)


def test_many_deep_distinct_folders_are_checked_quickly() -> None:
    """The file/folder check compares sorted neighbours: 1,000 files 600 folders deep (each
    path about 1.2 KB) take no quadratic memory or time (a set of every parent folder would
    hold about 360 MB of their names)."""
    members: list[Member] = [(f"top{i}/" + "d/" * 600 + "f.txt", b"") for i in range(1000)]
    tracemalloc.start()
    try:
        files = read_archive(make_tar(members), max_bytes=64 * MiB)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(files) == 1000
    assert peak < 32 * MiB, f"{peak / MiB:.0f} MiB"
