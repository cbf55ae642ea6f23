"""Reading a space folder from disk: the one I/O helper of the manifest package (for the CLI)."""

from __future__ import annotations

import os
from pathlib import Path

from spacehost.errors import InvalidRequest, ManifestInvalid
from spacehost.folderwalk import MAX_SPACE_FILES, WalkPolicy, walk_folder
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

    The folder is walked by :func:`spacehost.folderwalk.walk_folder` (its module states the
    policy) with the space's rules: ``.git`` skipped at any depth; whatever the space's ignore
    files exclude left out (the same rules as :func:`load_space`; directories are not even
    entered when no ``!`` pattern could bring a file back); a symlink read as the file or folder
    it points to, which must lie inside the folder; at most :data:`MAX_SPACE_FILES` files (what
    an upload may hold).

    Args:
        path: the space folder (the one with README.md).

    Returns:
        Relative POSIX path -> contents.

    Raises:
        InvalidRequest: when *path* is not a folder.
        ManifestInvalid: for a symlink that points outside the folder, into ``.git``, nowhere,
            or into a loop; for special files (sockets, pipes, devices); for unreadable files;
            for a path Linux cannot hold; for more than :data:`MAX_SPACE_FILES` files.
    """
    root = Path(os.path.realpath(path))
    if not root.is_dir():
        raise InvalidRequest(
            f"{path} is not a folder", hint="pass the path of a space folder (with README.md)"
        )
    policy = _space_policy(_rules(root))
    return {f.path: _read(f.source, f.path) for f in walk_folder(root, policy)}


def _space_policy(rules: list[tuple[str, IgnoreRules]]) -> WalkPolicy:
    """The walk of a space folder with its ignore *rules* (see :func:`read_folder`)."""
    return WalkPolicy(
        error=ManifestInvalid,
        leave_out=f"exclude {{path}} in {SPACEHOST_IGNORE}",
        label="space folder",
        skipped=_is_git,
        excluded=lambda rel: excluded_by(rel, rules) is not None,
        pruned=lambda rel: any(r.prunes(rel) for _, r in rules),
        max_files=MAX_SPACE_FILES,
        many_hint=f"exclude generated files with {SPACEHOST_IGNORE}",
    )


def _is_git(rel: str) -> bool:
    return rel.rpartition("/")[2] == ".git"


def _rules(root: Path) -> list[tuple[str, IgnoreRules]]:
    small = {}
    for name in (README, SPACEHOST_IGNORE, DOCKER_IGNORE):
        candidate = root / name
        if candidate.is_file() and _inside(root, Path(os.path.realpath(candidate))):
            small[name] = _read(candidate, name)
    # Invalid patterns are load_space's to report; here they only mean "prune nothing".
    return exclusion_rules(small, declared_sdk(small.get(README, b"")), Findings())


def _inside(root: Path, target: Path) -> bool:
    return target == root or root in target.parents


def _read(target: Path, rel: str) -> bytes:
    try:
        return target.read_bytes()
    except OSError as exc:
        raise ManifestInvalid(
            f"cannot read {rel}: {exc.strerror or exc}",
            hint=f"check the file's permissions, or exclude it in {SPACEHOST_IGNORE}",
        ) from exc
