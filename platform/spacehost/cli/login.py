"""``spacehost login``, ``logout`` and ``whoami``: a token kept per server, as ``hf auth login``
keeps one (cli/tokenstore.py says where; cli/connection.py in which order the CLI picks a
token)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from typing import Any, TextIO

from spacehost.cli import output, tokenstore
from spacehost.cli.connection import server_url, token_and_source
from spacehost.client import Client
from spacehost.errors import InvalidRequest

Add = Callable[[str, Callable[[argparse.Namespace], int], str], Any]
TOKEN_PAGE_HINT = "make one with `spacehost tokens create NAME --role write` or on the Tokens page"


def read_token(given: str | None, stdin: TextIO | None = None) -> str:
    """The token to log in with: *given* (``--token``), else all of stdin when piped, else typed
    at a prompt that does not echo.

    Raises:
        InvalidRequest: the token is empty."""
    stream = stdin or sys.stdin
    if given is not None:
        token = given
    elif stream.isatty():
        token = getpass.getpass("token (hidden, input is not shown): ")
    else:
        token = stream.read()
    token = token.strip()
    if not token:
        raise InvalidRequest("no token was given", hint=TOKEN_PAGE_HINT)
    return token


def describe(me: dict[str, Any]) -> str:
    """``alice (admin)``, the user's organizations and the token's role, in lines."""
    name = str(me.get("name", "")) + (" (admin)" if me.get("isAdmin") else "")
    orgs = ", ".join(f"{o['name']} ({o.get('roleInOrg', '')})" for o in me.get("orgs", []))
    token = me.get("auth", {}).get("accessToken") or {}
    lines = [name, f"orgs: {orgs or 'none'}"]
    if token:
        lines.append(f"token: {token.get('displayName', '')} (role {token.get('role', '')})")
    return "\n".join(lines)


def cmd_login(args: argparse.Namespace) -> int:
    url = server_url(args)
    token = read_token(args.token)
    me = Client(url, token).whoami()  # refuses a token the server does not know (exit 3)
    path = tokenstore.store(url, token)
    output.info(f"logged in to {url} as {me['name']}; the token is stored in {path} (0600)")
    if os.environ.get("SPACEHOST_TOKEN"):
        output.warn("SPACEHOST_TOKEN is set and wins over the stored login: unset it to use it")
    return 0


def cmd_logout(args: argparse.Namespace) -> int:
    url = server_url(args)
    if not tokenstore.forget(url):
        output.info(f"no login stored for {url}")
        return 0
    output.info(
        f"logged out of {url}: the stored token is gone (it stays valid until revoked: "
        "`spacehost tokens revoke ID`)"
    )
    return 0


def cmd_whoami(args: argparse.Namespace) -> int:
    token, source = token_and_source(args)
    me = Client(server_url(args), token).whoami()
    output.info(describe(me))
    output.info(f"server: {server_url(args)}\nfrom: {source}")
    return 0


def add_commands(add: Add) -> None:
    """Register ``login``, ``logout`` and ``whoami`` (*add* makes a subcommand)."""
    login = add(
        "login",
        cmd_login,
        "check a token and store it for this server (asked for, hidden, when not given)",
    )
    login.add_argument(
        "--token",
        default=None,
        help="the token (hf_…); by default it is read from stdin or a hidden prompt",
    )
    add("logout", cmd_logout, "forget the token stored for this server")
    add("whoami", cmd_whoami, "show who the CLI is on this server, and where its token comes from")
