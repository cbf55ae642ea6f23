"""Enums and value objects shared by every layer. No I/O here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from spacehost.errors import InvalidSpaceName


class Stage(StrEnum):
    """Where a space is in its life; the names are Hugging Face's."""

    NO_APP_FILE = "NO_APP_FILE"
    CONFIG_ERROR = "CONFIG_ERROR"
    BUILDING = "BUILDING"
    BUILD_ERROR = "BUILD_ERROR"
    APP_STARTING = "APP_STARTING"
    RUNNING = "RUNNING"
    RUNNING_BUILDING = "RUNNING_BUILDING"
    RUNNING_APP_STARTING = "RUNNING_APP_STARTING"
    RUNTIME_ERROR = "RUNTIME_ERROR"
    SLEEPING = "SLEEPING"
    PAUSED = "PAUSED"
    STOPPED = "STOPPED"
    DELETING = "DELETING"

    @property
    def is_serving(self) -> bool:
        """True when a container answers visitors in this stage."""
        return self in (Stage.RUNNING, Stage.RUNNING_BUILDING, Stage.RUNNING_APP_STARTING)

    @property
    def is_error(self) -> bool:
        return self in (
            Stage.CONFIG_ERROR,
            Stage.BUILD_ERROR,
            Stage.RUNTIME_ERROR,
            Stage.NO_APP_FILE,
        )


_S = Stage
# Which stage may follow which (a stage may always stay itself, and any stage but DELETING may
# go to DELETING or PAUSED). The lifecycle writes stages through the store, which enforces this.
TRANSITIONS: dict[Stage, frozenset[Stage]] = {
    _S.BUILDING: frozenset(
        {
            _S.BUILD_ERROR,
            _S.APP_STARTING,
            _S.CONFIG_ERROR,
            _S.RUNNING,
            _S.RUNTIME_ERROR,
            _S.NO_APP_FILE,
        }
    ),
    _S.BUILD_ERROR: frozenset({_S.BUILDING, _S.APP_STARTING, _S.RUNNING, _S.CONFIG_ERROR}),
    _S.APP_STARTING: frozenset({_S.RUNNING, _S.RUNTIME_ERROR, _S.BUILDING, _S.CONFIG_ERROR}),
    _S.RUNNING: frozenset(
        {
            _S.RUNNING_BUILDING,
            _S.RUNNING_APP_STARTING,
            _S.RUNTIME_ERROR,
            _S.SLEEPING,
            _S.BUILDING,
            _S.APP_STARTING,
            _S.CONFIG_ERROR,
        }
    ),
    _S.RUNNING_BUILDING: frozenset(
        {
            _S.RUNNING_APP_STARTING,
            _S.RUNNING,
            _S.RUNTIME_ERROR,
            _S.BUILD_ERROR,
            _S.CONFIG_ERROR,
            _S.BUILDING,
        }
    ),
    _S.RUNNING_APP_STARTING: frozenset(
        {_S.RUNNING, _S.RUNTIME_ERROR, _S.RUNNING_BUILDING, _S.CONFIG_ERROR}
    ),
    _S.RUNTIME_ERROR: frozenset(
        {
            _S.BUILDING,
            _S.APP_STARTING,
            _S.RUNNING,
            _S.CONFIG_ERROR,
            _S.RUNNING_BUILDING,
            _S.RUNNING_APP_STARTING,
        }
    ),
    _S.CONFIG_ERROR: frozenset({_S.BUILDING, _S.APP_STARTING, _S.RUNNING, _S.RUNNING_BUILDING}),
    _S.NO_APP_FILE: frozenset({_S.BUILDING, _S.RUNNING}),
    _S.SLEEPING: frozenset(
        {_S.RUNNING, _S.APP_STARTING, _S.BUILDING, _S.RUNTIME_ERROR, _S.CONFIG_ERROR}
    ),
    _S.PAUSED: frozenset({_S.BUILDING, _S.APP_STARTING, _S.RUNNING}),
    _S.STOPPED: frozenset({_S.BUILDING, _S.APP_STARTING, _S.RUNNING}),
    _S.DELETING: frozenset(),
}


def transition_allowed(old: Stage, new: Stage) -> bool:
    """Whether a space in stage *old* may move to *new* (see :data:`TRANSITIONS`)."""
    if old is new:
        return True
    if old is not Stage.DELETING and new in (Stage.DELETING, Stage.PAUSED):
        return True
    return new in TRANSITIONS[old]


class Sdk(StrEnum):
    GRADIO = "gradio"
    DOCKER = "docker"
    STATIC = "static"


# Owner and repo names follow huggingface_hub's rules: letters, digits, '-', '_', '.', no leading
# or trailing '-' or '.', no '--' or '..', at most 96 characters.
_NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$")


def check_name_part(part: str, what: str) -> str:
    """Return *part* if it is a valid owner or repo name, else raise :class:`InvalidSpaceName`."""
    if not _NAME_RE.match(part) or "--" in part or ".." in part or part.endswith(".git"):
        raise InvalidSpaceName(
            f"invalid {what} {part!r}: use 1-96 letters, digits, '-', '_' or '.', starting and "
            "ending with a letter or digit, without '--' or '..'",
            hint="for example: alice/my-demo",
        )
    return part


