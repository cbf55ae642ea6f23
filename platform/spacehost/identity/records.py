"""What the identity store holds: users, organizations, memberships and tokens. Pure values."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """A member's role in an organization, and a token's role (``read`` or ``write`` only)."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


class Signup(StrEnum):
    """Who may create an account: nobody but admins (the default), anyone, or an invited person."""

    CLOSED = "closed"
    OPEN = "open"
    INVITE = "invite"


@dataclass(frozen=True)
class User:
    name: str
    fullname: str
    email: str
    is_admin: bool
    created_at: float
    has_password: bool = False


@dataclass(frozen=True)
class Org:
    name: str
    fullname: str
    created_at: float


@dataclass(frozen=True)
class Member:
    org: str
    user: str
    role: Role


@dataclass(frozen=True)
class TokenInfo:
    """A token as it is listed: never its value (only its first characters, to recognise it)."""

    id: int
    user: str
    name: str
    role: Role
    created_at: float
    last_used_at: float | None
    shown: str  # "hf_abcd…": the start of the value


@dataclass(frozen=True)
class NewToken:
    """A token just made: its value is in this object once and never stored."""

    value: str
    info: TokenInfo
