"""Where the CLI keeps `spacehost login`'s tokens, and which token it sends: SPACEHOST_TOKEN,
then the login stored for the server, then the platform's token in its data folder."""

from __future__ import annotations

import argparse
import stat
from pathlib import Path

import pytest

from spacehost.cli import connection, tokenstore
from spacehost.errors import InvalidRequest


def test_config_dir_follows_spacehost_config_dir_then_xdg_then_home() -> None:
    assert tokenstore.config_dir({"SPACEHOST_CONFIG_DIR": "/c"}) == Path("/c")
    assert tokenstore.config_dir({"XDG_CONFIG_HOME": "/x"}) == Path("/x/spacehost")
    assert tokenstore.config_dir({}) == Path("~/.config/spacehost").expanduser()


def test_one_token_per_server_stored_for_the_user_only(tmp_path: Path) -> None:
    folder = tmp_path / "cfg"
    path = tokenstore.store("http://127.0.0.1:8000/", "hf_a", folder)
    tokenstore.store("HTTP://Example.org:9000", "hf_b", folder)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert tokenstore.stored("http://127.0.0.1:8000", folder) == "hf_a"
    assert tokenstore.stored("http://example.org:9000/api", folder) == "hf_b"
    assert tokenstore.forget("http://127.0.0.1:8000", folder)
    assert not tokenstore.forget("http://127.0.0.1:8000", folder)
    assert tokenstore.stored("http://127.0.0.1:8000", folder) == ""
    assert tokenstore.stored("http://example.org:9000", folder) == "hf_b"


def test_a_broken_file_or_url_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / tokenstore.FILE).write_text("{not json")
    with pytest.raises(InvalidRequest, match="not readable JSON"):
        tokenstore.stored("http://127.0.0.1:8000", tmp_path)
    with pytest.raises(InvalidRequest, match="not a server URL"):
        tokenstore.server_key("127.0.0.1:8000")


def test_the_token_sent_is_the_env_then_the_login_then_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "token").write_text("sh_operator\n")
    monkeypatch.setenv("SPACEHOST_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.setenv("SPACEHOST_URL", "http://127.0.0.1:8000")
    monkeypatch.delenv("SPACEHOST_TOKEN", raising=False)
    args = argparse.Namespace(server=None, data_dir=str(data))
    assert connection.token_and_source(args)[0] == "sh_operator"
    tokenstore.store("http://127.0.0.1:8000", "hf_login")
    token, source = connection.token_and_source(args)
    assert token == "hf_login" and source.startswith("spacehost login")
    other = argparse.Namespace(server="http://10.0.0.2:8000", data_dir=str(data))
    assert connection.token_and_source(other)[0] == "sh_operator"  # a login is per server
    monkeypatch.setenv("SPACEHOST_TOKEN", "hf_env")
    assert connection.token_and_source(args) == ("hf_env", "SPACEHOST_TOKEN")
