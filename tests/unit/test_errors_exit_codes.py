"""The exit codes the docs promise are the ones the code has (issue 11: the docs said 6 where
the CLI exited 7): docs/pushing.md's table against the error classes of errors.py, and the
short list in docs/getting-started.md."""

from __future__ import annotations

import re
from pathlib import Path

import spacehost.cli.main  # noqa: F401  (every error class the CLI can raise is defined)
from spacehost.errors import SpacehostError, _all_subclasses

DOCS = Path(__file__).resolve().parents[2] / "docs"


def table() -> dict[int, str]:
    """Exit code -> its row in the "Exit codes" table of docs/pushing.md."""
    text = (DOCS / "pushing.md").read_text()
    section = text.split("### Exit codes", 1)[1].split("\n#", 1)[0]
    return {int(m.group(1)): m.group(0) for m in re.finditer(r"^\| (\d+) \|.*$", section, re.M)}


def test_every_error_class_is_in_the_row_of_its_exit_code() -> None:
    rows = table()
    for cls in _all_subclasses(SpacehostError):
        assert cls.exit_code in rows, f"{cls.__name__}: exit {cls.exit_code} not documented"
        assert f"`{cls.code}`" in rows[cls.exit_code], (cls.__name__, rows[cls.exit_code])


def test_the_table_has_no_exit_code_the_code_lacks() -> None:
    codes = {cls.exit_code for cls in _all_subclasses(SpacehostError)} | {0, 130}
    assert set(table()) == codes


def test_getting_started_lists_the_same_codes() -> None:
    text = (DOCS / "getting-started.md").read_text()
    listed = re.search(r"Exit codes: (.*?)\.\n\n", text, re.S)
    assert listed is not None
    numbers = {int(n) for n in re.findall(r"(?<![\w/])(\d+) [a-z]", listed.group(1))}
    assert numbers == set(table()) - {130}
