"""Asking before a delete (cli/confirm.py) and printing README problems once (cli/output.py).
The real CLI in a terminal and in a pipe: tests/e2e/test_cli_commands.py."""

from __future__ import annotations

import io

import pytest

from spacehost.cli import output
from spacehost.cli.confirm import confirm_delete
from spacehost.errors import InvalidRequest, ManifestInvalid


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_typing_the_name_confirms() -> None:
    prompt = io.StringIO()
    confirm_delete(
        "space", "alice/demo", "its data", stdin=Terminal("alice/demo\n"), prompt_to=prompt
    )
    assert "Type alice/demo to confirm: " in prompt.getvalue()
    assert "its data" in prompt.getvalue()


@pytest.mark.parametrize(
    ("typed", "said"), [("y\n", "'y' is not alice/demo"), ("", "no name was typed")]
)
def test_anything_else_deletes_nothing(typed: str, said: str) -> None:
    with pytest.raises(InvalidRequest) as exc:
        confirm_delete("space", "alice/demo", "x", stdin=Terminal(typed), prompt_to=io.StringIO())
    assert exc.value.message == f"{said}: nothing was deleted" and exc.value.exit_code == 2


def test_without_a_terminal_it_refuses_and_names_yes() -> None:
    with pytest.raises(InvalidRequest) as exc:
        confirm_delete("model", "alice/m", "x", stdin=io.StringIO("alice/m\n"))
    assert "stdin is not a terminal" in exc.value.message
    assert "`spacehost rm --yes alice/m --type model`" in exc.value.hint


def test_readme_problems_and_warnings_are_printed_once(capsys: pytest.CaptureFixture[str]) -> None:
    problem = {"file": "README.md", "field": "sdk", "message": '"cobol" is not a valid sdk'}
    warning = {
        "file": "README.md",
        "field": "sdk_versoin",
        "message": "unknown field; did you mean `sdk_version`?",
    }
    output.error(
        ManifestInvalid(
            'README.md: sdk: "cobol" is not a valid sdk',
            hint="fix it",
            details={"problems": [problem], "warnings": [warning]},
        )
    )
    err = capsys.readouterr().err
    assert err.count('"cobol" is not a valid sdk') == 1
    assert err.count("did you mean `sdk_version`?") == 1
    assert err.splitlines() == [
        'error: README.md: sdk: "cobol" is not a valid sdk',
        "warning: README.md: sdk_versoin: unknown field; did you mean `sdk_version`?",
        "hint: fix it",
    ]
