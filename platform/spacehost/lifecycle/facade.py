"""What the API and the pages see of the platform: its commands, its read side and its settings.

``Facade`` is a protocol that ``Platform`` (platform.py) satisfies; the control plane's
application state holds the platform under this type (``appkeys.PLATFORM``), so a handler can
change a space only through a command (push, restart, pause, ...), which keeps the stage machine,
the route table and the locks in step, and read only through ``queries`` (queries.py). The
store, the revision folders and the lifecycle's parts are not part of it: mypy refuses
``platform.store`` in api/ and web/, and an import-linter contract keeps them off ``Platform``
itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from spacehost.domain import SpaceId
from spacehost.lifecycle.actions import PLATFORM_PUSH, PushOrigin, PushResult
from spacehost.lifecycle.config_changes import ConfigChange, ConfigItem, DuplicateResult
from spacehost.lifecycle.hardware_offer import Flavor
from spacehost.lifecycle.queries import SpaceQueries
from spacehost.lifecycle.volumes import SpaceVolume
from spacehost.runtime.base import DiskUsage
from spacehost.settings import Settings


class IdleLoop(Protocol):
    """The sleeper (and the replicas' watch) as the control plane starts it (with the
    application)."""

    def start(self) -> None: ...


class Facade(Protocol):
    """The platform as api/ and web/ use it (each method may block: call it in a thread)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def queries(self) -> SpaceQueries: ...

    @property
    def sleeper(self) -> IdleLoop: ...

    @property
    def replica_routes(self) -> IdleLoop: ...

    def push(
        self,
        space: SpaceId,
        files: Mapping[str, bytes],
        origin: PushOrigin = PLATFORM_PUSH,
        *,
        hot_reload: bool = False,
    ) -> PushResult: ...

    def restart(self, space: SpaceId, *, factory: bool = False) -> None: ...

    def delete(self, space: SpaceId) -> None: ...

    def pause(self, space: SpaceId) -> None: ...

    def set_private(self, space: SpaceId, private: bool) -> None: ...

    def is_private(self, space: SpaceId) -> bool: ...

    def set_sleep_time(self, space: SpaceId, seconds: object) -> int | None: ...

    def wake(self, space: SpaceId) -> bool: ...

    def runtime_info(self, space: SpaceId) -> dict[str, Any]: ...

    def disk_usage(self, space: SpaceId) -> list[DiskUsage]: ...

    def gpu_status(self, space: SpaceId | None = None) -> dict[str, Any]: ...

    def hardware_flavors(self) -> list[Flavor]: ...

    def request_hardware(self, space: SpaceId, flavor: object) -> None: ...

    def set_config(
        self, space: SpaceId, kind: str, key: object, value: object, description: object = None
    ) -> ConfigChange: ...

    def delete_config(self, space: SpaceId, kind: str, key: object) -> ConfigChange: ...

    def volumes(self, space: SpaceId) -> list[SpaceVolume]: ...

    def set_volumes(self, space: SpaceId, volumes: Sequence[SpaceVolume]) -> bool: ...

    def duplicate(
        self, source: SpaceId, target: SpaceId, config: Sequence[ConfigItem] = ()
    ) -> DuplicateResult: ...
