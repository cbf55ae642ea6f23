"""`spacehost pause` and `spacehost sleeptime` call the client and say what happened."""

from __future__ import annotations

from typing import Any

import pytest

from spacehost.cli.main import main
from spacehost.domain import SpaceId


class FakeClient:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def pause(self, space: SpaceId) -> dict[str, Any]:
        self.calls.append(("pause", space))
        return {"stage": "PAUSED"}

    def set_sleeptime(self, space: SpaceId, seconds: int) -> dict[str, Any]:
        self.calls.append(("sleeptime", space, seconds))
        return {"gcTimeout": None if seconds == -1 else seconds}


def test_pause_and_sleeptime(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    client = FakeClient()
    monkeypatch.setattr("spacehost.cli.main._client", lambda _args: client)
    assert main(["pause", "a/b"]) == 0
    assert "spacehost restart a/b" in capsys.readouterr().out
    assert main(["sleeptime", "a/b", "600"]) == 0
    assert "sleeps after 600 s" in capsys.readouterr().out
    assert main(["sleeptime", "a/b", "-1"]) == 0
    assert "never sleeps" in capsys.readouterr().out
    space = SpaceId("a", "b")
    assert client.calls == [("pause", space), ("sleeptime", space, 600), ("sleeptime", space, -1)]
