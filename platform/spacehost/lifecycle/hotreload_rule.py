"""Which commits may be hot-reloaded: the rule, pure (docs/pushing.md#hot-reload).

A commit may be applied to a running Gradio app in place when it changes only code and
assets: nothing the image's build reads (the README's front matter, the dependency files, a
Dockerfile) and not the app file's existence. Anything else is rebuilt.
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field

from spacehost.domain import Sdk

# files the image's build reads: a change to any of them needs a rebuild
BUILD_INPUTS = ("README.md", "Dockerfile", "packages.txt")
# requirements.txt, pre-requirements.txt and the files they may include (-r other.txt)
REQUIREMENT_PATTERN = "*requirements*.txt"


@dataclass(frozen=True)
class FileChanges:
    """What a revision changes in the one before it: *put* (new or changed path -> bytes),
    *deleted* paths."""

    put: Mapping[str, bytes] = field(default_factory=dict)
    deleted: tuple[str, ...] = ()

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(sorted((*self.put, *self.deleted)))


def file_changes(old: Mapping[str, bytes], new: Mapping[str, bytes]) -> FileChanges:
    """The difference from *old* files to *new* ones."""
    put = {p: data for p, data in new.items() if old.get(p) != data}
    deleted = tuple(sorted(p for p in old if p not in new))
    return FileChanges(put=put, deleted=deleted)


def needs_rebuild(path: str) -> bool:
    """Whether a change to *path* (relative to the space's root) needs a new image: a build
    input at the root, a root ``*requirements*.txt`` or a file under ``requirements/``."""
    if path.startswith("requirements/"):
        return True
    if "/" in path:
        return False
    return path in BUILD_INPUTS or fnmatch.fnmatch(path, REQUIREMENT_PATTERN)


def refusal(sdk: Sdk, app_file: str, changes: FileChanges) -> str | None:
    """Why *changes* to a space of *sdk* whose app is *app_file* cannot be hot-reloaded, in
    words; None when they can."""
    if sdk is not Sdk.GRADIO:
        return f"hot reload is for Gradio spaces (this one is sdk: {sdk.value})"
    if not changes.paths:
        return "the commit changes no file"
    rebuilt = [p for p in changes.paths if needs_rebuild(p)]
    if rebuilt:
        return f"{', '.join(rebuilt)} changed (the image's build reads it)"
    if app_file in changes.deleted:
        return f"the app file {app_file} is deleted"
    if posixpath.splitext(app_file)[1] != ".py":
        return f"the app file {app_file} is not a Python file"
    return None
