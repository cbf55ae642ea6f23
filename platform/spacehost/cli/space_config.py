"""``spacehost variables``, ``spacehost secrets`` and ``spacehost duplicate``.

A secret's value is read from stdin (when it is not a terminal) or from a hidden prompt, so it
does not end up in the shell's history or in ``ps``; ``--value`` exists for scripts and warns.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import Any, TextIO

from spacehost.cli import output
from spacehost.cli.watch import Deploy, watch
from spacehost.client import Client
from spacehost.domain import SpaceId
from spacehost.errors import InvalidRequest

Add = Callable[[str, Callable[[argparse.Namespace], int], str], Any]


def _rows(entries: dict[str, Any], with_value: bool) -> list[tuple[str, ...]]:
    head = (
        ("KEY", "VALUE", "DESCRIPTION", "UPDATED")
        if with_value
        else ("KEY", "DESCRIPTION", "UPDATED")
    )
    rows: list[tuple[str, ...]] = [head]
    for key, e in sorted(entries.items()):
        cells = [key, str(e.get("value", "")).replace("\n", "\\n")] if with_value else [key]
        rows.append((*cells, str(e.get("description", "")), str(e.get("updatedAt", ""))[:19]))
    return rows


def _print_table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def read_secret(key: str, stdin: TextIO | None = None) -> str:
    """The value of secret *key*: all of stdin when piped (one trailing newline dropped), else
    typed at a prompt that does not echo."""
    stream = stdin or sys.stdin
    if not stream.isatty():
        value = stream.read()
        return value[:-1] if value.endswith("\n") else value
    return getpass.getpass(f"value of secret {key} (hidden): ")


def _need_key(args: argparse.Namespace) -> str:
    if not args.key:
        raise InvalidRequest(
            f"`{args.command} {args.action}` needs a KEY",
            hint=f"e.g. spacehost {args.command} {args.action} alice/demo API_URL",
        )
    key: str = args.key
    return key


def _restarting(result: dict[str, Any], space: SpaceId) -> None:
    if result.get("restarting"):
        output.info(f"restarting {space} so the app sees the change")


ValueOf = Callable[[argparse.Namespace, SpaceId, str], str]


def _config_command(client: Client, args: argparse.Namespace, kind: str, value_of: ValueOf) -> int:
    """``ls``, ``rm`` or ``set`` of *kind* (``variables`` or ``secrets``; a secret's value is
    never listed); *value_of* gives the value to set."""
    space, noun = SpaceId.parse(args.space), kind.removesuffix("s")
    if args.action == "ls":
        entries = client.config(space, kind)
        if not entries:
            print(f"{space} has no {kind}")
        else:
            _print_table(_rows(entries, with_value=kind == "variables"))
        return 0
    key = _need_key(args)
    if args.action == "rm":
        _restarting(client.delete_config(space, kind, key), space)
        output.info(f"removed {noun} {key} of {space}")
        return 0
    value = value_of(args, space, key)
    _restarting(client.set_config(space, kind, key, value, args.description), space)
    output.info(f"set {noun} {key} of {space}")
    return 0


def _variable_value(args: argparse.Namespace, space: SpaceId, key: str) -> str:
    if args.value is None:
        raise InvalidRequest(
            "`variables set` needs a VALUE", hint=f"spacehost variables set {space} {key} VALUE"
        )
    value: str = args.value
    return value


def _secret_value(args: argparse.Namespace, space: SpaceId, key: str) -> str:
    if args.value is None:
        return read_secret(key)
    output.warn(
        "--value puts the secret in your shell history and the process list; "
        "pipe it on stdin instead"
    )
    value: str = args.value
    return value


def cmd_variables(client: Client, args: argparse.Namespace) -> int:
    return _config_command(client, args, "variables", _variable_value)


def cmd_secrets(client: Client, args: argparse.Namespace) -> int:
    return _config_command(client, args, "secrets", _secret_value)


def cmd_duplicate(client: Client, args: argparse.Namespace) -> int:
    source, target = SpaceId.parse(args.source), SpaceId.parse(args.target)
    result = client.duplicate(source, target)
    output.info(
        f"duplicated {source} to {target} (revision {result['revision'][:12]}, "
        f"{len(result['variables'])} variables)"
    )
    needing = result.get("secrets_needing_values") or []
    if needing:
        output.warn(
            f"secrets are not copied; set them with `spacehost secrets set {target} "
            f"KEY`: {', '.join(needing)}"
        )
    if not args.no_wait:  # a new space: every build of it is this deploy's
        watch(client, Deploy(target, str(result["revision"]), since_build=0))
    output.print_urls(result["urls"])
    return 0


def add_commands(add: Add, client: Callable[[argparse.Namespace], Client]) -> None:
    """Register the commands on the CLI's parser (*add* makes a subcommand)."""
    v = add(
        "variables",
        lambda a: cmd_variables(client(a), a),
        "list, set or remove a space's variables (public; the app sees them as env)",
    )
    v.add_argument("action", choices=["ls", "set", "rm"])
    v.add_argument("space", help="owner/name")
    v.add_argument("key", nargs="?", help="the variable's name (an env var name)")
    v.add_argument("value", nargs="?", help="its value (set)")
    v.add_argument("--description", default=None, help="what it is for (set)")
    s = add(
        "secrets",
        lambda a: cmd_secrets(client(a), a),
        "list, set or remove a space's secrets (write-only; the app sees them as env)",
    )
    s.add_argument("action", choices=["ls", "set", "rm"])
    s.add_argument("space", help="owner/name")
    s.add_argument("key", nargs="?", help="the secret's name (an env var name)")
    s.add_argument(
        "--value",
        default=None,
        help="the value (avoid: it lands in the shell's "
        "history; by default it is read from stdin or a hidden prompt)",
    )
    s.add_argument("--description", default=None, help="what it is for (set)")
    d = add(
        "duplicate",
        lambda a: cmd_duplicate(client(a), a),
        "copy a space (files and variables) to a new name and run it",
    )
    d.add_argument("source", help="owner/name to copy")
    d.add_argument("target", help="owner/name of the new space")
    d.add_argument("--no-wait", action="store_true", help="return once the copy is made")
