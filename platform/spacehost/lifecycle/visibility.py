"""Which spaces are private: what the lifecycle needs of the identity store (docs/accounts.md).

The route table carries each space's ``private`` flag (the router then serves it only to
visitors who may read it); a delete forgets it. ``Accounts`` (identity/accounts.py) is the one
implementation; a platform without one (unit tests) has every space public.
"""

from __future__ import annotations

from typing import Protocol

SPACE = "space"


class Visibility(Protocol):
    def private_repos(self, kind: str) -> frozenset[str]: ...

    def set_private(self, kind: str, repo: str, private: bool) -> None: ...


class AllPublic:
    """Nothing is private (a platform without accounts)."""

    def private_repos(self, kind: str) -> frozenset[str]:
        return frozenset()

    def set_private(self, kind: str, repo: str, private: bool) -> None:
        if private:
            raise ValueError("this platform has no accounts, so nothing can be private")
