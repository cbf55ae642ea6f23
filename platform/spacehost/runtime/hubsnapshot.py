"""One commit of a hub repo a space reads, as a runtime backend sees it (docs/hub.md, "Using hub
repos in a space"; docs/cluster.md, "Hub repos on the nodes").

The lifecycle resolves a space's ``models:``/``datasets:`` and hands each one to the backend
twice: as read-only bind mounts of the platform's own cache folders (``ContainerSpec.mounts``,
what the Docker backend uses) and as a :class:`HubSnapshot` (``ContainerSpec.hub``), which a
backend whose nodes do not have those folders (Swarm) uses to put the files there itself.
Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNSAFE = re.compile(r"[^a-zA-Z0-9_.-]+")


@dataclass(frozen=True)
class HubSnapshot:
    """One commit of one hub repo, and where the space expects its cache folder.

    Attributes:
        kind: ``model`` or ``dataset``.
        repo_id: the id the hub stores it under (its new one when it was moved), to download.
        sha: the commit the space is pinned to.
        container_dir: the repo's cache folder in the container
            (``~/.cache/huggingface/hub/models--o--n``, named as README.md names the repo).
    """

    kind: str
    repo_id: str
    sha: str
    container_dir: str

    @property
    def volume(self) -> str:
        """The node-local volume holding this commit: one per node per (repo, commit), shared
        read-only by every space that reads it."""
        cache = f"{self.kind}s--{self.repo_id.replace('/', '--')}"
        return _UNSAFE.sub("-", f"spacehost-hub-{cache}-{self.sha}")

    def covers(self, container_path: str) -> bool:
        """Whether a mount at *container_path* is this repo's (its folder, or the pin over its
        ``refs/main``)."""
        return container_path == self.container_dir or container_path.startswith(
            self.container_dir + "/"
        )
