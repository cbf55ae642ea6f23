"""Accounts over a real identity database in the test's folder, with an injected clock: users
and organizations share one namespace, the last admin stays, members and their roles, tokens
stored only as hashes, sessions that expire, sign-out ending every space pass, sign-up modes."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from spacehost.errors import Conflict, Forbidden, InvalidRequest, NotFound, Unauthorized
from spacehost.identity import Accounts, Role, Signup, Via
from spacehost.identity.accounts import SESSION_TTL_S

PASSWORD = "correct horse battery"


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def acc(tmp_path: Path, clock: Clock) -> Iterator[Accounts]:
    accounts = Accounts(tmp_path / "identity.db", "sh_operator", clock=clock)
    yield accounts
    accounts.close()


# -- users, organizations, members ---------------------------------------------------------


def test_users_and_organizations_share_one_namespace_whatever_the_case(acc: Accounts) -> None:
    acc.add_user("alice")
    acc.create_org("acme", "alice")
    for taken in ("alice", "ALICE", "acme"):
        with pytest.raises(Conflict):
            acc.create_org(taken, None)
        with pytest.raises(Conflict):
            acc.add_user(taken)
    assert (acc.namespace_kind("alice"), acc.namespace_kind("acme")) == ("user", "org")
    assert acc.namespace_kind("nobody") is None


def test_a_bad_name_or_short_password_is_refused(acc: Accounts) -> None:
    with pytest.raises(InvalidRequest):
        acc.add_user("-bad")
    with pytest.raises(InvalidRequest, match="too short"):
        acc.add_user("bob", password="short")


def test_the_last_admin_cannot_be_demoted_or_removed(acc: Accounts) -> None:
    acc.add_user("root", admin=True)
    with pytest.raises(Conflict, match="last admin"):
        acc.set_admin("root", False)
    with pytest.raises(Conflict, match="last admin"):
        acc.remove_user("root")
    acc.add_user("second", admin=True)
    assert not acc.set_admin("root", False).is_admin
    acc.remove_user("root")
    assert [u.name for u in acc.list_users()] == ["second"]


def test_the_first_admin_adopts_the_organizations_nobody_administers(acc: Accounts) -> None:
    assert acc.adopt_owners(["legacy", "legacy", "old"]) == ["legacy", "old"]
    assert acc.members("legacy") == []
    acc.add_user("root", admin=True)
    assert [(m.user, m.role) for m in acc.members("legacy")] == [("root", Role.ADMIN)]
    acc.add_user("later", admin=True)  # not the first: adopts nothing more
    assert [m.user for m in acc.members("old")] == ["root"]


def test_members_roles_and_an_organization_keeps_an_admin(acc: Accounts) -> None:
    for name in ("olga", "rita"):
        acc.add_user(name)
    acc.create_org("acme", "olga")
    acc.set_member("acme", "rita", Role.READ)
    assert acc.orgs_of("rita") == {"acme": Role.READ}
    acc.set_member("acme", "rita", Role.WRITE)
    assert acc.orgs_of("rita") == {"acme": Role.WRITE}
    with pytest.raises(Conflict, match="without an admin"):
        acc.set_member("acme", "olga", Role.WRITE)
    with pytest.raises(Conflict, match="without an admin"):
        acc.remove_member("acme", "olga")
    acc.remove_member("acme", "rita")
    with pytest.raises(NotFound):
        acc.remove_member("acme", "rita")
    with pytest.raises(NotFound):
        acc.set_member("acme", "ghost", Role.READ)
    acc.delete_org("acme")
    assert acc.orgs_of("olga") == {} and acc.namespace_kind("acme") is None


def test_removing_a_user_ends_their_tokens_sessions_and_memberships(acc: Accounts) -> None:
    acc.add_user("olga")
    acc.add_user("bob", password=PASSWORD)
    acc.create_org("acme", "olga")
    acc.set_member("acme", "bob", Role.WRITE)
    token = acc.create_token("bob", "ci", Role.WRITE).value
    sid, _ = acc.sign_in("bob", PASSWORD, "10.0.0.1")
    acc.remove_user("bob")
    assert acc.actor_for_token(token) is None
    assert acc.session(sid) is None
    assert [m.user for m in acc.members("acme")] == ["olga"]


# -- tokens --------------------------------------------------------------------------------


def test_the_database_never_holds_a_token_value(acc: Accounts, tmp_path: Path) -> None:
    acc.add_user("bob")
    value = acc.create_token("bob", "ci", Role.WRITE).value
    assert value.startswith("hf_") and len(value) == 37
    assert acc.actor_for_token(value) is not None
    files = sorted(tmp_path.glob("identity.db*"))
    stored = b"".join(f.read_bytes() for f in files)
    assert value.encode() not in stored and value[3:].encode() not in stored
    assert acc.list_tokens("bob")[0].shown == value[:7] + "…"
    assert stat.S_IMODE((tmp_path / "identity.db").stat().st_mode) == 0o600


def test_a_token_stands_for_its_user_with_its_role_until_revoked(acc: Accounts) -> None:
    acc.add_user("olga")
    acc.add_user("bob")
    acc.create_org("acme", "olga")
    acc.set_member("acme", "bob", Role.WRITE)
    read = acc.create_token("bob", "reader", Role.READ)
    who = acc.actor_for_token(read.value)
    assert who is not None
    assert (who.name, who.via, who.token_role, who.token_name) == (
        "bob",
        Via.TOKEN,
        Role.READ,
        "reader",
    )
    assert dict(who.orgs) == {"acme": Role.WRITE} and not who.writes
    with pytest.raises(NotFound):
        acc.revoke_token("olga", read.info.id)  # another user's token: as if it did not exist
    acc.revoke_token("bob", read.info.id)
    assert acc.actor_for_token(read.value) is None
    assert acc.actor_for_token("hf_" + "x" * 34) is None


def test_a_token_needs_a_name_and_a_read_or_write_role(acc: Accounts) -> None:
    acc.add_user("bob")
    with pytest.raises(InvalidRequest):
        acc.create_token("bob", "  ", Role.WRITE)
    with pytest.raises(InvalidRequest):
        acc.create_token("bob", "x", Role.ADMIN)
    with pytest.raises(NotFound):
        acc.create_token("ghost", "x", Role.WRITE)


def test_last_use_is_written_at_most_once_a_minute(acc: Accounts, clock: Clock) -> None:
    acc.add_user("bob")
    token = acc.create_token("bob", "ci", Role.WRITE).value
    assert acc.list_tokens("bob")[0].last_used_at is None
    start = clock.now
    acc.actor_for_token(token)
    clock.now = start + 59
    acc.actor_for_token(token)
    assert acc.list_tokens("bob")[0].last_used_at == start
    clock.now = start + 61
    acc.actor_for_token(token)
    assert acc.list_tokens("bob")[0].last_used_at == start + 61


def test_the_operator_token_is_admin_then_the_first_admins(acc: Accounts) -> None:
    before = acc.actor_for_token("sh_operator")
    assert before is not None
    assert (before.name, before.is_admin, before.via) == ("admin", True, Via.OPERATOR)
    acc.add_user("root", admin=True)
    after = acc.actor_for_token("sh_operator")
    assert after is not None and (after.name, after.is_admin) == ("root", True)


# -- sessions, passes, tickets -------------------------------------------------------------


def test_sign_in_checks_the_password(acc: Accounts) -> None:
    acc.add_user("bob", password=PASSWORD)
    acc.add_user("nopass")
    with pytest.raises(Unauthorized):
        acc.sign_in("bob", "wrong password", "10.0.0.1")
    with pytest.raises(Unauthorized):
        acc.sign_in("nopass", "", "10.0.0.2")
    sid, csrf = acc.sign_in("bob", PASSWORD, "10.0.0.3")
    found = acc.session(sid)
    assert found is not None
    who, same_csrf = found
    assert (who.name, who.via, who.token_role, same_csrf) == ("bob", Via.SESSION, None, csrf)


def test_a_session_expires_after_its_lifetime(acc: Accounts, clock: Clock) -> None:
    acc.add_user("bob")
    sid, _ = acc.new_session("bob")
    clock.now += SESSION_TTL_S - 1
    assert acc.session(sid) is not None
    clock.now += 1
    assert acc.session(sid) is None


def _pass(acc: Accounts, sid: str, space: str = "acme/demo") -> str:
    ticket = acc.issue_ticket(sid, space)
    value = acc.redeem_ticket(ticket, space)
    assert value is not None
    return value


def test_a_space_pass_reads_its_space_and_sign_out_ends_it(acc: Accounts) -> None:
    acc.add_user("bob")
    sid, _ = acc.new_session("bob")
    value = _pass(acc, sid)
    who = acc.space_pass(value)
    assert who is not None and (who.name, who.via, who.space) == (
        "bob",
        Via.SPACE_PASS,
        "acme/demo",
    )
    assert acc.session(value) is None  # a pass is not a session
    acc.sign_out(sid)
    assert acc.session(sid) is None
    assert acc.space_pass(value) is None


def test_a_ticket_expires_after_a_minute(acc: Accounts, clock: Clock) -> None:
    acc.add_user("bob")
    sid, _ = acc.new_session("bob")
    ticket = acc.issue_ticket(sid, "acme/demo")
    clock.now += 61
    assert acc.redeem_ticket(ticket, "acme/demo") is None


def test_a_tampered_ticket_or_one_for_another_space_is_refused(acc: Accounts) -> None:
    acc.add_user("bob")
    sid, _ = acc.new_session("bob")
    ticket = acc.issue_ticket(sid, "acme/demo")
    body, _, sig = ticket.partition(".")
    flipped = sig[:-1] + ("0" if sig[-1] != "0" else "1")
    assert acc.redeem_ticket(f"{body}.{flipped}", "acme/demo") is None
    other = acc.issue_ticket(sid, "acme/other").partition(".")[0]
    assert acc.redeem_ticket(f"{other}.{sig}", "acme/other") is None  # body swapped
    assert acc.redeem_ticket(ticket, "acme/other") is None
    assert acc.redeem_ticket("garbage", "acme/demo") is None
    assert acc.redeem_ticket(ticket, "acme/demo") is not None


def test_a_ticket_of_an_ended_session_makes_no_pass(acc: Accounts) -> None:
    acc.add_user("bob")
    sid, _ = acc.new_session("bob")
    ticket = acc.issue_ticket(sid, "acme/demo")
    acc.sign_out(sid)
    assert acc.redeem_ticket(ticket, "acme/demo") is None


# -- sign-up -------------------------------------------------------------------------------


def test_sign_up_is_closed_by_default(acc: Accounts) -> None:
    assert acc.signup() is Signup.CLOSED
    with pytest.raises(Forbidden, match="closed"):
        acc.register("eve", PASSWORD)


def test_open_sign_up_makes_a_plain_user(acc: Accounts) -> None:
    acc.set_signup(Signup.OPEN)
    user = acc.register("eve", PASSWORD, email="eve@example.org")
    assert (user.name, user.is_admin, user.has_password) == ("eve", False, True)
    with pytest.raises(InvalidRequest):
        acc.register("mallory", "short")


def test_invite_only_sign_up_takes_each_invite_once(acc: Accounts) -> None:
    acc.add_user("root", admin=True)
    acc.set_signup(Signup.INVITE)
    with pytest.raises(Forbidden, match="invite"):
        acc.register("eve", PASSWORD)
    code = acc.create_invite("root")
    assert acc.register("eve", PASSWORD, invite=code).name == "eve"
    with pytest.raises(Forbidden, match="invite"):
        acc.register("eve2", PASSWORD, invite=code)
