"""Accounts: the identity store's one service. Users, organizations and their members, tokens,
sign-in sessions and per-space passes, which repos are private, sign-up; and turning a
credential into an :class:`~spacehost.identity.actor.Actor`.

The platform's own token (``SPACEHOST_TOKEN`` or ``DATA/token``, the only credential of earlier
versions) keeps working: it is the first admin's token (``Via.OPERATOR``), and until an admin
exists it acts as a platform admin named ``admin``.
"""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import MappingProxyType

from spacehost.domain import check_name_part
from spacehost.errors import (
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    TooManyAttempts,
    Unauthorized,
)
from spacehost.identity import credentials, passwords, tickets
from spacehost.identity.actor import Actor, Via
from spacehost.identity.db import IdentityDb, Row
from spacehost.identity.records import Member, NewToken, Org, Role, Signup, TokenInfo, User
from spacehost.identity.throttle import Throttle

SESSION_TTL_S = 14 * 24 * 3600
OPERATOR_NAME = "admin"  # the operator token's name until a first admin exists
_LAST_USED_EVERY_S = 60.0
_TOKEN_ROLES = frozenset({Role.READ, Role.WRITE})


def _user(row: Row) -> User:
    return User(
        row["name"],
        row["fullname"],
        row["email"],
        bool(row["is_admin"]),
        row["created_at"],
        bool(row["password"]),
    )


def _token(row: Row) -> TokenInfo:
    return TokenInfo(
        row["id"],
        row["user"],
        row["name"],
        Role(row["role"]),
        row["created_at"],
        row["last_used_at"],
        row["shown"],
    )


def check_password(password: str) -> str:
    if len(password) < passwords.MIN_LENGTH:
        raise InvalidRequest(
            f"the password is too short ({len(password)} characters)",
            hint=f"use at least {passwords.MIN_LENGTH} characters",
        )
    return password


