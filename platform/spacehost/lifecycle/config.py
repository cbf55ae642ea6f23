"""Variables, secrets and duplicates: set or delete a space's config (restarting it when it
runs, so the app sees the change) and copy a space to a new one.

Plain functions over the :class:`~spacehost.lifecycle.platform.Platform` they serve; the
platform's methods of the same names are the public surface.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from spacehost.domain import Sdk, SpaceId, Stage
from spacehost.errors import Conflict, ManifestInvalid, NotFound
from spacehost.lifecycle.envkeys import check_description, check_key, check_value
from spacehost.store import SECRET, VARIABLE, ConfigEntry

if TYPE_CHECKING:
    from spacehost.lifecycle.platform import Platform, PushResult

# a change of variables or secrets restarts a space in these stages; in BUILDING and
# RUNNING_BUILDING the deploy under way reads them when it starts the container
RESTART_ON_CONFIG = (Stage.RUNNING, Stage.RUNNING_APP_STARTING, Stage.APP_STARTING,
                     Stage.RUNTIME_ERROR)


@dataclass(frozen=True)
class ConfigChange:
    """What setting or deleting a variable or secret did."""

    entry: ConfigEntry | None  # None after a delete
    restarting: bool


@dataclass(frozen=True)
class DuplicateResult:
    push: PushResult
    variables: tuple[str, ...]
    secrets_needing_values: tuple[str, ...]


def set_config(p: Platform, space: SpaceId, kind: str, key: object, value: object,
               description: object = None) -> ConfigChange:
    """See :meth:`Platform.set_config`."""
    if kind not in (VARIABLE, SECRET):
        raise ValueError(f"unknown config kind {kind!r}")
    p.store.get_space(space)
    k = check_key(key)
    v, d = check_value(k, value), check_description(description)
    setter = p.config.set_secret if kind == SECRET else p.config.set_variable
    entry = setter(space, k, v, d)
    restarting = restart_for_config(p, space, f"{kind} {k} set")
    return ConfigChange(entry, restarting)


def delete_config(p: Platform, space: SpaceId, kind: str, key: object) -> ConfigChange:
    """See :meth:`Platform.delete_config`."""
    p.store.get_space(space)
    if not isinstance(key, str) or not p.config.delete(space, kind, key):
        raise NotFound(f"{space} has no {kind} {key!r}",
                       hint=f"list them with `spacehost {kind}s ls {space}`")
    return ConfigChange(None, restart_for_config(p, space, f"{kind} {key} deleted"))


def restart_for_config(p: Platform, space: SpaceId, what: str) -> bool:
    """Record the change *what*; restart *space* from its image when it runs (True)."""
    rec = p.store.get_space(space)
    if (not rec.revision or rec.desired != "running" or rec.stage not in RESTART_ON_CONFIG
            or rec.manifest.get("sdk") == Sdk.STATIC.value):
        p.store.add_event(space, "config", what)
        return False
    p.crashes.cancel(space)
    p.store.add_event(space, "config", f"{what}; restarting")
    p.submit_deploy(space, rec.revision, reuse_image=True)
    return True


def duplicate(p: Platform, source: SpaceId, target: SpaceId) -> DuplicateResult:
    """See :meth:`Platform.duplicate`."""
    rec = p.store.get_space(source)
    if p.store.find_space(target) is not None:
        raise Conflict(f"space {target} already exists",
                       hint="choose another name, or delete it first")
    if not rec.revision:
        raise ManifestInvalid(f"space {source} has no pushed revision", hint="push it first")
    files = p.files.load(rec.revision)
    # variables first: the new space's first container must start with them
    p.config.copy_variables(source, target)
    result = p.push(target, files)
    p.store.add_event(target, "duplicate", f"duplicated from {source}")
    return DuplicateResult(
        result, tuple(e.key for e in p.config.variables(target)),
        tuple(e.key for e in p.config.secrets(source)))
