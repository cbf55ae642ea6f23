"""Per-space configuration: variables (public) and secrets (write-only, encrypted at rest).

Both live in the store's ``config`` table, keyed by (space, kind, key). A secret's value is
stored as Fernet ciphertext (:class:`~spacehost.store.cipher.SecretCipher`) and leaves this
module in plain text only through :meth:`SpaceConfig.secret_values`, which the lifecycle calls
to build a container's environment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from spacehost.domain import SpaceId
from spacehost.store.cipher import SecretCipher
from spacehost.store.db import Store

VARIABLE = "variable"
SECRET = "secret"
VOLUMES = "volumes"  # one row: the space's volumes as HF's JSON list (lifecycle/volumes.py)


@dataclass(frozen=True)
class ConfigEntry:
    """One variable or secret. ``value`` is None for secrets: they are never read out here."""

    key: str
    value: str | None
    description: str
    updated_at: float


class SpaceConfig:
    """Variables and secrets of spaces, in *store*, secrets encrypted with *cipher*."""

    def __init__(self, store: Store, cipher: SecretCipher):
        self.store = store
        self.cipher = cipher

    def _set(
        self, space: SpaceId, kind: str, key: str, stored: str, description: str | None
    ) -> ConfigEntry:
        now = self.store.now()
        with self.store.transaction() as db:
            # a value set without a description keeps the description it had
            db.execute(
                "INSERT INTO config (space, kind, key, value, description, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (space, kind, key) DO UPDATE SET "
                "value = excluded.value, updated_at = excluded.updated_at, description = "
                "CASE WHEN ? THEN excluded.description ELSE config.description END",
                (str(space), kind, key, stored, description or "", now, description is not None),
            )
        return self._entry(space, kind, key)

    def _entry(self, space: SpaceId, kind: str, key: str) -> ConfigEntry:
        rows = self.store.query(
            "SELECT key, value, description, updated_at FROM config "
            "WHERE space = ? AND kind = ? AND key = ?",
            (str(space), kind, key),
        )
        k, v, d, t = rows[0]
        return ConfigEntry(str(k), str(v) if kind == VARIABLE else None, str(d), float(t))

    def _list(self, space: SpaceId, kind: str) -> list[ConfigEntry]:
        rows = self.store.query(
            "SELECT key, value, description, updated_at FROM config "
            "WHERE space = ? AND kind = ? ORDER BY key",
            (str(space), kind),
        )
        return [
            ConfigEntry(str(k), str(v) if kind == VARIABLE else None, str(d), float(t))
            for k, v, d, t in rows
        ]

    def set_variable(
        self, space: SpaceId, key: str, value: str, description: str | None = None
    ) -> ConfigEntry:
        """Add or replace a variable; *description* None keeps the old description."""
        return self._set(space, VARIABLE, key, value, description)

    def set_secret(
        self, space: SpaceId, key: str, value: str, description: str | None = None
    ) -> ConfigEntry:
        """Add or replace a secret (stored encrypted); the entry returned has no value."""
        return self._set(space, SECRET, key, self.cipher.encrypt(value), description)

    def delete(self, space: SpaceId, kind: str, key: str) -> bool:
        """Remove a variable or secret; False when there was none."""
        with self.store.transaction() as db:
            cur = db.execute(
                "DELETE FROM config WHERE space = ? AND kind = ? AND key = ?",
                (str(space), kind, key),
            )
            return bool(cur.rowcount)

    def variables(self, space: SpaceId) -> list[ConfigEntry]:
        return self._list(space, VARIABLE)

    def secrets(self, space: SpaceId) -> list[ConfigEntry]:
        """The space's secrets: names, descriptions and times, never values."""
        return self._list(space, SECRET)

    def secret_values(self, space: SpaceId) -> dict[str, str]:
        """The decrypted secrets of *space*, for its container's environment only."""
        rows = self.store.query(
            "SELECT key, value FROM config WHERE space = ? AND kind = ? ORDER BY key",
            (str(space), SECRET),
        )
        return {str(k): self.cipher.decrypt(str(v), name=f"secret {k} of {space}") for k, v in rows}

    def environment(self, space: SpaceId) -> dict[str, str]:
        """Variables and secrets of *space* as environment variables (a secret wins over a
        variable of the same name, as on Hugging Face)."""
        env = {e.key: e.value or "" for e in self.variables(space)}
        env.update(self.secret_values(space))
        return env

    def volumes(self, space: SpaceId) -> list[dict[str, Any]]:
        """The volumes set for *space* (HF's JSON objects; [] when none)."""
        rows = self.store.query(
            "SELECT value FROM config WHERE space = ? AND kind = ? AND key = ?",
            (str(space), VOLUMES, VOLUMES),
        )
        found: list[dict[str, Any]] = json.loads(str(rows[0][0])) if rows else []
        return found

    def set_volumes(self, space: SpaceId, volumes: list[dict[str, Any]]) -> None:
        """Replace *space*'s volumes (none: the row goes)."""
        if not volumes:
            self.delete(space, VOLUMES, VOLUMES)
            return
        self._set(space, VOLUMES, VOLUMES, json.dumps(volumes), None)

    def copy_variables(self, source: SpaceId, target: SpaceId) -> None:
        for e in self.variables(source):
            self.set_variable(target, e.key, e.value or "", e.description)
