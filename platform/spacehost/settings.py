"""Settings: built once from the environment (and CLI flags), then passed down.

Every knob is an environment variable ``SPACEHOST_*``; the CLI's flags override the few that
people change per run (host, port, data dir, domain). See docs/configuration.md.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from spacehost.asof import AsOf, parse_as_of
from spacehost.errors import InvalidRequest
from spacehost.nodelabels import Label, NodeLabels, parse_hardware_labels, parse_labels

DEFAULT_GRADIO_VERSION = "6.31.0"
DEFAULT_PYTHON_BASES = "3.11=debian:bookworm,3.13=debian:trixie"
COMPAT_SUITES = ("bullseye", "bookworm", "trixie")  # those whose Python spacehost knows
DEFAULT_COMPAT_SUITES = COMPAT_SUITES


def parse_size(text: str) -> int:
    """``"200m"``, ``"4g"``, ``"512k"``, ``"1024"`` -> bytes."""
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
    s = text.strip().lower().removesuffix("b").removesuffix("i")
    try:
        if s and s[-1] in units:
            return int(float(s[:-1]) * units[s[-1]])
        return int(s)
    except ValueError as exc:
        raise InvalidRequest(
            f"invalid size {text!r}", hint="use a number with an optional k/m/g suffix, e.g. 4g"
        ) from exc


def parse_mapping(text: str) -> dict[str, str]:
    """``"3.11=debian:bookworm,3.10=python:3.10-slim"`` -> ``{"3.11": ..., "3.10": ...}``."""
    out: dict[str, str] = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise InvalidRequest(
                f"invalid mapping entry {item!r}", hint="write KEY=VALUE pairs separated by commas"
            )
        out[key.strip()] = value.strip()
    return out


def parse_suites(text: str) -> tuple[str, ...]:
    """``"bookworm,trixie"`` -> ``("bookworm", "trixie")``; ``"off"`` -> ``()``.

    Raises:
        ValueError: a name is not one of :data:`COMPAT_SUITES`.
    """
    if text.strip().lower() in ("off", "none", "no", "false", "0"):
        return ()
    names = tuple(filter(None, (p.strip().lower() for p in text.split(","))))
    unknown = [n for n in names if n not in COMPAT_SUITES]
    if unknown:
        raise ValueError(f"unknown Debian suite {unknown[0]!r}; use {', '.join(COMPAT_SUITES)}")
    return names


def default_space_cpus(cores: int | None = None) -> float:
    """A space's default CPU limit: all of the host's cores but one (half of the only one), so
    that a busy space leaves the platform a core's worth of time (issue 11, A6)."""
    count = cores if cores is not None else os.cpu_count() or 1
    return float(count - 1) if count > 1 else 0.5


