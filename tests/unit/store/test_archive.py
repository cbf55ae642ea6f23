"""Upload intake: every unsafe archive is refused before anything is written."""

from __future__ import annotations

import tarfile

import pytest

from spacehost.errors import UploadRejected, UploadTooLarge
from spacehost.store import RevisionFiles, read_archive, revision_hash
from tests.support.tarballs import make_tar

LIMIT = 64 << 10  # room for the tar headers, which count against the limit too


def link(name: str, target: str, *, hard: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
    info.linkname = target
    return info


def test_reads_files_of_gz_and_plain_tar() -> None:
    members: list[tarfile.TarInfo | tuple[str, bytes]] = [("README.md", b"x"), ("a/b.py", b"y")]
    for gz in (True, False):
        assert read_archive(make_tar(members, gz), max_bytes=LIMIT) == {
            "README.md": b"x",
            "a/b.py": b"y",
        }


def test_dot_slash_prefix_is_normalised() -> None:
    assert read_archive(make_tar([("./app.py", b"1")]), max_bytes=LIMIT) == {"app.py": b"1"}


@pytest.mark.parametrize("name", ["/etc/passwd", "../evil.py", "a/../../evil.py"])
def test_paths_leaving_the_space_are_refused(name: str) -> None:
    with pytest.raises(UploadRejected, match="path"):
        read_archive(make_tar([(name, b"x")]), max_bytes=LIMIT)


@pytest.mark.parametrize("target", ["/etc/passwd", "../../outside", "a/../../x"])
def test_symlinks_escaping_are_refused(target: str) -> None:
    with pytest.raises(UploadRejected, match="outside the space"):
        read_archive(make_tar([("a.txt", b"1"), link("bad", target)]), max_bytes=LIMIT)


def test_hardlink_escaping_is_refused() -> None:
    with pytest.raises(UploadRejected, match="outside the space"):
        read_archive(make_tar([link("bad", "../../etc/shadow", hard=True)]), max_bytes=LIMIT)


def test_links_inside_become_copies() -> None:
    files = read_archive(
        make_tar(
            [
                ("data/a.txt", b"abc"),
                link("data/b.txt", "a.txt"),
                link("c.txt", "data/a.txt", hard=True),
            ]
        ),
        max_bytes=LIMIT,
    )
    assert files == {"data/a.txt": b"abc", "data/b.txt": b"abc", "c.txt": b"abc"}


def test_dangling_link_is_refused() -> None:
    with pytest.raises(UploadRejected, match="not a file in the upload"):
        read_archive(make_tar([link("x", "missing.txt")]), max_bytes=LIMIT)


@pytest.mark.parametrize("kind", [tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE])
def test_device_files_and_fifos_are_refused(kind: bytes) -> None:
    info = tarfile.TarInfo("dev")
    info.type = kind
    with pytest.raises(UploadRejected, match="device files"):
        read_archive(make_tar([info]), max_bytes=LIMIT)


def test_oversize_is_refused_with_its_own_error() -> None:
    with pytest.raises(UploadTooLarge, match="MiB"):
        read_archive(make_tar([("a", b"x" * 600), ("b", b"y" * 600)]), max_bytes=1000)


def test_not_an_archive() -> None:
    with pytest.raises(UploadRejected, match="not a tar"):
        read_archive(b"hello, this is not a tarball", max_bytes=LIMIT)


def test_revision_hash_is_order_independent_and_content_sensitive() -> None:
    a = revision_hash({"x": b"1", "y": b"2"})
    assert a == revision_hash({"y": b"2", "x": b"1"})
    assert a != revision_hash({"x": b"1", "y": b"3"})
    assert a != revision_hash({"x": b"1", "z": b"2"})


def test_revision_files_round_trip_and_refuse_bad_paths(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = RevisionFiles(tmp_path / "revs")
    files = {"README.md": b"r", "pkg/mod.py": b"m"}
    rev = revision_hash(files)
    store.save(rev, files)
    assert store.load(rev) == files
    assert store.listing(rev) == [("README.md", 1), ("pkg/mod.py", 1)]
    with pytest.raises(UploadRejected):
        store.save("f" * 64, {"../escape": b"x"})
    assert not (tmp_path / "escape").exists()
    assert [p.name for p in (tmp_path / "revs").iterdir()] == [rev]
