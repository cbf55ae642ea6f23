"""Platforms for unit tests of the lifecycle, the API and the pages: a real store and revision
files in the test's folder over FakeBackend and FakeBuilder (or the parts a test hands in).

``platform_in`` is the usual fixture body::

    backend, builder = FakeBackend(), FakeBuilder()
    with platform_in(tmp_path, backend, builder, clock=Clock()) as p:
        yield p, backend, builder

Keyword options go to :class:`Platform` (``clock``, ``timer``, ``hub``, ``gpus``,
``engine_probe``, ``wall_clock``, ``activity``, ...); settings default to ``fake_settings``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from spacehost.lifecycle import Platform
from spacehost.lifecycle.context import Builder
from spacehost.runtime.base import RuntimeBackend
from spacehost.settings import Settings
from spacehost.store import RevisionFiles, Store
from tests.fakes import FakeBackend, FakeBuilder, OutageBackend

# A fake app answers at once; a test that waits for a health check fails in seconds, not minutes.
STARTUP_TIMEOUT_S = 3.0
FOLLOWER_END_S = 5.0  # a run-log follower of a removed fake container ends in milliseconds


def fake_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings for a platform in *data_dir*, with a short startup timeout; *overrides* win."""
    values: dict[str, Any] = {"startup_timeout_s": STARTUP_TIMEOUT_S, **overrides}
    return Settings(data_dir=data_dir, **values)


def new_platform(
    data_dir: Path,
    runtime: RuntimeBackend | None = None,
    builder: Builder | None = None,
    *,
    settings: Settings | None = None,
    **options: Any,
) -> Platform:
    """A platform with its own store and revision files in *data_dir* (laid out as
    ``spacehost up`` lays them out), over *runtime* and *builder* (fakes when omitted)."""
    return Platform(
        settings or fake_settings(data_dir),
        Store(data_dir / "spacehost.db"),
        RevisionFiles(data_dir / "revisions"),
        builder or FakeBuilder(),
        runtime or FakeBackend(),
        **options,
    )


def restart(platform: Platform, runtime: RuntimeBackend | None = None, **options: Any) -> Platform:
    """A new platform over *platform*'s settings, store, files, builder and runtime (or
    *runtime*): the control plane started again while the engine and its containers stayed."""
    return Platform(
        platform.settings,
        platform.store,
        platform.files,
        platform.builder,
        runtime or platform.runtime,
        **options,
    )


def shut_down(platform: Platform) -> None:
    """Close *platform* and remove what its fake engine still runs (an engine in an outage is
    started again first, so that its containers' servers stop)."""
    platform.close()
    runtime = platform.runtime
    if isinstance(runtime, OutageBackend):
        runtime.start_engine()
    if isinstance(runtime, FakeBackend):
        for container_id in list(runtime.containers):
            runtime.remove(container_id)


@contextlib.contextmanager
def platform_in(
    data_dir: Path,
    runtime: RuntimeBackend | None = None,
    builder: Builder | None = None,
    *,
    settings: Settings | None = None,
    **options: Any,
) -> Iterator[Platform]:
    """:func:`new_platform`, shut down (:func:`shut_down`) when the block ends, its store
    closed (a test process makes thousands: each would keep its database's files open)."""
    platform = new_platform(data_dir, runtime, builder, settings=settings, **options)
    try:
        yield platform
    finally:
        shut_down(platform)
        for follower in list(platform.ctx.followers.values()):
            follower.join(FOLLOWER_END_S)  # its container is gone: its log ends
        platform.store.close()
