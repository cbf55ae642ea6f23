"""Connecting to the Docker Engine: the one place that makes a client and says, in the one
message style, when there is no engine to talk to."""

from __future__ import annotations

import docker

from spacehost.dockerengine.failures import ENGINE_ERRORS, no_engine
from spacehost.settings import Settings

# Seconds a client waits for an answer to one call (builds stream, so they answer as they go).
ENGINE_TIMEOUT_S = 300


def _open_client(settings: Settings, timeout: float = ENGINE_TIMEOUT_S) -> docker.DockerClient:
    """A client for the configured engine (``SPACEHOST_DOCKER_URL``, else docker's own
    environment: ``DOCKER_HOST`` or the default socket); not checked.

    Raises:
        EngineUnavailable: the client cannot be made (the SDK asks the engine for its API
            version, and none answers well).
    """
    try:
        if settings.docker_url:
            return docker.DockerClient(base_url=settings.docker_url, timeout=timeout)
        return docker.from_env(timeout=timeout)
    except ENGINE_ERRORS as exc:
        raise no_engine(exc, f"connecting to {_where(settings)}") from exc


def connect(settings: Settings, timeout: float = ENGINE_TIMEOUT_S) -> docker.DockerClient:
    """A client for the configured engine (``SPACEHOST_DOCKER_URL``, else
    ``DOCKER_HOST`` or the default socket), checked with a ping.

    Raises:
        EngineUnavailable: no engine answers at the configured address (or it answers the
            ping with an error, or not within *timeout* seconds).
    """
    client = _open_client(settings, timeout)
    try:
        client.ping()
    except ENGINE_ERRORS as exc:
        client.close()
        raise no_engine(exc, f"connecting to {_where(settings)}") from exc
    return client


def probe(client: docker.DockerClient) -> None:
    """Ask the engine whether it answers (the engine watch's probe).

    Raises:
        EngineUnavailable: it does not (unreachable, timed out, or an error answer).
    """
    try:
        client.ping()
    except ENGINE_ERRORS as exc:
        raise no_engine(exc, "pinging the Docker Engine") from exc


def _where(settings: Settings) -> str:
    return settings.docker_url or "DOCKER_HOST or /var/run/docker.sock"
