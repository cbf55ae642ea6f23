"""`spacehost login`'s token input: --token, piped stdin, or a prompt that does not echo."""

from __future__ import annotations

import io

import pytest

from spacehost.cli import login
from spacehost.errors import InvalidRequest


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_token_comes_from_the_option_stdin_or_a_hidden_prompt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert login.read_token(" hf_given ", io.StringIO("hf_ignored")) == "hf_given"
    assert login.read_token(None, io.StringIO("hf_piped\n")) == "hf_piped"
    prompts: list[str] = []
    monkeypatch.setattr(login.getpass, "getpass", lambda p: prompts.append(p) or "hf_typed")
    assert login.read_token(None, Tty()) == "hf_typed"
    assert prompts == ["token (hidden, input is not shown): "]
    with pytest.raises(InvalidRequest, match="no token was given"):
        login.read_token(None, io.StringIO("\n"))


def test_whoami_says_the_user_their_orgs_and_the_tokens_role() -> None:
    me = {
        "name": "alice",
        "isAdmin": True,
        "orgs": [{"name": "acme", "roleInOrg": "write"}],
        "auth": {"accessToken": {"displayName": "ci", "role": "read"}},
    }
    assert login.describe(me).splitlines() == [
        "alice (admin)",
        "orgs: acme (write)",
        "token: ci (role read)",
    ]
