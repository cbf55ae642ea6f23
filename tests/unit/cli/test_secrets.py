"""The CLI's secrets input: stdin or a hidden prompt, never argv unless asked (with a warning)."""

from __future__ import annotations

import io
from typing import Any

import pytest

from spacehost.cli import space_config
from spacehost.cli.main import build_parser, main


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_piped_stdin_is_the_value_without_its_last_newline() -> None:
    assert space_config.read_secret("K", io.StringIO("line1\nline2\n")) == "line1\nline2"
    assert space_config.read_secret("K", io.StringIO("no-newline")) == "no-newline"


def test_a_terminal_gets_a_hidden_prompt(monkeypatch: pytest.MonkeyPatch) -> None:
    prompts: list[str] = []
    monkeypatch.setattr(space_config.getpass, "getpass", lambda p: prompts.append(p) or "typed")
    assert space_config.read_secret("API_KEY", Tty()) == "typed"
    assert prompts == ["value of secret API_KEY (hidden): "]


def test_secrets_set_takes_no_value_argument() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["secrets", "set", "a/b", "KEY", "the-value"])
    args = build_parser().parse_args(["variables", "set", "a/b", "KEY", "v"])
    assert (args.action, args.key, args.value) == ("set", "KEY", "v")


class FakeClient:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def set_config(self, *args: Any) -> dict[str, Any]:
        self.calls.append(args)
        return {"restarting": True}


def test_value_flag_works_but_warns(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    client = FakeClient()
    monkeypatch.setattr("spacehost.cli.main._client", lambda _args: client)
    assert main(["secrets", "set", "a/b", "KEY", "--value", "v1"]) == 0
    first = capsys.readouterr()
    assert "shell history" in first.err and client.calls[0][1:4] == ("secrets", "KEY", "v1")
    monkeypatch.setattr("sys.stdin", io.StringIO("from-stdin\n"))
    assert main(["secrets", "set", "a/b", "KEY"]) == 0
    assert client.calls[1][1:4] == ("secrets", "KEY", "from-stdin")
    second = capsys.readouterr()
    assert "shell history" not in second.err and "from-stdin" not in second.out + second.err
    assert "restarting a/b" in second.out


def test_missing_key_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["secrets", "rm", "a/b"]) == 2
    assert "needs a KEY" in capsys.readouterr().err
