"""spacehost.dockerengine: the one boundary to the Docker Engine (below builder and runtime).

It owns connecting to the engine (:mod:`~spacehost.dockerengine.connection`) and reading what
its failures mean (:mod:`~spacehost.dockerengine.failures`): one function,
:func:`~spacehost.dockerengine.failures.classify`, decides whether the engine could not be
reached (``EngineUnavailable`` everywhere, with one message) or answered a call with an error or
stopped answering (what that means is the caller's reading: a container call's or a build's).
Builder, runtime and the composition root translate the Docker SDK's and ``requests``'
exceptions only through it (:func:`~spacehost.dockerengine.translation.translated`).
"""

from spacehost.dockerengine.connection import ENGINE_TIMEOUT_S, connect, probe
from spacehost.dockerengine.failures import (
    ENGINE_ERRORS,
    WAIT_EXPIRED,
    Failure,
    build_error,
    classify,
    container_error,
    describe,
    manager_error,
    no_engine,
    unreachable,
)
from spacehost.dockerengine.translation import translated

__all__ = [
    "ENGINE_ERRORS",
    "ENGINE_TIMEOUT_S",
    "WAIT_EXPIRED",
    "Failure",
    "build_error",
    "classify",
    "connect",
    "container_error",
    "describe",
    "manager_error",
    "no_engine",
    "probe",
    "translated",
    "unreachable",
]
