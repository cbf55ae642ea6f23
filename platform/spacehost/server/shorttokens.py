"""Short-lived tokens for work the platform starts on a user's behalf, from the identity store:
a job's write token (server/jobs.py) and the read token of a task that fills a hub cache on a
Swarm node (runtime/swarm_hubcache.py). Each expires and is revoked as soon as its work ends;
the operator's own token never goes into a container or a service spec."""

from __future__ import annotations

from spacehost.errors import SpacehostError
from spacehost.identity import Accounts
from spacehost.identity.records import Role


class ShortTokens:
    """Tokens of one *role* made for one piece of work each."""

    def __init__(self, accounts: Accounts, role: Role):
        self._accounts, self._role = accounts, role

    def issue(self, user: str, purpose: str, ttl_s: int) -> tuple[str, int] | None:
        """A token of *user* named *purpose* (value, id); None when *user* has no account
        (the operator's own namespace: its work gets no token)."""
        try:
            made = self._accounts.create_token(user, purpose, self._role, ttl_s=ttl_s)
        except SpacehostError:
            return None
        return made.value, made.info.id

    def revoke(self, token_id: int) -> None:
        row = self._accounts.db.one("SELECT user FROM tokens WHERE id=?", (token_id,))
        if row is not None:
            self._accounts.revoke_token(row["user"], token_id)


class ReadTokens(ShortTokens):
    """Read tokens for the hub-cache fills (implements ``HubTokens``)."""

    def __init__(self, accounts: Accounts):
        super().__init__(accounts, Role.READ)
