"""Distributing built images to Swarm nodes: push to a registry once, pull by digest.

Images are built on the build engine (``SPACEHOST_DOCKER_URL``), where the runtime images live;
Swarm nodes never see that engine, so each image a service runs is pushed to the registry first
and the service names it by digest (``registry/spacehost/name@sha256:...``): every node runs
exactly the bytes that were built, whatever happens to tags meanwhile.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from docker import DockerClient

from spacehost.dockerengine import ENGINE_ERRORS, container_error
from spacehost.errors import EngineUnavailable, NotFound

log = logging.getLogger(__name__)

REPOSITORY_PREFIX = "spacehost"
_UNSAFE = re.compile(r"[^a-z0-9._-]+")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
REGISTRY_HINT = (
    "check that the registry in SPACEHOST_REGISTRY answers (`curl http://REGISTRY/v2/`) and "
    "that the build engine may push to it (an http registry needs --insecure-registry)"
)


def registry_repository(image: str) -> str:
    """The registry path an image is pushed under: ``spacehost/<last part of its name>``.

    Args:
        image: a local image reference, e.g. ``spacehost-space/alice--demo:0123abcd``.

    Returns:
        e.g. ``spacehost/alice--demo`` (characters a registry refuses become ``-``).
    """
    name = image.rsplit("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    last = last.rsplit(":", 1)[0] if ":" in last else last
    return f"{REPOSITORY_PREFIX}/{_UNSAFE.sub('-', last.lower()).strip('-.') or 'image'}"


def pushed_digest(events: Iterable[Mapping[str, Any]]) -> str:
    """The manifest digest a push reported, from its decoded progress events.

    Raises:
        EngineUnavailable: an event carries an error (the registry refused or is unreachable),
            or no digest was reported.
    """
    digest = ""
    for event in events:
        if event.get("error"):
            raise EngineUnavailable(
                f"pushing the image to the registry failed: {event['error']}", hint=REGISTRY_HINT
            )
        aux = event.get("aux") or {}
        found = _DIGEST.search(str(aux.get("Digest") or event.get("status") or ""))
        if found:
            digest = found.group(0)
    if not digest:
        raise EngineUnavailable("the registry reported no digest for the pushed image",
                                hint=REGISTRY_HINT)  # fmt: skip
    return digest


class ImagePusher:
    """Pushes images from the build engine to a registry, each image once per process.

    Args:
        client: the build engine's client (the caller owns it).
        push_registry: ``host:port`` where the build engine pushes (``SPACEHOST_REGISTRY``).
        pull_registry: the same registry as Swarm nodes reach it (``SPACEHOST_REGISTRY_PULL``).
    """

    def __init__(self, client: DockerClient, push_registry: str, pull_registry: str) -> None:
        self._client = client
        self._push = push_registry
        self._pull = pull_registry
        self._pushed: dict[str, str] = {}  # image id -> the reference nodes pull
        self._lock = threading.Lock()

    def pull_reference(self, image: str) -> str:
        """Push *image* unless this image id was pushed already; where nodes pull it from.

        Returns:
            ``pull_registry/spacehost/name@sha256:...``.

        Raises:
            NotFound: no such image on the build engine (rebuild the space).
            EngineUnavailable: the build engine or the registry failed.
        """
        image_id = self._image_id(image)
        with self._lock:
            found = self._pushed.get(image_id)
            if found is None:
                found = self._push_image(image, image_id)
                self._pushed[image_id] = found
            return found

    def _image_id(self, image: str) -> str:
        try:
            return str(self._client.api.inspect_image(image)["Id"])
        except ENGINE_ERRORS as exc:
            error = container_error(exc, f"reading image {image}", image=image)
            if isinstance(error, NotFound):
                error.hint = "rebuild the space: its image was removed or never built"
            raise error from exc

    def _push_image(self, image: str, image_id: str) -> str:
        repository = registry_repository(image)
        tag = image_id.removeprefix("sha256:")[:20]
        target = f"{self._push}/{repository}"
        doing = f"pushing {image} to {self._push}"
        api = self._client.api
        try:
            api.tag(image_id, target, tag)
            try:
                digest = pushed_digest(api.push(target, tag, stream=True, decode=True))
            finally:
                # the image keeps its own tags; this one would keep its layers after a cleanup
                api.remove_image(f"{target}:{tag}", noprune=True)
        except ENGINE_ERRORS as exc:
            error = container_error(exc, doing, image=image)
            error.hint = REGISTRY_HINT
            raise error from exc
        log.info("pushed %s as %s@%s", image, target, digest)
        return f"{self._pull}/{repository}@{digest}"
