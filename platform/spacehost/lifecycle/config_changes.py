"""Variables, secrets and duplicates: set or delete a space's config (restarting it when it
runs, so the app sees the change) and copy a space to a new one.

Plain functions over the :class:`~spacehost.lifecycle.deploy.Deployer` (the parts a deploy
uses); ``Platform``'s methods of the same names are the public surface.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from spacehost.domain import Sdk, SpaceId, Stage
from spacehost.errors import Conflict, ManifestInvalid, NotFound
from spacehost.lifecycle import actions
from spacehost.lifecycle.actions import PushResult
from spacehost.lifecycle.deploy import Deployer
from spacehost.lifecycle.envkeys import check_description, check_key, check_value
from spacehost.store import SECRET, VARIABLE, ConfigEntry

# a change of variables or secrets restarts a space in these stages; in BUILDING and
# RUNNING_BUILDING the deploy under way reads them when it starts the container
RESTART_ON_CONFIG = (
    Stage.RUNNING,
    Stage.RUNNING_APP_STARTING,
    Stage.APP_STARTING,
    Stage.RUNTIME_ERROR,
)


@dataclass(frozen=True)
class ConfigChange:
    """What setting or deleting a variable or secret did."""

    entry: ConfigEntry | None  # None after a delete
    restarting: bool


@dataclass(frozen=True)
class ConfigItem:
    """A variable or secret to give a space, as a request sent it (checked when used)."""

    kind: str  # VARIABLE or SECRET
    key: object
    value: object
    description: object = None


@dataclass(frozen=True)
class DuplicateResult:
    push: PushResult
    variables: tuple[str, ...]
    secrets_needing_values: tuple[str, ...]


def set_config(
    d: Deployer, space: SpaceId, kind: str, key: object, value: object, description: object = None
) -> ConfigChange:
    """Set a variable (*kind* ``VARIABLE``) or secret (``SECRET``) of *space* and restart
    it if it runs, so the app sees the new value.

    Raises:
        SpaceNotFound: no such space.
        InvalidRequest, UploadTooLarge: a bad key, value or description.
    """
    if kind not in (VARIABLE, SECRET):
        raise ValueError(f"unknown config kind {kind!r}")
    d.ctx.store.get_space(space)
    k = check_key(key)
    v, desc = check_value(k, value), check_description(description)
    setter = d.ctx.config.set_secret if kind == SECRET else d.ctx.config.set_variable
    entry = setter(space, k, v, desc)
    restarting = restart_for_config(d, space, f"{kind} {k} set")
    return ConfigChange(entry, restarting)


def delete_config(d: Deployer, space: SpaceId, kind: str, key: object) -> ConfigChange:
    """Remove a variable or secret of *space* (restarting it if it runs).

    Raises:
        SpaceNotFound: no such space. NotFound: no such key.
    """
    d.ctx.store.get_space(space)
    if not isinstance(key, str) or not d.ctx.config.delete(space, kind, key):
        raise NotFound(
            f"{space} has no {kind} {key!r}", hint=f"list them with `spacehost {kind}s ls {space}`"
        )
    return ConfigChange(None, restart_for_config(d, space, f"{kind} {key} deleted"))


def restart_for_config(d: Deployer, space: SpaceId, what: str) -> bool:
    """Record the change *what*; restart *space* from its image when it runs (True)."""
    rec = d.ctx.store.get_space(space)
    if (
        not rec.revision
        or rec.desired != "running"
        or rec.stage not in RESTART_ON_CONFIG
        or rec.manifest.get("sdk") == Sdk.STATIC.value
    ):
        d.ctx.store.add_event(space, "config", what)
        return False
    d.crashes.cancel(space)
    d.ctx.store.add_event(space, "config", f"{what}; restarting")
    d.submit(space, rec.revision, reuse_image=True)
    return True


def duplicate(
    d: Deployer, source: SpaceId, target: SpaceId, config: Sequence[ConfigItem] = ()
) -> DuplicateResult:
    """Copy *source*'s current revision and variables to a new space *target*, give it the
    variables and secrets of *config* (Hugging Face's ``duplicate_repo(space_secrets=...,
    space_variables=...)``; a variable there wins over the copied one) and deploy it. Other
    secrets are not copied: their names come back as needing values.

    Raises:
        SpaceNotFound: no *source*. Conflict: *target* exists.
        ManifestInvalid: *source* has no revision.
        InvalidRequest, UploadTooLarge: a bad key, value or description in *config* (nothing
        is created then).
    """
    rec = d.ctx.store.get_space(source)
    if d.ctx.store.find_space(target) is not None:
        raise Conflict(
            f"space {target} already exists", hint="choose another name, or delete it first"
        )
    if not rec.revision:
        raise ManifestInvalid(f"space {source} has no pushed revision", hint="push it first")
    checked = [_checked(item) for item in config]
    files = d.ctx.files.load(rec.revision)
    # variables and secrets first: the new space's first container must start with them
    d.ctx.config.copy_variables(source, target)
    for kind, key, value, desc in checked:
        setter = d.ctx.config.set_secret if kind == SECRET else d.ctx.config.set_variable
        setter(target, key, value, desc)
    origin = actions.PushOrigin(message=f"Duplicate from {source}")
    result = actions.push(d, target, files, origin)
    d.ctx.store.add_event(target, "duplicate", f"duplicated from {source}")
    given = {key for kind, key, _, _ in checked if kind == SECRET}
    return DuplicateResult(
        result,
        tuple(e.key for e in d.ctx.config.variables(target)),
        tuple(e.key for e in d.ctx.config.secrets(source) if e.key not in given),
    )


def _checked(item: ConfigItem) -> tuple[str, str, str, str | None]:
    """*item*'s kind, key, value and description, checked as set_config checks them."""
    if item.kind not in (VARIABLE, SECRET):
        raise ValueError(f"unknown config kind {item.kind!r}")
    key = check_key(item.key)
    return item.kind, key, check_value(key, item.value), check_description(item.description)
