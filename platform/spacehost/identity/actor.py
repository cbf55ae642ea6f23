"""Who is asking: the one value the policy decides on (identity/policy.py). Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from spacehost.identity.records import Role


class Via(StrEnum):
    """How a request proved who it is."""

    ANONYMOUS = "anonymous"
    TOKEN = "token"  # a user's token (Authorization, X-HF-Authorization, git's Basic password)
    OPERATOR = "operator"  # the platform's own token (SPACEHOST_TOKEN, DATA/token)
    SESSION = "session"  # a signed-in browser (the session cookie)
    SPACE_PASS = "space_pass"  # a browser's per-space cookie: reads that one space only


@dataclass(frozen=True)
class Actor:
    """The caller of a request.

    Attributes:
        name: the user's name, None for an anonymous caller.
        is_admin: a platform admin (may do everything a write token may, anywhere).
        orgs: the organizations the user belongs to, with the role in each.
        via: how the request proved it.
        token_role: the role of the token used (``read`` or ``write``); None for a session.
        token_name: the token's display name ("" without a token).
        space: for a space pass, the one space (``owner/name``) it may read.
        session: the session id's hash prefix for a session or space pass ("" otherwise).
    """

    name: str | None = None
    is_admin: bool = False
    orgs: Mapping[str, Role] = field(default_factory=lambda: MappingProxyType({}))
    via: Via = Via.ANONYMOUS
    token_role: Role | None = None
    token_name: str = ""
    space: str | None = None
    session: str = ""

    @property
    def signed_in(self) -> bool:
        return self.name is not None

    @property
    def writes(self) -> bool:
        """True when the credential may change anything at all (not a read token, not a pass)."""
        if self.name is None or self.via is Via.SPACE_PASS:
            return False
        return self.token_role is None or self.token_role is not Role.READ


ANONYMOUS = Actor()