class Accounts:
    """The identity service over ``DATA/identity.db``.

    Args:
        path: the database file.
        operator_token: the platform's own token (always an admin's).
        clock: wall-clock seconds (tests pass their own).
    """

    def __init__(
        self, path: Path, operator_token: str = "", clock: Callable[[], float] = time.time
    ) -> None:
        self.db = IdentityDb(path)
        self.clock = clock
        self._operator = operator_token
        self.throttle = Throttle()
        row = self.db.one("SELECT value FROM platform WHERE key='ticket_key'")
        if row is None:
            self.db.run(
                "INSERT OR IGNORE INTO platform (key, value) VALUES ('ticket_key', ?)",
                (secrets.token_hex(32),),
            )
            row = self.db.one("SELECT value FROM platform WHERE key='ticket_key'")
        assert row is not None
        self._ticket_key = bytes.fromhex(row["value"])

    def close(self) -> None:
        self.db.close()

    # -- namespaces -------------------------------------------------------------------------

    def namespace_kind(self, name: str) -> str | None:
        """``"user"``, ``"org"`` or None for a name nobody holds."""
        if self.db.one("SELECT 1 FROM users WHERE name=?", (name,)):
            return "user"
        if self.db.one("SELECT 1 FROM orgs WHERE name=?", (name,)):
            return "org"
        return None

    def _free_name(self, name: str, what: str) -> str:
        check_name_part(name, what)
        if self.namespace_kind(name) is not None:
            raise Conflict(
                f"the name {name!r} is taken (a user or an organization has it)",
                hint="user and organization names share one namespace: choose another",
            )
        return name

    # -- users ------------------------------------------------------------------------------

    def add_user(
        self,
        name: str,
        *,
        password: str = "",
        fullname: str = "",
        email: str = "",
        admin: bool = False,
    ) -> User:
        """Create a user; the first admin also becomes the operator token's user and the admin
        of every organization without one (the owners of an earlier version's spaces)."""
        self._free_name(name, "user name")
        stored = passwords.hash_password(check_password(password)) if password else ""
        first_admin = admin and self.first_admin() is None
        self.db.run(
            "INSERT INTO users (name, fullname, email, is_admin, password, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (name, fullname, email, int(admin), stored, self.clock()),
        )
        if first_admin:
            self._adopt_orphan_orgs(name)
        return self.get_user(name)

    def get_user(self, name: str) -> User:
        row = self.db.one("SELECT * FROM users WHERE name=?", (name,))
        if row is None:
            raise NotFound(f"no user {name!r}", hint="`spacehost users ls` lists them")
        return _user(row)

    def list_users(self) -> list[User]:
        return [_user(r) for r in self.db.query("SELECT * FROM users ORDER BY name")]

    def first_admin(self) -> str | None:
        row = self.db.one("SELECT name FROM users WHERE is_admin=1 ORDER BY created_at, name")
        return str(row["name"]) if row else None

    def set_password(self, name: str, password: str) -> None:
        self.get_user(name)
        stored = passwords.hash_password(check_password(password))
        self.db.run("UPDATE users SET password=? WHERE name=?", (stored, name))

    def set_admin(self, name: str, admin: bool) -> User:
        user = self.get_user(name)
        if user.is_admin and not admin and self._admins() == 1:
            raise Conflict(f"{name} is the last admin", hint="make another user an admin first")
        self.db.run("UPDATE users SET is_admin=? WHERE name=?", (int(admin), name))
        return self.get_user(name)

    def _admins(self) -> int:
        row = self.db.one("SELECT COUNT(*) AS n FROM users WHERE is_admin=1")
        return int(row["n"]) if row else 0

    def remove_user(self, name: str) -> None:
        user = self.get_user(name)
        if user.is_admin and self._admins() == 1:
            raise Conflict(f"{name} is the last admin", hint="make another user an admin first")
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM users WHERE name=?", (name,))
            conn.execute("DELETE FROM tokens WHERE user=?", (name,))
            conn.execute("DELETE FROM sessions WHERE user=?", (name,))
            conn.execute("DELETE FROM members WHERE user=?", (name,))

    # -- organizations ----------------------------------------------------------------------

    def create_org(self, name: str, owner: str | None, fullname: str = "") -> Org:
        """Create an organization; *owner* (a user) becomes its first ``admin`` member."""
        self._free_name(name, "organization name")
        if owner is not None:
            self.get_user(owner)
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO orgs (name, fullname, created_at) VALUES (?, ?, ?)",
                (name, fullname, self.clock()),
            )
            if owner is not None:
                conn.execute(
                    "INSERT INTO members (org, user, role) VALUES (?, ?, ?)",
                    (name, owner, Role.ADMIN.value),
                )
        return self.get_org(name)

    def get_org(self, name: str) -> Org:
        row = self.db.one("SELECT * FROM orgs WHERE name=?", (name,))
        if row is None:
            raise NotFound(f"no organization {name!r}", hint="`spacehost orgs ls` lists them")
        return Org(row["name"], row["fullname"], row["created_at"])

    def list_orgs(self) -> list[Org]:
        rows = self.db.query("SELECT * FROM orgs ORDER BY name")
        return [Org(r["name"], r["fullname"], r["created_at"]) for r in rows]

    def members(self, org: str) -> list[Member]:
        self.get_org(org)
        rows = self.db.query("SELECT * FROM members WHERE org=? ORDER BY user", (org,))
        return [Member(r["org"], r["user"], Role(r["role"])) for r in rows]

    def set_member(self, org: str, user: str, role: Role) -> Member:
        self.get_org(org)
        self.get_user(user)
        current = self._member_role(org, user)
        if current is Role.ADMIN and role is not Role.ADMIN:
            self._keep_an_admin(org)
        self.db.run(
            "INSERT INTO members (org, user, role) VALUES (?, ?, ?) "
            "ON CONFLICT (org, user) DO UPDATE SET role=excluded.role",
            (org, user, role.value),
        )
        return Member(self.get_org(org).name, self.get_user(user).name, role)

    def remove_member(self, org: str, user: str) -> None:
        if self._member_role(org, user) is None:
            raise NotFound(
                f"{user} is not a member of {org}", hint=f"`spacehost orgs members {org}`"
            )
        if self._member_role(org, user) is Role.ADMIN:
            self._keep_an_admin(org)
        self.db.run("DELETE FROM members WHERE org=? AND user=?", (org, user))

    def _member_role(self, org: str, user: str) -> Role | None:
        row = self.db.one("SELECT role FROM members WHERE org=? AND user=?", (org, user))
        return Role(row["role"]) if row else None

    def _keep_an_admin(self, org: str) -> None:
        rows = self.db.query("SELECT 1 FROM members WHERE org=? AND role='admin'", (org,))
        if len(rows) <= 1:
            raise Conflict(
                f"that would leave {org} without an admin",
                hint="give another member the admin role first",
            )

    def orgs_of(self, user: str) -> dict[str, Role]:
        rows = self.db.query(
            "SELECT o.name AS org, m.role AS role FROM members m JOIN orgs o ON o.name = m.org "
            "WHERE m.user=? ORDER BY o.name",
            (user,),
        )
        return {r["org"]: Role(r["role"]) for r in rows}

    def delete_org(self, name: str) -> None:
        self.get_org(name)
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM orgs WHERE name=?", (name,))
            conn.execute("DELETE FROM members WHERE org=?", (name,))

    def adopt_owners(self, owners: Iterable[str]) -> list[str]:
        """Make every owner name that no account holds an organization (an earlier version's
        spaces and repos keep their namespace), owned by the first admin when there is one.
        Returns the organizations made."""
        made = []
        admin = self.first_admin()
        for owner in sorted(set(owners)):
            if self.namespace_kind(owner) is None:
                self.create_org(owner, admin)
                made.append(owner)
        return made

    def ensure_namespace(self, actor: Actor, namespace: str) -> None:
        """Before an admin writes into a namespace nobody holds, make it an organization of
        theirs (an earlier version's habit: any owner name); others get :class:`Forbidden`."""
        if self.namespace_kind(namespace) is not None:
            return
        if not actor.is_admin:
            raise Forbidden(
                f"there is no user or organization {namespace!r}",
                hint="push into your own namespace, or create the organization first "
                "(`spacehost orgs create NAME`)",
            )
        owner = actor.name if actor.name and self.namespace_kind(actor.name) == "user" else None
        self.create_org(namespace, owner)

    def _adopt_orphan_orgs(self, admin: str) -> None:
        self.db.run(
            "INSERT OR IGNORE INTO members (org, user, role) SELECT name, ?, 'admin' FROM orgs "
            "WHERE NOT EXISTS (SELECT 1 FROM members m WHERE m.org = orgs.name AND m.role='admin')",
            (admin,),
        )

    # -- tokens -----------------------------------------------------------------------------

    def create_token(
        self, user: str, name: str, role: Role, *, ttl_s: float | None = None
    ) -> NewToken:
        """A new token of *user*; with *ttl_s*, valid that many seconds only (a job's)."""
        self.get_user(user)
        name = name.strip()
        if not name or len(name) > 100:
            raise InvalidRequest("a token needs a name (1-100 characters)", hint="e.g. ci-deploy")
        if role not in _TOKEN_ROLES:
            raise InvalidRequest(
                f"a token's role is read or write, not {role}", hint="--role write"
            )
        value = credentials.new_token()
        now = self.clock()
        expires = None if ttl_s is None else now + ttl_s
        self.db.run(
            "INSERT INTO tokens (user, name, role, digest, shown, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (user, name, role.value, credentials.digest(value), value[:7] + "…", now, expires),
        )
        row = self.db.one("SELECT * FROM tokens WHERE digest=?", (credentials.digest(value),))
        assert row is not None
        return NewToken(value, _token(row))

    def list_tokens(self, user: str) -> list[TokenInfo]:
        rows = self.db.query("SELECT * FROM tokens WHERE user=? ORDER BY id", (user,))
        return [_token(r) for r in rows]

    def revoke_token(self, user: str, token_id: int) -> None:
        if not self.db.run("DELETE FROM tokens WHERE user=? AND id=?", (user, token_id)):
            raise NotFound(
                f"{user} has no token {token_id}", hint="`spacehost tokens ls` lists them"
            )

    # -- credentials → actors ---------------------------------------------------------------

    def actor_of(self, name: str, via: Via, **extra: object) -> Actor | None:
        row = self.db.one("SELECT * FROM users WHERE name=?", (name,))
        if row is None:
            return None
        orgs = MappingProxyType(self.orgs_of(row["name"]))
        return Actor(name=row["name"], is_admin=bool(row["is_admin"]), orgs=orgs, via=via, **extra)  # type: ignore[arg-type]

    def namespace_actor(self, name: str) -> Actor:
        """Who a space of namespace *name* reads the hub as (the repos it may mount): the user
        of that name (with their organizations and admin flag), else the organization or the
        ownerless name itself. Reads only: a read token's actor."""
        found = self.actor_of(name, Via.TOKEN, token_role=Role.READ, token_name="space")
        return found or Actor(name=name, via=Via.TOKEN, token_role=Role.READ, token_name="space")

    def actor_for_token(self, value: str) -> Actor | None:
        """The actor a token stands for, or None when it is not a valid token."""
        if self._operator and credentials.same(value, self._operator):
            return self._operator_actor()
        row = self.db.one("SELECT * FROM tokens WHERE digest=?", (credentials.digest(value),))
        now = self.clock()
        if row is None or (row["expires_at"] is not None and row["expires_at"] <= now):
            return None
        self.db.run(
            "UPDATE tokens SET last_used_at=? WHERE id=? AND "
            "(last_used_at IS NULL OR last_used_at < ?)",
            (now, row["id"], now - _LAST_USED_EVERY_S),
        )
        return self.actor_of(
            row["user"], Via.TOKEN, token_role=Role(row["role"]), token_name=row["name"]
        )

    def _operator_actor(self) -> Actor:
        admin = self.first_admin()
        actor = self.actor_of(admin, Via.OPERATOR, token_name="operator") if admin else None
        return actor or Actor(
            name=OPERATOR_NAME, is_admin=True, via=Via.OPERATOR, token_name="operator"
        )

    # -- sessions ---------------------------------------------------------------------------

    def sign_in(self, name: str, password: str, client: str) -> tuple[str, str]:
        """Check a user's password; a new session ``(id, csrf)``. Failures are throttled per
        user name and per client address (:class:`TooManyAttempts`)."""
        keys = [f"user:{name.lower()}", f"client:{client}"]
        now = self.clock()
        wait = self.throttle.wait_s(keys, now)
        if wait > 0:
            raise TooManyAttempts(
                f"too many failed sign-ins: try again in {int(wait) + 1} s",
                hint="check the user name and password; an admin can set a new password "
                "(`spacehost users passwd NAME`)",
                details={"retry_after": int(wait) + 1},
            )
        row = self.db.one("SELECT * FROM users WHERE name=?", (name,))
        if row is None or not passwords.verify_password(row["password"], password):
            self.throttle.failed(keys, now)
            raise Unauthorized(
                "wrong user name or password",
                hint="an admin can set a new password (`spacehost users passwd NAME`)",
            )
        self.throttle.succeeded(keys)
        if passwords.needs_rehash(row["password"]):
            self.db.run(
                "UPDATE users SET password=? WHERE name=?",
                (passwords.hash_password(password), row["name"]),
            )
        return self.new_session(row["name"])

    def new_session(self, user: str) -> tuple[str, str]:
        sid, csrf = credentials.new_session_id(), credentials.new_session_id()
        now = self.clock()
        self.db.run(
            "INSERT INTO sessions (digest, user, csrf, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (credentials.digest(sid), user, csrf, now, now + SESSION_TTL_S),
        )
        return sid, csrf

    def session(self, sid: str) -> tuple[Actor, str] | None:
        """The actor and CSRF value of a live session id, or None."""
        row = self.db.one(
            "SELECT * FROM sessions WHERE digest=? AND space IS NULL AND expires_at > ?",
            (credentials.digest(sid), self.clock()),
        )
        if row is None:
            return None
        actor = self.actor_of(row["user"], Via.SESSION, session=row["digest"][:16])
        return (actor, row["csrf"]) if actor else None

    def sign_out(self, sid: str) -> None:
        digest = credentials.digest(sid)
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE digest=? OR parent=?", (digest, digest))

    def issue_ticket(self, sid: str, space: str) -> str:
        """A ticket handing this session's access to *space* over to the space's host."""
        return tickets.issue(self._ticket_key, space, credentials.digest(sid), self.clock())

    def redeem_ticket(self, value: str, space: str) -> str | None:
        """Turn a ticket for *space* into a space pass (the per-space cookie's value), or None
        when the ticket is bad, expired, for another space, or its session has ended."""
        ticket = tickets.redeem(self._ticket_key, value, self.clock())
        if ticket is None or ticket.space != space:
            return None
        parent = self.db.one(
            "SELECT * FROM sessions WHERE digest=? AND space IS NULL AND expires_at > ?",
            (ticket.session, self.clock()),
        )
        if parent is None:
            return None
        value = credentials.new_session_id()
        self.db.run(
            "INSERT INTO sessions (digest, user, space, parent, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                credentials.digest(value),
                parent["user"],
                space,
                ticket.session,
                self.clock(),
                parent["expires_at"],
            ),
        )
        return value

    def space_pass(self, value: str) -> Actor | None:
        """The actor of a per-space cookie: the user, reading that one space only."""
        row = self.db.one(
            "SELECT * FROM sessions WHERE digest=? AND space IS NOT NULL AND expires_at > ?",
            (credentials.digest(value), self.clock()),
        )
        if row is None:
            return None
        return self.actor_of(
            row["user"], Via.SPACE_PASS, space=row["space"], session=row["digest"][:16]
        )

    # -- visibility -------------------------------------------------------------------------

    def is_private(self, kind: str, repo: str) -> bool:
        return (
            self.db.one("SELECT 1 FROM private_repos WHERE kind=? AND repo=?", (kind, repo))
            is not None
        )

    def set_private(self, kind: str, repo: str, private: bool) -> None:
        if private:
            self.db.run(
                "INSERT OR IGNORE INTO private_repos (kind, repo) VALUES (?, ?)", (kind, repo)
            )
        else:
            self.db.run("DELETE FROM private_repos WHERE kind=? AND repo=?", (kind, repo))

    def private_repos(self, kind: str) -> frozenset[str]:
        rows = self.db.query("SELECT repo FROM private_repos WHERE kind=?", (kind,))
        return frozenset(r["repo"] for r in rows)

    # -- sign-up ----------------------------------------------------------------------------

    def signup(self) -> Signup:
        row = self.db.one("SELECT value FROM platform WHERE key='signup'")
        return Signup(row["value"]) if row else Signup.CLOSED

    def set_signup(self, mode: Signup) -> None:
        self.db.run(
            "INSERT INTO platform (key, value) VALUES ('signup', ?) "
            "ON CONFLICT (key) DO UPDATE SET value=excluded.value",
            (mode.value,),
        )

    def create_invite(self, by: str) -> str:
        code = credentials.new_session_id()
        self.db.run(
            "INSERT INTO invites (digest, created_by, created_at) VALUES (?, ?, ?)",
            (credentials.digest(code), by, self.clock()),
        )
        return code

    def register(self, name: str, password: str, *, invite: str = "", email: str = "") -> User:
        """Sign-up: open, or invite-only with an unused invite code; closed otherwise."""
        mode = self.signup()
        if mode is Signup.CLOSED:
            raise Forbidden(
                "sign-up is closed on this platform", hint="ask an admin for an account"
            )
        if mode is Signup.INVITE:
            row = self.db.one(
                "SELECT * FROM invites WHERE digest=? AND used_by IS NULL",
                (credentials.digest(invite),),
            )
            if row is None:
                raise Forbidden(
                    "sign-up needs an invite on this platform, and this one is not valid",
                    hint="ask an admin for an invite link",
                )
        user = self.add_user(name, password=check_password(password), email=email)
        if mode is Signup.INVITE:
            self.db.run(
                "UPDATE invites SET used_by=? WHERE digest=?", (name, credentials.digest(invite))
            )
        return user

    # -- single sign-on (identity/oidc.py) --------------------------------------------------

    def external_user(self, issuer: str, subject: str) -> str | None:
        row = self.db.one(
            "SELECT e.user AS user FROM external_ids e JOIN users u ON u.name = e.user "
            "WHERE e.issuer=? AND e.subject=?",
            (issuer, subject),
        )
        return str(row["user"]) if row else None

    def add_external_user(
        self, issuer: str, subject: str, name: str, fullname: str = "", email: str = ""
    ) -> User:
        """Create a user for a provider's identity (the name made unique) and link them."""
        base, n = name, 1
        while self.namespace_kind(name) is not None:
            n += 1
            name = f"{base}-{n}"
        user = self.add_user(name, fullname=fullname, email=email)
        self.db.run(
            "INSERT INTO external_ids (issuer, subject, user) VALUES (?, ?, ?)",
            (issuer, subject, user.name),
        )
        return user

    def sign(self, value: str, ttl: int) -> str:
        """*value* signed with the platform's key, valid for *ttl* seconds (a cookie's value)."""
        packed = base64.urlsafe_b64encode(value.encode("utf-8")).decode("ascii")
        return tickets.issue(self._ticket_key, packed, "v", self.clock(), ttl)

    def unsign(self, signed: str) -> str | None:
        ticket = tickets.redeem(self._ticket_key, signed, self.clock())
        if ticket is None or ticket.session != "v":
            return None
        return base64.urlsafe_b64decode(ticket.space.encode("ascii")).decode("utf-8")
