"""The validated, frozen result of reading a space folder. Pure data, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from spacehost.asof import AsOf
from spacehost.domain import Sdk


@dataclass(frozen=True)
class Problem:
    """One finding about a space's files: an error (refuses the push) or a warning (reported)."""

    file: str  # e.g. "README.md"
    field: str  # field path, e.g. "custom_headers.cross-origin-opener-policy"; "" for whole file
    message: str  # says what is wrong and what is allowed / what to do

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Manifest:
    """A space's README front matter, as Hugging Face reads it, validated."""

    title: str
    sdk: Sdk
    emoji: str = "🚀"
    color_from: str = "blue"
    color_to: str = "purple"
    sdk_version: str | None = None
    python_version: str | None = None  # normalised "3.10"; None = platform default
    app_file: str = "app.py"
    app_port: int = 7860
    base_path: str = "/"
    full_width: bool = False
    header: str = "default"  # "default" | "mini"
    short_description: str = ""
    models: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    thumbnail: str | None = None
    pinned: bool = False
    license: str | None = None
    suggested_hardware: str | None = None
    suggested_storage: str | None = None
    hardware: str | None = None  # spacehost's own field: "cpu", "gpu", "gpu:2", "zero", ...
    # spacehost's own `spacehost_resolve_as_of`: the date builds resolve packages as of
    resolve_as_of: AsOf | None = None
    replicas: int = 1  # spacehost's own `spacehost_replicas`: processes serving it at once
    disable_embedding: bool = False
    startup_duration_timeout_s: float | None = None
    custom_headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    preload_from_hub: tuple[str, ...] = ()
    hf_oauth: bool = False
    hf_oauth_scopes: tuple[str, ...] = ()
    hf_oauth_expiration_minutes: int | None = None
    hf_oauth_authorized_org: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    warnings: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class SpaceSource:
    """Everything the platform needs from a space folder, validated.

    ``files`` maps relative POSIX paths to contents, after exclusions (``.dockerignore`` /
    ``.spacehostignore``) were applied.
    """

    manifest: Manifest
    files: Mapping[str, bytes]
    requirements: tuple[str, ...] = ()  # requirement lines, comments and blanks removed
    pre_requirements: tuple[str, ...] = ()
    packages: tuple[str, ...] = ()  # Debian package names from packages.txt
    warnings: tuple[Problem, ...] = ()  # manifest warnings plus file-level ones

    @property
    def has_dockerfile(self) -> bool:
        return "Dockerfile" in self.files
