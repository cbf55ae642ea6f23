"""Collecting, raising and printing :class:`Problem` findings about a space's files.

Validation never stops at the first mistake: every checker adds to one :class:`Findings`, and
only at the end is a single :class:`ManifestInvalid` raised that lists them all, so a user fixes
a README in one round trip instead of one per field.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from spacehost.domain import Stage
from spacehost.errors import ManifestInvalid
from spacehost.manifest.model import Problem

DOCS_HINT = "see docs/manifest.md for every field; `spacehost validate PATH` lists all problems"


@dataclass
class Findings:
    """A mutable bag of errors (which refuse a space) and warnings (which are only reported)."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    # Errors that mean "the app file is missing" rather than "the config is wrong": the
    # lifecycle shows these as NO_APP_FILE, as Hugging Face does for an empty space.
    missing_app: list[Problem] = field(default_factory=list)
    # Hints of adopted errors (e.g. the minimal front matter example), used when one is alone.
    hints: dict[Problem, str] = field(default_factory=dict)

    def error(self, file: str, field_path: str, message: str) -> None:
        self.errors.append(Problem(file, field_path, message))

    def warn(self, file: str, field_path: str, message: str) -> None:
        self.warnings.append(Problem(file, field_path, message))

    def adopt(self, exc: ManifestInvalid) -> None:
        """Take over the problems of an error raised by a stricter helper, with its hint."""
        errors, _ = problems_from_details(exc.details)
        self.errors.extend(errors)
        self.hints.update(dict.fromkeys(errors, exc.hint))

    def no_app(self, file: str, field_path: str, message: str) -> None:
        problem = Problem(file, field_path, message)
        self.errors.append(problem)
        self.missing_app.append(problem)

    def raise_if_errors(self) -> None:
        """Raise one :class:`ManifestInvalid` listing every error, if there is any.

        Raises:
            ManifestInvalid: with ``details["problems"]`` (the errors), ``details["warnings"]``
                and ``details["stage"]`` (``NO_APP_FILE`` when the only errors are a missing
                app file or Dockerfile, else ``CONFIG_ERROR``).
        """
        if not self.errors:
            return
        only_missing_app = len(self.missing_app) == len(self.errors)
        details: dict[str, Any] = {
            "problems": [problem_to_json(p) for p in self.errors],
            "warnings": [problem_to_json(p) for p in self.warnings],
            "stage": (Stage.NO_APP_FILE if only_missing_app else Stage.CONFIG_ERROR).value,
        }
        if len(self.errors) == 1:
            only = self.errors[0]
            message = only.message if only_missing_app else str(only)
            hint = _NO_APP_HINT if only_missing_app else f"fix this field; {DOCS_HINT}"
            hint = self.hints.get(only, hint)
        else:
            lines = "\n".join(f"  - {p}" for p in self.errors)
            message = f"{len(self.errors)} problems in the space's files:\n{lines}"
            hint = f"fix every problem listed; {DOCS_HINT}"
        raise ManifestInvalid(message, hint=hint, details=details)


_NO_APP_HINT = (
    "add the file to the space folder, or point README.md's `app_file` at your app "
    "(for `sdk: docker`, add a Dockerfile)"
)


def problem_to_json(problem: Problem) -> dict[str, str]:
    """``{"file", "field", "message"}`` for an API body or ``details``."""
    return {"file": problem.file, "field": problem.field, "message": problem.message}


def problems_from_details(details: Mapping[str, Any]) -> tuple[list[Problem], list[Problem]]:
    """Rebuild ``(errors, warnings)`` from a :class:`ManifestInvalid`'s ``details``.

    Args:
        details: ``exc.details``, possibly after a trip through JSON (the API and client).

    Returns:
        The errors and the warnings; entries that are not well-formed are skipped.
    """

    def rebuild(items: Any) -> list[Problem]:
        out: list[Problem] = []
        for item in items if isinstance(items, list) else []:
            if isinstance(item, Mapping):
                out.append(
                    Problem(
                        str(item.get("file", "")),
                        str(item.get("field", "")),
                        str(item.get("message", "")),
                    )
                )
        return out

    return rebuild(details.get("problems")), rebuild(details.get("warnings"))


def format_problems(problems: Iterable[Problem], *, kind: str = "") -> str:
    """Text for the CLI: one line per problem, ``README.md: field: message``.

    Args:
        problems: errors or warnings.
        kind: a label put before each line (``"warning"`` gives ``warning: README.md: ...``).

    Returns:
        The lines joined with newlines; ``""`` when there is no problem.
    """
    prefix = f"{kind}: " if kind else ""
    return "\n".join(f"{prefix}{p}" for p in problems)


def format_report(errors: Iterable[Problem], warnings: Iterable[Problem]) -> str:
    """The full ``validate`` report: error lines, warning lines, then a tally.

    Returns:
        e.g. ``error: README.md: sdk: ...`` lines, ``warning: ...`` lines and
        ``2 errors, 1 warning``; ``no problems found`` when both are empty.
    """
    errs, warns = list(errors), list(warnings)
    if not errs and not warns:
        return "no problems found"
    body = [format_problems(errs, kind="error"), format_problems(warns, kind="warning")]
    tally = f"{_plural(len(errs), 'error')}, {_plural(len(warns), 'warning')}"
    return "\n".join([*filter(None, body), tally])


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def show(value: Any) -> str:
    """A value as the user wrote it in YAML terms (``true``, ``"blu"``, ``[1, 2]``)."""
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except ValueError:  # circular structures from YAML aliases
        return repr(value)


def yaml_type(value: Any) -> str:
    """The YAML name of a value's type, for "must be a string, got ... (a list)" messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, Mapping):
        return "mapping"
    return type(value).__name__
