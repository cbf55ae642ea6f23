"""Asking before a delete: the user types the name of what goes. Without a terminal on stdin
(a script, a pipe) nothing is asked and nothing is deleted unless ``--yes`` was given, so a
script never hangs on a question nobody sees."""

from __future__ import annotations

import sys
from typing import TextIO

from spacehost.errors import InvalidRequest


def confirm_delete(
    what: str,
    name: str,
    consequences: str,
    *,
    stdin: TextIO | None = None,
    prompt_to: TextIO | None = None,
    again: str | None = None,
) -> None:
    """Return when the user typed *name* at the prompt.

    Args:
        what: "space", "model" or "dataset".
        name: the owner/name to type.
        consequences: what the delete removes, for the prompt.
        stdin: where the answer is read (default ``sys.stdin``).
        prompt_to: where the question is written (default ``sys.stderr``).
        again: the command that deletes without asking, for the hint (default ``spacehost rm
            --yes NAME``, with ``--type`` for a model or dataset).

    Raises:
        InvalidRequest: stdin is not a terminal, or the answer is not *name* (exit 2).
    """
    stream, out = stdin or sys.stdin, prompt_to or sys.stderr
    if again is None:
        again = f"spacehost rm --yes {name}" + ("" if what == "space" else f" --type {what}")
    if not stream.isatty():
        raise InvalidRequest(
            f"not deleting {what} {name}: stdin is not a terminal, so nobody can confirm",
            hint=f"pass --yes (-y) to delete without asking: `{again}`",
        )
    out.write(
        f"This deletes {what} {name}: {consequences}. It cannot be undone.\n"
        f"Type {name} to confirm: "
    )
    out.flush()
    typed = stream.readline().strip()
    if typed != name:
        said = f"'{typed}' is not {name}" if typed else "no name was typed"
        raise InvalidRequest(
            f"{said}: nothing was deleted", hint=f"type the name exactly, or pass --yes: `{again}`"
        )
