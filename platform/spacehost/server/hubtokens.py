"""Read tokens for the tasks that fill hub caches on Swarm nodes (runtime/swarm_hubcache.py):
a read token of the space's owner, valid an hour at most and revoked as soon as the fill ends.
The operator's own token never goes into a service spec."""

from __future__ import annotations

from spacehost.errors import SpacehostError
from spacehost.identity import Accounts
from spacehost.identity.records import Role


class ReadTokens:
    """Short-lived read tokens from the identity store (implements ``HubTokens``)."""

    def __init__(self, accounts: Accounts):
        self._accounts = accounts

    def issue(self, user: str, purpose: str, ttl_s: int) -> tuple[str, int] | None:
        """A read token of *user* named *purpose*; None when *user* has no account (the
        operator's own spaces: their fills read public repos only)."""
        try:
            made = self._accounts.create_token(user, purpose, Role.READ, ttl_s=ttl_s)
        except SpacehostError:
            return None
        return made.value, made.info.id

    def revoke(self, token_id: int) -> None:
        row = self._accounts.db.one("SELECT user FROM tokens WHERE id=?", (token_id,))
        if row is not None:
            self._accounts.revoke_token(row["user"], token_id)