def _flag(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(text)


def _split(text: str) -> tuple[str, ...]:
    return tuple(p for p in text.replace(",", " ").split() if p)


@dataclass(frozen=True)
class PipSettings:
    """How builds reach Python packages. ``source="host"`` reads the host's ``pip config list``
    at build time; the explicit fields below are added on top (and win for index_url/cert)."""

    source: str = "host"  # "host" | "none"
    index_url: str = ""
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    trusted_hosts: tuple[str, ...] = ()
    ca_bundle: str = ""  # path on the host, copied into the build; "" = auto-detect
    proxy_env: tuple[tuple[str, str], ...] = ()
    # the local pip mirror (builder/mirror.py) on the Docker bridge gateway; 0 = off. One port
    # for every instance on the host: its URL is part of the runtime images' cache key.
    mirror_port: int = 7871
    cpu_torch: str = "auto"  # "auto": CPU builds get a local torch-*+cpu wheel | "off"


def default_max_jobs() -> int:
    """Jobs at once by default: one per two cores, at least one."""
    return max(1, (os.cpu_count() or 2) // 2)


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=lambda: Path.home() / ".spacehost")
    host: str = "127.0.0.1"
    port: int = 8000
    domain: str = "localhost"
    public_url: str = ""  # e.g. https://spaces.example.org; derived from host/port when empty
    token: str = ""
    docker_url: str = ""  # "" = docker's own environment (DOCKER_HOST or the default socket)
    network_mode: str = "auto"  # "auto" | "bridge" | "host" (engines run with --bridge=none)
    # where spaces run (docs/cluster.md): "docker" (docker_url's engine) or "swarm" (services
    # on the Swarm whose manager answers at swarm_url; images built on docker_url's engine are
    # pushed to registry, nodes pull them from registry_pull, "" = registry). No registry with
    # "swarm": spacehost runs its own (server/registry.py) on registry_port, every address,
    # storage in DATA_DIR/registry; nodes pull it at registry_pull, else at the host of
    # swarm_hub_url (the address they already reach the platform at)
    runtime: str = "docker"
    swarm_url: str = ""
    registry: str = ""
    registry_pull: str = ""
    registry_port: int = 5000
    # the platform's URL as tasks on the swarm's nodes reach it: they fill node-local caches of
    # hub repos from it (docs/cluster.md, "Hub repos on the nodes"); "" = public_url/base_url
    swarm_hub_url: str = ""
    swarm_data: str = "pinned"  # where a Swarm space's /data lives (runtime/swarm_data.py)
    # where HF jobs run with SPACEHOST_RUNTIME=swarm: "engine" (the build engine, as with the
    # Docker backend) or "swarm" (one-shot services on the nodes: runtime/swarm_jobs.py)
    swarm_jobs: str = "engine"
    # swarm_data "shared": a folder mounted at this same path on every node and on the
    # platform's host (NFS, CephFS, ...); each space's /data is a folder under it
    swarm_shared_dir: str = ""
    # node labels (nodelabels.py): every node running spaces and jobs carries these, and a node
    # running a hardware flavor its flavor's too (docs/cluster.md, "Where spaces and jobs may run")
    swarm_node_labels: tuple[Label, ...] = ()
    swarm_hardware_labels: Mapping[str, tuple[Label, ...]] = field(default_factory=dict)
    # spaces on a bridge reach neither each other nor the host (runtime/isolation.py); whether
    # they may open connections to the outside world, and whether iptables rules enforce it
    space_egress: bool = False
    space_firewall: bool = True
    python_bases: Mapping[str, str] = field(
        default_factory=lambda: parse_mapping(DEFAULT_PYTHON_BASES)
    )
    default_python: str = "3.10"  # what HF assumes when python_version is absent
    gradio_version: str = DEFAULT_GRADIO_VERSION  # the one baked into the gradio runtime image
    # the date builds resolve packages as of, unless README.md says (builder/cutoff.py)
    resolve_as_of: AsOf = field(default_factory=lambda: parse_as_of("revision"))
    debian_mirror: str = "http://deb.debian.org/debian"
    # Debian suites spacehost may make stand-ins for python:/debian: bases from when a Docker
    # space's base cannot be pulled (builder/compat_bases.py); empty: never
    compat_suites: tuple[str, ...] = DEFAULT_COMPAT_SUITES
    pip: PipSettings = field(default_factory=PipSettings)
    memory_limit: int = 4 << 30
    cpus: float = field(default_factory=default_space_cpus)  # per space
    cpu_shares: int = 512  # a space's CPU weight; the engine's default (and the host's) is 1024
    pids_limit: int = 1024
    # disk limits (runtime/storage.py): a container's writable layer (/tmp, its home, every
    # file it writes outside /data) and each volume (/data); 0: unlimited
    space_disk: int = 10 << 30
    data_disk: int = 10 << 30
    keep_revisions: int = 3  # superseded revisions kept per space besides the serving one
    max_upload_bytes: int = 200 << 20
    max_hub_upload_bytes: int = 20 << 30  # one model/dataset push (docs/hub.md)
    # huggingface_hub uploads: larger files are answered "lfs" by preupload (docs/hub.md)
    max_regular_file: int = 50 << 20
    # answer LFS files' resolve with Xet headers so hf_xet downloads them (docs/hub.md); off:
    # measured no faster than plain HTTP through the router (docs/benchmarks.md)
    hub_xet: bool = False
    # Gradio spaces run under Gradio's reload watcher, so hot_reload=1 commits apply in place
    # (docs/pushing.md#hot-reload); off by default: the watcher runs an app's top level twice
    hot_reload: bool = False
    startup_timeout_s: float = 30 * 60.0
    gpu_fallback: str = "error"  # "error" | "cpu"
    # shared GPUs (hardware: zero, docs/gpu.md): "auto" runs the broker on a host with GPUs,
    # "cpu" also without (it hands out CPU leases), "off" never
    gpu_broker: str = "auto"
    gpu_slots: int = 1  # leases one GPU holds at once (1: calls on a GPU are serialised)
    gpu_space_limit: int = 1  # leases one space holds at once
    gpu_duration_s: float = 60.0  # a call's duration when its @spaces.GPU names none
    gpu_max_duration_s: float = 300.0  # longer durations are clipped to this
    gpu_grace_s: float = 5.0  # after its duration, a lease is taken back this much later
    gpu_max_wait_s: float = 600.0  # a call waiting longer for a lease is refused
    gpu_memory_fraction: float = 0.0  # of a GPU's memory per lease; 0: 1 / gpu_slots
    # the CUDA runtime of GPU spaces: an image with Python and a CUDA torch (operator-made, e.g.
    # spacehost/gpu-host:local); "" builds one on the python layer with gpu_torch from the index
    gpu_base_image: str = ""
    gpu_torch: str = "torch"
    build_timeout_s: float = 60 * 60.0
    log_lines_kept: int = 5000
    # secrets at rest: a Fernet key; "" = DATA_DIR/secret.key, made on first use (mode 0600)
    secret_key: str = field(default="", repr=False)
    # crashed spaces restart after initial, initial*2, ... capped at max seconds; the sequence
    # starts again once a run has stayed up for reset seconds
    crash_restart: bool = True
    crash_backoff_initial_s: float = 1.0
    crash_backoff_max_s: float = 60.0
    crash_backoff_reset_s: float = 120.0
    # idle spaces (no request through the router) are paused after sleep_after seconds and
    # stopped (memory freed) after stop_after; at most max_awake run or are paused at once
    sleep_after_s: float = 3600.0
    stop_after_s: float = 4 * 3600.0
    max_awake: int = 10
    # jobs running at once (docs/jobs.md); more wait in SCHEDULING
    max_jobs: int = field(default_factory=lambda: default_max_jobs())
    # on start, import the models and datasets that ship with spacehost into the hub
    # (server/content.py): sentence-transformers/all-MiniLM-L6-v2, spacehost/movie-reviews
    builtin_content: bool = True
    # the router's client timeouts (docs/router.md#timeouts): a request head must be complete
    # within header_timeout_s of its first byte (of the connection's opening for the first
    # request) and may pause at most header_idle_s; a request body may pause at most
    # body_idle_s; a keep-alive connection waits keepalive_timeout_s for its next request
    header_timeout_s: float = 30.0
    header_idle_s: float = 15.0
    body_idle_s: float = 60.0
    keepalive_timeout_s: float = 75.0
    # sign-in through an OpenID Connect provider (identity/oidc.py); off while issuer is ""
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_label: str = "Single sign-on"
    oidc_create_users: bool = True  # a first sign-in makes an account (the provider vouches)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``SPACEHOST_*`` variables; keyword *overrides* (CLI flags) win."""
        env = os.environ if environ is None else environ
        kw: dict[str, Any] = {}
        simple: dict[str, tuple[str, Callable[[str], Any]]] = {
            "SPACEHOST_DATA_DIR": ("data_dir", lambda v: Path(v).expanduser()),
            "SPACEHOST_HOST": ("host", str),
            "SPACEHOST_PORT": ("port", int),
            "SPACEHOST_DOMAIN": ("domain", str),
            "SPACEHOST_PUBLIC_URL": ("public_url", lambda v: v.rstrip("/")),
            "SPACEHOST_TOKEN": ("token", str),
            "SPACEHOST_OIDC_ISSUER": ("oidc_issuer", lambda v: v.rstrip("/")),
            "SPACEHOST_OIDC_CLIENT_ID": ("oidc_client_id", str),
            "SPACEHOST_OIDC_CLIENT_SECRET": ("oidc_client_secret", str),
            "SPACEHOST_OIDC_LABEL": ("oidc_label", str),
            "SPACEHOST_OIDC_CREATE_USERS": ("oidc_create_users", _flag),
            "SPACEHOST_DOCKER_URL": ("docker_url", str),
            "SPACEHOST_NETWORK_MODE": ("network_mode", str),
            "SPACEHOST_RUNTIME": ("runtime", lambda v: v.strip().lower()),
            "SPACEHOST_SWARM_URL": ("swarm_url", str),
            "SPACEHOST_REGISTRY": ("registry", lambda v: v.strip().rstrip("/")),
            "SPACEHOST_REGISTRY_PULL": ("registry_pull", lambda v: v.strip().rstrip("/")),
            "SPACEHOST_REGISTRY_PORT": ("registry_port", int),
            "SPACEHOST_SWARM_HUB_URL": ("swarm_hub_url", lambda v: v.strip().rstrip("/")),
            "SPACEHOST_SWARM_DATA": ("swarm_data", lambda v: v.strip().lower()),
            "SPACEHOST_SWARM_JOBS": ("swarm_jobs", lambda v: v.strip().lower()),
            "SPACEHOST_SWARM_SHARED_DIR": ("swarm_shared_dir", str.strip),
            "SPACEHOST_SWARM_NODE_LABELS": ("swarm_node_labels", parse_labels),
            "SPACEHOST_SWARM_HARDWARE_LABELS": ("swarm_hardware_labels", parse_hardware_labels),
            "SPACEHOST_PYTHON_BASES": ("python_bases", parse_mapping),
            "SPACEHOST_DEFAULT_PYTHON": ("default_python", str),
            "SPACEHOST_GRADIO_VERSION": ("gradio_version", str),
            "SPACEHOST_RESOLVE_AS_OF": ("resolve_as_of", parse_as_of),
            "SPACEHOST_DEBIAN_MIRROR": ("debian_mirror", str),
            "SPACEHOST_COMPAT_SUITES": ("compat_suites", parse_suites),
            "SPACEHOST_MEMORY_LIMIT": ("memory_limit", parse_size),
            "SPACEHOST_CPUS": ("cpus", float),
            "SPACEHOST_CPU_SHARES": ("cpu_shares", int),
            "SPACEHOST_SPACE_EGRESS": ("space_egress", _flag),
            "SPACEHOST_SPACE_FIREWALL": ("space_firewall", _flag),
            "SPACEHOST_PIDS_LIMIT": ("pids_limit", int),
            "SPACEHOST_SPACE_DISK": ("space_disk", parse_size),
            "SPACEHOST_DATA_DISK": ("data_disk", parse_size),
            "SPACEHOST_KEEP_REVISIONS": ("keep_revisions", int),
            "SPACEHOST_MAX_UPLOAD": ("max_upload_bytes", parse_size),
            "SPACEHOST_MAX_HUB_UPLOAD_BYTES": ("max_hub_upload_bytes", parse_size),
            "SPACEHOST_MAX_REGULAR_FILE": ("max_regular_file", parse_size),
            "SPACEHOST_HUB_XET": ("hub_xet", _flag),
            "SPACEHOST_HOT_RELOAD": ("hot_reload", _flag),
            "SPACEHOST_STARTUP_TIMEOUT": ("startup_timeout_s", float),
            "SPACEHOST_GPU_FALLBACK": ("gpu_fallback", str),
            "SPACEHOST_GPU_BROKER": ("gpu_broker", str),
            "SPACEHOST_GPU_SLOTS": ("gpu_slots", int),
            "SPACEHOST_GPU_SPACE_LIMIT": ("gpu_space_limit", int),
            "SPACEHOST_GPU_DURATION": ("gpu_duration_s", float),
            "SPACEHOST_GPU_MAX_DURATION": ("gpu_max_duration_s", float),
            "SPACEHOST_GPU_GRACE": ("gpu_grace_s", float),
            "SPACEHOST_GPU_MAX_WAIT": ("gpu_max_wait_s", float),
            "SPACEHOST_GPU_MEMORY_FRACTION": ("gpu_memory_fraction", float),
            "SPACEHOST_GPU_BASE_IMAGE": ("gpu_base_image", str),
            "SPACEHOST_GPU_TORCH": ("gpu_torch", str),
            "SPACEHOST_BUILD_TIMEOUT": ("build_timeout_s", float),
            "SPACEHOST_SECRET_KEY": ("secret_key", str),
            "SPACEHOST_CRASH_RESTART": ("crash_restart", _flag),
            "SPACEHOST_CRASH_BACKOFF_INITIAL": ("crash_backoff_initial_s", float),
            "SPACEHOST_CRASH_BACKOFF_MAX": ("crash_backoff_max_s", float),
            "SPACEHOST_CRASH_BACKOFF_RESET": ("crash_backoff_reset_s", float),
            "SPACEHOST_SLEEP_AFTER": ("sleep_after_s", float),
            "SPACEHOST_STOP_AFTER": ("stop_after_s", float),
            "SPACEHOST_MAX_AWAKE": ("max_awake", int),
            "SPACEHOST_MAX_JOBS": ("max_jobs", int),
            "SPACEHOST_BUILTIN_CONTENT": ("builtin_content", _flag),
            "SPACEHOST_HEADER_TIMEOUT": ("header_timeout_s", float),
            "SPACEHOST_HEADER_IDLE_TIMEOUT": ("header_idle_s", float),
            "SPACEHOST_BODY_IDLE_TIMEOUT": ("body_idle_s", float),
            "SPACEHOST_KEEPALIVE_TIMEOUT": ("keepalive_timeout_s", float),
        }
        for var, (name, conv) in simple.items():
            if env.get(var):
                try:
                    kw[name] = conv(env[var])
                except ValueError as exc:
                    raise InvalidRequest(
                        f"invalid value {env[var]!r} for {var}", hint=f"fix or unset {var}"
                    ) from exc
        kw["pip"] = _pip_from_env(env)
        kw.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**kw)
        settings.check()
        return settings

    def check(self) -> None:
        if self.gpu_fallback not in ("error", "cpu"):
            raise InvalidRequest(
                f"invalid SPACEHOST_GPU_FALLBACK {self.gpu_fallback!r}", hint="use 'error' or 'cpu'"
            )
        self._check_gpu_sharing()
        self._check_router_timeouts()
        self._check_runtime()
        if self.max_jobs < 1:
            raise InvalidRequest(
                f"invalid SPACEHOST_MAX_JOBS {self.max_jobs}", hint="use 1 or more jobs at once"
            )
        if not self.cpus > 0 or not 2 <= self.cpu_shares <= 262144:
            raise InvalidRequest(
                f"invalid SPACEHOST_CPUS {self.cpus} or SPACEHOST_CPU_SHARES {self.cpu_shares}",
                hint="use a number of cores above 0 (e.g. 1.5) and a weight from 2 to 262144",
            )
        if self.pip.source not in ("host", "none"):
            raise InvalidRequest(
                f"invalid SPACEHOST_PIP_CONFIG {self.pip.source!r}", hint="use 'host' or 'none'"
            )
        if self.pip.cpu_torch not in ("auto", "off") or not 0 <= self.pip.mirror_port < 65536:
            raise InvalidRequest(
                f"invalid SPACEHOST_CPU_TORCH {self.pip.cpu_torch!r} or SPACEHOST_MIRROR_PORT "
                f"{self.pip.mirror_port}",
                hint="use 'auto' or 'off', and a TCP port (0 turns the local pip mirror off)",
            )
        if not 0 < self.crash_backoff_initial_s <= self.crash_backoff_max_s:
            raise InvalidRequest(
                "invalid crash backoff: need 0 < SPACEHOST_CRASH_BACKOFF_INITIAL <= "
                "SPACEHOST_CRASH_BACKOFF_MAX",
                hint=f"got {self.crash_backoff_initial_s} and {self.crash_backoff_max_s}",
            )

        if not 0 < self.sleep_after_s <= self.stop_after_s or self.max_awake < 1:
            raise InvalidRequest(
                "invalid sleep settings: need 0 < SPACEHOST_SLEEP_AFTER <= SPACEHOST_STOP_AFTER "
                "and SPACEHOST_MAX_AWAKE >= 1",
                hint=f"got {self.sleep_after_s}, {self.stop_after_s} and {self.max_awake}",
            )

    def _check_runtime(self) -> None:
        if self.runtime not in ("docker", "swarm"):
            raise InvalidRequest(
                f"invalid SPACEHOST_RUNTIME {self.runtime!r}", hint="use 'docker' or 'swarm'"
            )
        if self.swarm_data not in ("pinned", "ephemeral", "shared"):
            raise InvalidRequest(
                f"invalid SPACEHOST_SWARM_DATA {self.swarm_data!r}",
                hint="use 'pinned' (/data kept on one node), 'ephemeral' (spaces move freely, "
                "/data is empty after a move) or 'shared' (/data in SPACEHOST_SWARM_SHARED_DIR, "
                "a folder every node mounts) (docs/cluster.md)",
            )
        if self.swarm_jobs not in ("engine", "swarm"):
            raise InvalidRequest(
                f"invalid SPACEHOST_SWARM_JOBS {self.swarm_jobs!r}",
                hint="use 'engine' (jobs run on the build engine) or 'swarm' (jobs run on the "
                "swarm's nodes; their node set-up admits jobs to the platform) (docs/cluster.md)",
            )
        self._check_shared_dir()
        if self.runtime == "swarm" and not self.swarm_url:
            raise InvalidRequest(
                "SPACEHOST_RUNTIME=swarm needs SPACEHOST_SWARM_URL (the manager's Docker URL)",
                hint="set it, e.g. SPACEHOST_SWARM_URL=unix:///var/run/docker.sock on the manager "
                "or tcp://10.0.0.1:2375 (docs/cluster.md)",
            )
        if self.runtime == "swarm" and self.space_egress:
            raise InvalidRequest(
                "SPACEHOST_SPACE_EGRESS=on is not supported with SPACEHOST_RUNTIME=swarm: spaces "
                "on a swarm's nodes reach nothing beyond the router's connections to them",
                hint="unset SPACEHOST_SPACE_EGRESS (or set it to off), or run spaces that must "
                'call out on the Docker backend (docs/cluster.md, "Networking")',
            )
        self._check_own_registry()

    def _check_shared_dir(self) -> None:
        """The form of SPACEHOST_SWARM_SHARED_DIR (whether it exists and is writable is
        checked when the platform starts: runtime/swarm_data.py)."""
        if self.swarm_data != "shared":
            return
        path = self.swarm_shared_dir
        if not path:
            raise InvalidRequest(
                "SPACEHOST_SWARM_DATA=shared needs SPACEHOST_SWARM_SHARED_DIR",
                hint="set it to a folder mounted at the same path on every node and on this "
                "machine (NFS, CephFS, ...), e.g. SPACEHOST_SWARM_SHARED_DIR=/mnt/spacehost-data "
                '(docs/cluster.md, "Where /data lives")',
            )
        if not PurePosixPath(path).is_absolute() or ".." in PurePosixPath(path).parts:
            raise InvalidRequest(
                f"invalid SPACEHOST_SWARM_SHARED_DIR {path!r}: it must be an absolute path "
                "without '..'",
                hint="write the folder's full path as every node mounts it, e.g. "
                "/mnt/spacehost-data",
            )

    def _check_own_registry(self) -> None:
        if not self.own_registry:
            return
        if not 0 < self.registry_port < 65536:
            raise InvalidRequest(
                f"invalid SPACEHOST_REGISTRY_PORT {self.registry_port}",
                hint="use a TCP port (1-65535) for the registry spacehost starts (docs/cluster.md)",
            )
        _, sep, port = self.registry_pull.rpartition(":")
        if self.registry_pull and (not sep or not port.isdigit() or "/" in self.registry_pull):
            raise InvalidRequest(
                f"invalid SPACEHOST_REGISTRY_PULL {self.registry_pull!r}: spacehost starts the "
                "registry itself (no SPACEHOST_REGISTRY), so it needs HOST:PORT",
                hint="write the address the nodes reach this machine at with the port the "
                "registry should listen on, e.g. 192.168.1.10:5000 (docs/cluster.md)",
            )

    @property
    def node_labels(self) -> NodeLabels:
        """The node labels spaces and jobs on the swarm need (nodelabels.py)."""
        return NodeLabels(self.swarm_node_labels, dict(self.swarm_hardware_labels))

    @property
    def own_registry(self) -> bool:
        """Whether spacehost starts a registry itself: the Swarm backend and no
        SPACEHOST_REGISTRY."""
        return self.runtime == "swarm" and not self.registry

    @property
    def own_registry_port(self) -> int:
        """The port of the registry spacehost starts: SPACEHOST_REGISTRY_PULL's port, else
        SPACEHOST_REGISTRY_PORT."""
        _, _, port = self.registry_pull.rpartition(":")
        return int(port) if port.isdigit() else self.registry_port

    @property
    def registry_dir(self) -> Path:
        """The storage and configuration of the registry spacehost starts."""
        return self.data_dir / "registry"

    @property
    def push_registry(self) -> str:
        """Where the build engine pushes space images: SPACEHOST_REGISTRY, else the registry
        spacehost starts, on loopback (an engine trusts a loopback registry without
        configuration)."""
        return self.registry or f"127.0.0.1:{self.own_registry_port}"

    @property
    def pull_registry(self) -> str:
        """Where Swarm nodes pull space images from: SPACEHOST_REGISTRY_PULL, else
        SPACEHOST_REGISTRY, else the registry spacehost starts at the host of
        SPACEHOST_SWARM_HUB_URL (the address the nodes reach the platform at)."""
        if self.registry_pull or self.registry:
            return self.registry_pull or self.registry
        host = urlsplit(self.swarm_hub_url or self.base_url).hostname or "127.0.0.1"
        host = f"[{host}]" if ":" in host else host
        return f"{host}:{self.own_registry_port}"

    def _check_router_timeouts(self) -> None:
        timeouts = (
            self.header_timeout_s,
            self.header_idle_s,
            self.body_idle_s,
            self.keepalive_timeout_s,
        )
        if not all(0 < t < float("inf") for t in timeouts):
            raise InvalidRequest(
                "invalid router timeouts: SPACEHOST_HEADER_TIMEOUT, "
                "SPACEHOST_HEADER_IDLE_TIMEOUT, SPACEHOST_BODY_IDLE_TIMEOUT and "
                "SPACEHOST_KEEPALIVE_TIMEOUT must be positive numbers of seconds",
                hint=f"got {', '.join(str(t) for t in timeouts)}",
            )

    def _check_gpu_sharing(self) -> None:
        if self.gpu_broker not in ("auto", "cpu", "off"):
            raise InvalidRequest(
                f"invalid SPACEHOST_GPU_BROKER {self.gpu_broker!r}",
                hint="use 'auto', 'cpu' or 'off'",
            )
        if (
            self.gpu_slots < 1
            or self.gpu_space_limit < 1
            or not 0 < self.gpu_duration_s <= self.gpu_max_duration_s
            or self.gpu_grace_s < 0
            or self.gpu_max_wait_s <= 0
            or not 0 <= self.gpu_memory_fraction <= 1
        ):
            raise InvalidRequest(
                "invalid GPU sharing settings: need SPACEHOST_GPU_SLOTS and "
                "SPACEHOST_GPU_SPACE_LIMIT >= 1, 0 < SPACEHOST_GPU_DURATION <= "
                "SPACEHOST_GPU_MAX_DURATION, SPACEHOST_GPU_GRACE >= 0, SPACEHOST_GPU_MAX_WAIT > 0 "
                "and 0 <= SPACEHOST_GPU_MEMORY_FRACTION <= 1",
                hint="fix or unset the SPACEHOST_GPU_* variables (docs/configuration.md)",
            )

    @property
    def gpu_socket_dir(self) -> Path:
        """Where the GPU broker's per-space socket directories live."""
        return self.data_dir / "run" / "gpu"

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @property
    def base_url(self) -> str:
        """The platform's public base URL, without a trailing slash."""
        if self.public_url:
            return self.public_url
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def jobs_db(self) -> Path:
        """Jobs, their logs and scheduled jobs (store/jobs.py)."""
        return self.data_dir / "jobs.db"

    @property
    def identity_db(self) -> Path:
        """Users, organizations, tokens, sessions and private repos (identity/db.py)."""
        return self.data_dir / "identity.db"

    @property
    def control_socket(self) -> Path:
        """The Unix socket the control plane listens on, behind the router."""
        return self.data_dir / "run" / "control.sock"

    @property
    def routes_file(self) -> Path:
        """The route table the control plane writes and the router reads."""
        return self.data_dir / "run" / "routes.json"

    @property
    def activity_dir(self) -> Path:
        """The routers' reports of use (one file each), read by the lifecycle."""
        return self.data_dir / "run" / "activity"

    def router_activity_file(self, port: int) -> Path:
        """The report of use of the router listening on *port*: one file per router, so two
        routers on one data dir never overwrite each other's."""
        return self.activity_dir / f"router-{port}.json"

    @property
    def instance(self) -> str:
        """This platform's identity on a shared engine: a hash of its data directory."""
        digest = hashlib.sha256(str(self.data_dir.expanduser().resolve()).encode())
        return digest.hexdigest()[:16]

    @property
    def hub_dir(self) -> Path:
        """The model and dataset hub's storage (docs/hub.md)."""
        return self.data_dir / "hub"

    @property
    def git_dir(self) -> Path:
        """Every space's, model's and dataset's git repository (store/gitrepos.py, docs/git.md)."""
        return self.data_dir / "git"

    @property
    def token_file(self) -> Path:
        return self.data_dir / "token"


