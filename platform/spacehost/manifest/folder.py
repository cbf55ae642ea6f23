"""Reading a space folder from disk: the one I/O helper of the manifest package (for the CLI)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from spacehost.errors import InvalidRequest, ManifestInvalid
from spacehost.manifest.ignore import IgnoreRules
from spacehost.manifest.problems import Findings
from spacehost.manifest.space import (
    DOCKER_IGNORE,
    README,
    SPACEHOST_IGNORE,
    declared_sdk,
    excluded_by,
    exclusion_rules,
)


def read_folder(path: Path) -> dict[str, bytes]:
    """Read a space folder into memory, as :func:`load_space` expects it.

    Skips ``.git`` (at any depth) and whatever the space's ignore files exclude (the same rules
    as :func:`load_space`; directories are not even entered when no ``!`` pattern could bring a
    file back). A symlink is read as the file or folder it points to, which must lie inside the
    folder.

    Args:
        path: the space folder (the one with README.md).

    Returns:
        Relative POSIX path -> contents.

    Raises:
        InvalidRequest: when *path* is not a folder.
        ManifestInvalid: for a symlink that points outside the folder, into ``.git``, nowhere,
            or into a loop; for special files (sockets, pipes, devices); for unreadable files.
    """
    root = Path(os.path.realpath(path))
    if not root.is_dir():
        raise InvalidRequest(
            f"{path} is not a folder", hint="pass the path of a space folder (with README.md)"
        )
    rules = _rules(root)
    files: dict[str, bytes] = {}
    _walk(root, root, "", rules, files, (root,))
    return files


def _rules(root: Path) -> list[tuple[str, IgnoreRules]]:
    small = {}
    for name in (README, SPACEHOST_IGNORE, DOCKER_IGNORE):
        candidate = root / name
        if candidate.is_file() and _inside(root, Path(os.path.realpath(candidate))):
            small[name] = _read(candidate, name)
    # Invalid patterns are load_space's to report; here they only mean "prune nothing".
    return exclusion_rules(small, declared_sdk(small.get(README, b"")), Findings())


def _walk(
    root: Path,
    directory: Path,
    prefix: str,
    rules: list[tuple[str, IgnoreRules]],
    files: dict[str, bytes],
    ancestors: tuple[Path, ...],
) -> None:
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as exc:
        raise _unreadable(prefix.rstrip("/") or ".", exc) from exc
    for entry in entries:
        rel = prefix + entry.name
        if entry.name == ".git":
            continue
        target = Path(entry.path)
        if entry.is_symlink():
            if excluded_by(rel, rules) is not None:
                continue  # an excluded link is never followed, wherever it points
            target = Path(os.path.realpath(entry.path))
            _check_link(root, rel, target)
        mode = _mode(target, rel)
        if stat.S_ISDIR(mode):
            if target in ancestors:
                raise ManifestInvalid(
                    f"{rel}: symlink loop: it points to a folder that contains it",
                    hint="remove the symlink or point it elsewhere inside the space",
                )
            if not any(r.prunes(rel) for _, r in rules):
                _walk(root, target, rel + "/", rules, files, (*ancestors, target))
        elif excluded_by(rel, rules) is not None:
            continue
        elif stat.S_ISREG(mode):
            files[rel] = _read(target, rel)
        else:
            raise ManifestInvalid(
                f"{rel} is not a regular file or folder (a socket, pipe or device)",
                hint=f"remove {rel} from the space folder or exclude it in {SPACEHOST_IGNORE}",
            )


def _check_link(root: Path, rel: str, target: Path) -> None:
    if not _inside(root, target):
        raise ManifestInvalid(
            f"{rel} is a symlink to {target}, outside the space folder",
            hint=f"copy the file into the space instead, or exclude {rel} in {SPACEHOST_IGNORE}",
        )
    if ".git" in target.relative_to(root).parts:
        raise ManifestInvalid(
            f"{rel} is a symlink into .git, which is never part of a space",
            hint=f"remove the symlink or exclude {rel} in {SPACEHOST_IGNORE}",
        )


def _inside(root: Path, target: Path) -> bool:
    return target == root or root in target.parents


def _mode(target: Path, rel: str) -> int:
    try:
        return target.stat().st_mode
    except FileNotFoundError as exc:
        raise ManifestInvalid(
            f"{rel} is a broken symlink (it points to {target}, which does not exist)",
            hint=f"remove it or exclude it in {SPACEHOST_IGNORE}",
        ) from exc
    except OSError as exc:
        raise _unreadable(rel, exc) from exc


def _read(target: Path, rel: str) -> bytes:
    try:
        return target.read_bytes()
    except OSError as exc:
        raise _unreadable(rel, exc) from exc


def _unreadable(rel: str, exc: OSError) -> ManifestInvalid:
    return ManifestInvalid(
        f"cannot read {rel}: {exc.strerror or exc}",
        hint=f"check the file's permissions, or exclude it in {SPACEHOST_IGNORE}",
    )
