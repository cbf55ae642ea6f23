"""``spacehost users``, ``orgs``, ``signup`` and ``invite``: accounts, run by admins (an
organization's own admins manage its members). docs/accounts.md has who may do what.

Passwords never go on the command line: ``--password-stdin`` reads one from stdin, otherwise a
terminal is asked (hidden, twice).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from spacehost.cli import output
from spacehost.cli.confirm import confirm_delete
from spacehost.client import Client
from spacehost.errors import InvalidRequest

Add = Callable[[str, Callable[[argparse.Namespace], int], str], Any]
ROLES = ("read", "write", "admin")


def print_rows(head: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A table with aligned columns, *head* first."""
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def required(args: argparse.Namespace, attr: str, example: str) -> str:
    """The positional *attr* of *args*; a clear error naming the command when it is missing."""
    value = getattr(args, attr, None)
    if not value:
        raise InvalidRequest(
            f"`spacehost {args.command} {args.action}` needs {attr.upper()}",
            hint=f"e.g. spacehost {example}",
        )
    return str(value)


def read_password(
    args: argparse.Namespace, what: str, *, confirm: bool = True, stdin: TextIO | None = None
) -> str:
    """A password: stdin with ``--password-stdin`` (one trailing newline dropped), else typed at
    a hidden prompt (twice when *confirm*). "" when stdin is not a terminal and no
    ``--password-stdin`` was given (the caller decides whether that is allowed).

    Raises:
        InvalidRequest: ``--password-stdin`` with nothing on stdin, or the two typed differ."""
    stream = stdin or sys.stdin
    if getattr(args, "password_stdin", False):
        value = stream.read()
        value = value[:-1] if value.endswith("\n") else value
        if not value:
            raise InvalidRequest(
                "--password-stdin read no password", hint="pipe it: ... --password-stdin <<< 'PW'"
            )
        return value
    if not stream.isatty():
        return ""
    first = getpass.getpass(f"{what} (hidden): ")
    if confirm and first and getpass.getpass(f"{what} again: ") != first:
        raise InvalidRequest("the two passwords differ", hint="type the same password twice")
    return first


# users -------------------------------------------------------------------------------------


def _users_ls(client: Client) -> int:
    rows = [
        (
            u["name"],
            "admin" if u.get("isAdmin") else "",
            u.get("email") or "",
            "yes" if u.get("hasPassword") else "no",
            str(u.get("createdAt", ""))[:19],
        )
        for u in client.users()
    ]
    if not rows:
        print("no users yet: add the first admin with `spacehost users add NAME --admin`")
        return 0
    print_rows(("USER", "ADMIN", "EMAIL", "PASSWORD", "CREATED"), rows)
    return 0


def _users_add(client: Client, args: argparse.Namespace, name: str) -> int:
    password = read_password(args, f"password of {name} (empty: none, tokens only)")
    fields: dict[str, Any] = {"password": password, "admin": args.admin}
    if args.email:
        fields["email"] = args.email
    if args.fullname:
        fields["fullname"] = args.fullname
    user = client.add_user(name, **fields)
    what = "admin" if user.get("isAdmin") else "user"
    output.info(f"added {what} {user['name']}")
    if not password:
        output.info(
            f"{name} has no password: set one with `spacehost users passwd {name}` "
            "so they can sign in and make tokens"
        )
    return 0


def _users_passwd(client: Client, args: argparse.Namespace, name: str) -> int:
    password = read_password(args, f"new password of {name}")
    if not password:
        raise InvalidRequest(
            "no password: stdin is not a terminal", hint="pipe it with --password-stdin"
        )
    client.update_user(name, password=password)
    output.info(f"set the password of {name}")
    return 0


def _users_admin(client: Client, args: argparse.Namespace, name: str) -> int:
    user = client.update_user(name, admin=args.value == "on")
    output.info(f"{name} is {'an admin' if user.get('isAdmin') else 'not an admin'}")
    return 0


def _users_rm(client: Client, args: argparse.Namespace, name: str) -> int:
    if not args.yes:
        client.user(name)  # a user that does not exist is reported, not asked about
        confirm_delete(
            "user",
            name,
            "their tokens, sessions and memberships (their spaces and repos stay)",
            again=f"spacehost users rm --yes {name}",
        )
    client.remove_user(name)
    output.info(f"removed user {name}")
    return 0


def cmd_users(client: Client, args: argparse.Namespace) -> int:
    if args.action == "ls":
        return _users_ls(client)
    name = required(args, "name", f"users {args.action} alice")
    actions = {
        "add": _users_add,
        "passwd": _users_passwd,
        "admin": _users_admin,
        "rm": _users_rm,
    }
    return actions[args.action](client, args, name)


# organizations -----------------------------------------------------------------------------


def _orgs_ls(client: Client) -> int:
    rows = [(o["name"], o.get("fullname") or "") for o in client.orgs()]
    if not rows:
        print("no organizations yet: `spacehost orgs create NAME`")
        return 0
    print_rows(("ORG", "FULL NAME"), rows)
    return 0


def _orgs_member_user(args: argparse.Namespace, org: str) -> str:
    return required(args, "user", f"orgs {args.action} {org} alice")


def _orgs_add(client: Client, args: argparse.Namespace, org: str) -> int:
    user = _orgs_member_user(args, org)
    m = client.set_member(org, user, args.role)
    output.info(f"{m['user']} is a member of {m['org']} with role {m['role']}")
    return 0


