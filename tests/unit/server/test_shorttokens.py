"""The read tokens a Swarm hub-cache fill gets (server/shorttokens.py): the space owner's, read
only, expiring, and dead once revoked; none for a namespace without an account."""

from __future__ import annotations

from pathlib import Path

from spacehost.identity import Accounts
from spacehost.server.shorttokens import ReadTokens


def test_a_fill_token_reads_as_its_owner_expires_and_is_revoked(tmp_path: Path) -> None:
    now = [1000.0]
    acc = Accounts(tmp_path / "identity.db", clock=lambda: now[0])
    acc.add_user("alice")
    tokens = ReadTokens(acc)
    issued = tokens.issue("alice", "hub-fill-alice-tiny", 60)
    assert issued is not None
    value, token_id = issued
    actor = acc.actor_for_token(value)
    assert actor is not None and actor.name == "alice" and not actor.writes
    tokens.revoke(token_id)
    assert acc.actor_for_token(value) is None

    other = tokens.issue("alice", "hub-fill-alice-tiny", 60)
    assert other is not None
    now[0] += 61
    assert acc.actor_for_token(other[0]) is None


def test_a_namespace_without_an_account_gets_no_token(tmp_path: Path) -> None:
    assert ReadTokens(Accounts(tmp_path / "identity.db")).issue("nobody", "hub-fill-x", 60) is None
