"""``spacehost tokens ls|create|revoke``: the caller's own tokens (docs/accounts.md).

A user who has only a password (just added by an admin) makes a first token with ``--user NAME``:
the CLI signs in with the password (stdin with ``--password-stdin``, else a hidden prompt),
makes the token with that session and signs out. The value is printed once, alone on stdout,
so ``TOKEN=$(spacehost tokens create ci --role write)`` works; the rest goes to stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from spacehost.cli.accounts import actions, print_rows, read_password, required
from spacehost.client import Client
from spacehost.errors import InvalidRequest

Add = Callable[[str, Callable[[argparse.Namespace], int], str], Any]


def _ls(client: Client) -> int:
    found = client.tokens()
    if not found:
        print("no tokens yet: make one with `spacehost tokens create NAME --role write`")
        return 0
    rows = [
        (
            str(t["id"]),
            t["name"],
            t["role"],
            t["token"],
            str(t["createdAt"])[:19],
            str(t.get("lastUsedAt") or "never")[:19],
        )
        for t in found
    ]
    print_rows(("ID", "NAME", "ROLE", "TOKEN", "CREATED", "LAST USED"), rows)
    return 0


def _create(client: Client, args: argparse.Namespace) -> int:
    name = required(args, "name", "tokens create ci --role write")
    if args.user:
        client.sign_in(args.user, read_password(args, f"password of {args.user}", confirm=False))
    try:
        new = client.create_token(name, args.role)
    finally:
        if args.user:
            client.sign_out()
    print(new["token"], flush=True)
    print(
        f"token {new['name']!r} (role {new['role']}, id {new['id']}): shown once, store it now "
        "(`spacehost login` keeps it for this server)",
        file=sys.stderr,
    )
    return 0


def _revoke(client: Client, args: argparse.Namespace) -> int:
    raw = required(args, "name", "tokens revoke 3 (the ID of `spacehost tokens ls`)")
    if not raw.isdigit():
        raise InvalidRequest(
            f"{raw!r} is not a token id", hint="`spacehost tokens ls` shows the ids"
        )
    client.revoke_token(int(raw))
    print(f"revoked token {raw}")
    return 0


def cmd_tokens(client: Client, args: argparse.Namespace) -> int:
    if args.action == "ls":
        return _ls(client)
    if args.action == "create":
        return _create(client, args)
    return _revoke(client, args)


def add_commands(add: Add, client: Callable[[argparse.Namespace], Client]) -> None:
    """Register ``tokens`` (*add* makes a subcommand, *client* the API client of the args)."""

    def run(args: argparse.Namespace) -> int:
        return cmd_tokens(client(args), args)

    action = actions(add("tokens", run, "list, create (shown once) or revoke your tokens"), run)
    action("ls", "list your tokens (their start, role, last use)")
    c = action("create", "make a token; its value is printed once, alone on stdout")
    c.add_argument("name", help="what it is for (e.g. ci, laptop)")
    c.add_argument(
        "--role",
        choices=["read", "write"],
        default="read",
        help="what it may do (default read: reads what you may read, writes nothing)",
    )
    c.add_argument(
        "--user",
        default=None,
        help="make it as this user, signing in with their password (a user's first token)",
    )
    c.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin (--user)"
    )
    action("revoke", "revoke a token by its ID (`spacehost tokens ls`)").add_argument(
        "name", metavar="ID"
    )