def _orgs_rm(client: Client, args: argparse.Namespace, org: str) -> int:
    user = _orgs_member_user(args, org)
    client.remove_member(org, user)
    output.info(f"{user} is no longer a member of {org}")
    return 0


def _orgs_members(client: Client, args: argparse.Namespace, org: str) -> int:
    print_rows(("USER", "ROLE"), [(m["user"], m["role"]) for m in client.members(org)])
    return 0


def _orgs_create(client: Client, args: argparse.Namespace, org: str) -> int:
    made = client.create_org(org, args.fullname or "")
    output.info(f"created organization {made['name']} (you are its admin)")
    return 0


def _orgs_delete(client: Client, args: argparse.Namespace, org: str) -> int:
    if not args.yes:
        client.members(org)  # an organization that does not exist is reported, not asked about
        confirm_delete(
            "organization",
            org,
            "its members and their roles (its spaces and repos stay; then only admins may "
            "write them)",
            again=f"spacehost orgs delete --yes {org}",
        )
    client.delete_org(org)
    output.info(f"deleted organization {org}")
    return 0


def cmd_orgs(client: Client, args: argparse.Namespace) -> int:
    if args.action == "ls":
        return _orgs_ls(client)
    org = required(args, "org", f"orgs {args.action} acme")
    actions = {
        "create": _orgs_create,
        "members": _orgs_members,
        "add": _orgs_add,
        "rm": _orgs_rm,
        "delete": _orgs_delete,
    }
    return actions[args.action](client, args, org)


# sign-up and invites -----------------------------------------------------------------------


def cmd_signup(client: Client, args: argparse.Namespace) -> int:
    mode = client.set_signup(args.mode) if args.mode else client.signup()
    words = {
        "closed": "closed: only admins add users (`spacehost users add`)",
        "open": "open: anyone who reaches the platform may make an account",
        "invite": "invite-only: an account needs a code from `spacehost invite`",
    }
    output.info(f"sign-up is {words.get(mode, mode)}")
    return 0


def cmd_invite(client: Client, args: argparse.Namespace) -> int:
    code = client.create_invite()
    print(code, flush=True)
    print(
        "an invite code: its holder signs up with it (POST /api/auth/sign-up "
        '{"name", "password", "invite"}) while sign-up is open or invite-only',
        file=sys.stderr,
    )
    return 0


def actions(
    parent: argparse.ArgumentParser, run: Callable[[argparse.Namespace], int]
) -> Callable[..., argparse.ArgumentParser]:
    """Sub-commands of *parent* (``users add``, ``orgs members`` …), each run by *run*: a maker
    ``action(name, help)`` of their parsers, with their own arguments and ``--help``."""
    sub = parent.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str, help_: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(fn=run)
        return p

    return action


def _yes(p: argparse.ArgumentParser) -> None:
    p.add_argument("-y", "--yes", action="store_true", help="without asking (needed in scripts)")


def _password_stdin(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from stdin (else a hidden prompt)",
    )


def _add_users(add: Add, client: Callable[[argparse.Namespace], Client]) -> None:
    def run(args: argparse.Namespace) -> int:
        return cmd_users(client(args), args)

    action = actions(add("users", run, "list, add or remove users (admins)"), run)
    action("ls", "list the users")
    a = action("add", "add a user (the first --admin becomes the platform token's user)")
    a.add_argument("name", help="the user's name (their namespace)")
    a.add_argument("--admin", action="store_true", help="a platform admin")
    a.add_argument("--email", default=None, help="their email (optional)")
    a.add_argument("--fullname", default=None, help="their display name (optional)")
    _password_stdin(a)
    rm = action("rm", "remove a user, their tokens, sessions and memberships")
    rm.add_argument("name", help="the user")
    _yes(rm)
    pw = action("passwd", "set a user's password (yours, or anyone's as an admin)")
    pw.add_argument("name", help="the user")
    _password_stdin(pw)
    adm = action("admin", "make a user a platform admin, or not")
    adm.add_argument("name", help="the user")
    adm.add_argument("value", choices=["on", "off"], help="on or off")


def _add_orgs(add: Add, client: Callable[[argparse.Namespace], Client]) -> None:
    def run(args: argparse.Namespace) -> int:
        return cmd_orgs(client(args), args)

    action = actions(add("orgs", run, "organizations and their members"), run)
    action("ls", "list the organizations")
    c = action("create", "create an organization (you become its admin)")
    c.add_argument("org", help="its name (a namespace)")
    c.add_argument("--fullname", default=None, help="its display name (optional)")
    action("members", "list an organization's members").add_argument("org")
    a = action("add", "add a member, or change their role (the organization's admins)")
    a.add_argument("org")
    a.add_argument("user")
    a.add_argument("--role", choices=ROLES, required=True, help="read, write or admin")
    rm = action("rm", "remove a member (the organization's admins)")
    rm.add_argument("org")
    rm.add_argument("user")
    d = action("delete", "delete an organization (its spaces and repos stay)")
    d.add_argument("org")
    _yes(d)


def add_commands(add: Add, client: Callable[[argparse.Namespace], Client]) -> None:
    """Register ``users``, ``orgs``, ``signup`` and ``invite`` (*add* makes a subcommand,
    *client* the API client of the args)."""
    _add_users(add, client)
    _add_orgs(add, client)
    s = add(
        "signup",
        lambda a: cmd_signup(client(a), a),
        "show or set who may make an account: closed (default), open or invite (admins)",
    )
    s.add_argument("mode", nargs="?", choices=["closed", "open", "invite"])
    add("invite", lambda a: cmd_invite(client(a), a), "make an invite code for sign-up (admins)")