_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")


def _pip_from_env(env: Mapping[str, str]) -> PipSettings:
    return PipSettings(
        source=env.get("SPACEHOST_PIP_CONFIG", "host"),
        index_url=env.get("SPACEHOST_PIP_INDEX_URL", ""),
        extra_index_urls=_split(env.get("SPACEHOST_PIP_EXTRA_INDEX_URL", "")),
        find_links=_split(env.get("SPACEHOST_PIP_FIND_LINKS", "")),
        trusted_hosts=_split(env.get("SPACEHOST_PIP_TRUSTED_HOST", "")),
        ca_bundle=env.get("SPACEHOST_CA_BUNDLE", ""),
        proxy_env=tuple((k, env[k]) for k in _PROXY_VARS if env.get(k)),
        mirror_port=_port(env.get("SPACEHOST_MIRROR_PORT", "")),
        cpu_torch=env.get("SPACEHOST_CPU_TORCH", "auto").strip().lower() or "auto",
    )


def _port(text: str) -> int:
    if not text.strip():
        return PipSettings.mirror_port
    try:
        return int(text)
    except ValueError as exc:
        raise InvalidRequest(
            f"invalid value {text!r} for SPACEHOST_MIRROR_PORT",
            hint="use a TCP port number (0 turns the local pip mirror off)",
        ) from exc
