"""spacehost.identity: users, organizations, tokens, sessions, private repos, and the one policy
(``can``) that decides who may do what (layer 1, beside store; docs/accounts.md)."""

from spacehost.identity.accounts import Accounts
from spacehost.identity.actor import ANONYMOUS, Actor, Via
from spacehost.identity.policy import Action, Kind, Resource, can
from spacehost.identity.records import Member, NewToken, Org, Role, Signup, TokenInfo, User

__all__ = [
    "ANONYMOUS",
    "Accounts",
    "Action",
    "Actor",
    "Kind",
    "Member",
    "NewToken",
    "Org",
    "Resource",
    "Role",
    "Signup",
    "TokenInfo",
    "User",
    "Via",
    "can",
]
