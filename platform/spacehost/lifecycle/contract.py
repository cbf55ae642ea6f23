"""The space container contract (HF-compatible): environment and identity of a space's container.
Pure functions of the space, its manifest and the settings."""

from __future__ import annotations

from typing import Any

from spacehost.domain import Sdk, SpaceId
from spacehost.lifecycle.hubmounts import hub_summary
from spacehost.manifest.model import Manifest
from spacehost.runtime.base import CONTAINER_WORKDIR
from spacehost.settings import Settings

GRADIO_PORT = 7860


def space_host(space: SpaceId, settings: Settings) -> str:
    """The host (and port) a visitor uses for *space*: ``owner-name.domain:port``."""
    port = "" if settings.port in (80, 443) else f":{settings.port}"
    return f"{space.subdomain}.{settings.domain}{port}"


def container_port(manifest: Manifest) -> int:
    return manifest.app_port if manifest.sdk is Sdk.DOCKER else GRADIO_PORT


def container_workdir(manifest: Manifest) -> str | None:
    """Where the app starts: ``/home/user/app``; an ``sdk: docker`` space's image's own
    ``WORKDIR`` (None), as on HF."""
    return None if manifest.sdk is Sdk.DOCKER else CONTAINER_WORKDIR


def contract_env(space: SpaceId, manifest: Manifest, settings: Settings) -> dict[str, str]:
    """The environment every space container gets (ARCHITECTURE.md, container contract):
    ``HOME``, the ``SPACE_*``, ``GRADIO_*`` and ``PORT`` variables. The runtime later merges the
    GPU's variables into it (:func:`spacehost.runtime.options.merged_env`)."""
    port = container_port(manifest)
    return {
        **gradio_watch_env(manifest, settings),
        # Not SYSTEM=spaces: to Gradio 6.31 it means "on huggingface.co" (real HF OAuth routes,
        # HF's hot-reload protocol, REST API closed), nor SPACES_ZERO_GPU=true (it caps every
        # queue at one waiting call). spacehost's `spaces` works without either (docs/gpu.md).
        "HOME": "/home/user",
        "SPACE_ID": str(space),
        "SPACE_AUTHOR_NAME": space.owner,
        "SPACE_REPO_NAME": space.name,
        "SPACE_TITLE": manifest.title,
        "SPACE_HOST": space_host(space, settings),
        "GRADIO_SERVER_NAME": "0.0.0.0",
        "GRADIO_SERVER_PORT": str(port),
        "PORT": str(port),
        "GRADIO_NUM_PORTS": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        # no downloads from outside: hub repos the manifest names are mounted (hubmounts.py)
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONUNBUFFERED": "1",
    }


def gradio_watch_env(manifest: Manifest, settings: Settings) -> dict[str, str]:
    """With ``SPACEHOST_HOT_RELOAD=1`` a Gradio space runs under Gradio's own reload watcher
    (the variables ``gradio app.py`` sets), so that a hot-reload commit's files are picked up
    without a restart (lifecycle/hotreload.py, docs/pushing.md#hot-reload); otherwise, and for
    other sdks, nothing (a hot-reload commit is then rebuilt, saying why)."""
    if manifest.sdk is not Sdk.GRADIO or not settings.hot_reload:
        return {}
    app = f"{CONTAINER_WORKDIR}/{manifest.app_file}"
    module = manifest.app_file.removesuffix(".py").replace("/", ".")
    return {
        "GRADIO_WATCH_DIRS": CONTAINER_WORKDIR,
        "GRADIO_WATCH_MODULE_NAME": module,
        "GRADIO_WATCH_DEMO_PATH": app,
    }


def data_volume(space: SpaceId, settings: Settings) -> str:
    """The space's /data volume; named per platform instance, so two platforms (data dirs) on
    one engine never share a space's data."""
    return f"spacehost-data-{settings.instance[:8]}-{space.slug}"


def hardware_of(manifest: Manifest) -> str:
    """The hardware name shown for a space: spacehost's ``hardware`` field, else HF's flavor."""
    return manifest.hardware or manifest.suggested_hardware or "cpu-basic"


def manifest_summary(manifest: Manifest) -> dict[str, Any]:
    """The manifest fields the API and pages show, JSON-ready (HF's camelCase names)."""
    return {
        "title": manifest.title,
        "emoji": manifest.emoji,
        "colorFrom": manifest.color_from,
        "colorTo": manifest.color_to,
        "sdk": manifest.sdk.value,
        "sdk_version": manifest.sdk_version,
        "python_version": manifest.python_version,
        "app_file": manifest.app_file,
        "app_port": manifest.app_port,
        "short_description": manifest.short_description,
        "tags": list(manifest.tags),
        "pinned": manifest.pinned,
        "license": manifest.license,
        "fullWidth": manifest.full_width,
        "header": manifest.header,
        "disable_embedding": manifest.disable_embedding,
        "custom_headers": dict(manifest.custom_headers),
        "hardware": hardware_of(manifest),
        "startup_duration_timeout_s": manifest.startup_duration_timeout_s,
        **({"replicas": manifest.replicas} if manifest.replicas > 1 else {}),
        "warnings": [str(w) for w in manifest.warnings],
        # the hub repos it uses: [{kind, repo_id, fields[, revision, files]}]; a deploy adds
        # the resolved "sha" (hubmounts.py)
        "hub": hub_summary(manifest),
    }
