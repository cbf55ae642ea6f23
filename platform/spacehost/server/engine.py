"""Connecting to the Docker Engine, with one clear error when it is not there."""

from __future__ import annotations

import docker
import docker.errors
import requests.exceptions

from spacehost.errors import EngineUnavailable
from spacehost.settings import Settings


def connect(settings: Settings) -> docker.DockerClient:
    """A client for the configured engine, checked with a ping.

    Raises:
        EngineUnavailable: no engine answers at the configured address.
    """
    try:
        client = (docker.DockerClient(base_url=settings.docker_url, timeout=300)
                  if settings.docker_url else docker.from_env(timeout=300))
        client.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        where = settings.docker_url or "DOCKER_HOST or /var/run/docker.sock"
        raise EngineUnavailable(
            f"cannot reach a Docker Engine at {where} ({exc.__class__.__name__})",
            hint="start it (`dockerd &`, or `bash scripts/setup.sh` installs and starts one), "
            "or point SPACEHOST_DOCKER_URL at it",
        ) from exc
    return client