@dataclass(frozen=True, order=True)
class SpaceId:
    """A space's name, ``owner/name``."""

    owner: str
    name: str

    def __post_init__(self) -> None:
        check_name_part(self.owner, "owner")
        check_name_part(self.name, "space name")

    @classmethod
    def parse(cls, text: str) -> SpaceId:
        """Parse ``owner/name``; raise :class:`InvalidSpaceName` for anything else."""
        owner, sep, name = text.strip().partition("/")
        if not sep or "/" in name:
            raise InvalidSpaceName(
                f"invalid space id {text!r}: expected owner/name", hint="for example: alice/my-demo"
            )
        return cls(owner, name)

    def __str__(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def subdomain(self) -> str:
        """The host label of the space, as Hugging Face forms it: ``owner-name``, lower case,
        with ``_`` and ``.`` turned into ``-``."""
        label = f"{self.owner}-{self.name}".lower()
        return label.replace("_", "-").replace(".", "-")

    @property
    def slug(self) -> str:
        """A string safe for Docker object names: ``owner--name`` (``--`` cannot occur inside a
        valid part, so it cannot collide)."""
        return f"{self.owner}--{self.name}".lower()


class RepoKind(StrEnum):
    """The kinds of hub repo (a space is not one: spaces live in the store's own tables)."""

    MODEL = "model"
    DATASET = "dataset"

    @property
    def plural(self) -> str:
        """``models`` or ``datasets``: the word in HF's API paths and cache folder names."""
        return f"{self.value}s"


# First path segments the platform's own URLs use: a model id owned by one of these would make
# /{owner}/{name} (a model's page and download URLs) ambiguous.
RESERVED_OWNERS = frozenset(
    {
        "api",
        "spaces",
        "datasets",
        "models",
        "docs",
        "jobs",
        "static",
        "resolve",
        "settings",
        "new",
        "login",
        "logout",
        "join",
        "organizations",
        "collections",
        "papers",
        "blog",
        "search",
        "healthz",
        "metrics",
    }
)


def check_repo_id(kind: RepoKind, repo_id: str) -> str:
    """Return *repo_id* (``owner/name``) if valid for a hub repo of *kind*, else raise
    :class:`InvalidSpaceName`. Same character rules as spaces; for models the owner may not be
    one of :data:`RESERVED_OWNERS`."""
    owner, sep, name = repo_id.partition("/")
    if not sep or "/" in name:
        raise InvalidSpaceName(
            f"invalid {kind.value} id {repo_id!r}: expected owner/name",
            hint="for example: alice/my-" + kind.value,
        )
    check_name_part(owner, "owner")
    check_name_part(name, f"{kind.value} name")
    if kind is RepoKind.MODEL and owner.lower() in RESERVED_OWNERS:
        raise InvalidSpaceName(
            f"invalid model id {repo_id!r}: {owner!r} is reserved for the platform's own URLs",
            hint="choose another owner, for example your user or organisation name",
        )
    return repo_id


def repo_cache_name(kind: RepoKind, repo_id: str) -> str:
    """huggingface_hub's cache folder name of a repo: ``models--owner--name``."""
    return f"{kind.plural}--{repo_id.replace('/', '--')}"


@dataclass(frozen=True)
class GpuRequest:
    """How much GPU a space asks for. ``count == 0`` means none."""

    count: int = 0
    shared: bool = False
    min_memory_gb: float = 0.0

    @property
    def wants_gpu(self) -> bool:
        return self.count > 0 or self.shared


# Hugging Face hardware flavors and what they ask of this host.
HF_FLAVORS: dict[str, GpuRequest] = {
    "cpu-basic": GpuRequest(),
    "cpu-upgrade": GpuRequest(),
    "cpu-xl": GpuRequest(),
    "zero-a10g": GpuRequest(shared=True),
    "t4-small": GpuRequest(1, min_memory_gb=16),
    "t4-medium": GpuRequest(1, min_memory_gb=16),
    "l4x1": GpuRequest(1, min_memory_gb=24),
    "l4x4": GpuRequest(4, min_memory_gb=24),
    "l40sx1": GpuRequest(1, min_memory_gb=48),
    "l40sx4": GpuRequest(4, min_memory_gb=48),
    "l40sx8": GpuRequest(8, min_memory_gb=48),
    "a10g-small": GpuRequest(1, min_memory_gb=24),
    "a10g-large": GpuRequest(1, min_memory_gb=24),
    "a10g-largex2": GpuRequest(2, min_memory_gb=24),
    "a10g-largex4": GpuRequest(4, min_memory_gb=24),
    "a100-large": GpuRequest(1, min_memory_gb=80),
    "a100x4": GpuRequest(4, min_memory_gb=80),
    "a100x8": GpuRequest(8, min_memory_gb=80),
    "h100": GpuRequest(1, min_memory_gb=80),
    "h100x8": GpuRequest(8, min_memory_gb=80),
}


def gpu_request_for(flavor: str | None) -> GpuRequest:
    """The GPU request of an HF hardware flavor; unknown or missing flavors ask for no GPU."""
    return HF_FLAVORS.get(flavor or "cpu-basic", GpuRequest())
