"""Variables and secrets in the store: encryption at rest, the key file, round trips."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from spacehost.domain import SpaceId
from spacehost.errors import InvalidRequest, SpacehostError
from spacehost.settings import Settings
from spacehost.store import SecretCipher, SpaceConfig, Store
from spacehost.store.cipher import check_key

SPACE = SpaceId("alice", "demo")
PLAIN = "sk-live-0123456789abcdef-PLAINTEXT"


def make(tmp_path: Path, key: str = "") -> tuple[Store, SpaceConfig]:
    store = Store(tmp_path / "spacehost.db")
    return store, SpaceConfig(store, SecretCipher(tmp_path / "secret.key", key))


def db_bytes(tmp_path: Path) -> bytes:
    """Every byte SQLite has written: the database, its WAL and shared-memory files."""
    return b"".join(p.read_bytes() for p in tmp_path.glob("spacehost.db*"))


def test_secret_round_trip_and_ciphertext_only_on_disk(tmp_path: Path) -> None:
    store, config = make(tmp_path)
    entry = config.set_secret(SPACE, "OPENAI_API_KEY", PLAIN, "the model API key")
    assert entry.value is None and entry.description == "the model API key"
    assert config.secret_values(SPACE) == {"OPENAI_API_KEY": PLAIN}
    assert [e.key for e in config.secrets(SPACE)] == ["OPENAI_API_KEY"]
    assert all(e.value is None for e in config.secrets(SPACE))
    stored = store.query("SELECT value FROM config WHERE key = 'OPENAI_API_KEY'")[0][0]
    assert (
        PLAIN not in stored
        and Fernet((tmp_path / "secret.key").read_text().strip().encode())
        .decrypt(stored.encode())
        .decode()
        == PLAIN
    )
    store.close()  # checkpoints the WAL into the main file too
    assert PLAIN.encode() not in db_bytes(tmp_path)
    assert b"OPENAI_API_KEY" in db_bytes(tmp_path)  # the name is not secret


def test_plaintext_never_reaches_the_wal_while_open(tmp_path: Path) -> None:
    store, config = make(tmp_path)
    config.set_secret(SPACE, "TOKEN", PLAIN)
    config.set_secret(SPACE, "TOKEN", PLAIN + "-2")
    assert PLAIN.encode() not in db_bytes(tmp_path)
    store.close()


def test_key_file_is_made_on_first_use_with_mode_0600(tmp_path: Path) -> None:
    store, config = make(tmp_path)
    config.set_variable(SPACE, "MODE", "fast")
    assert not (tmp_path / "secret.key").exists()  # variables need no key
    config.set_secret(SPACE, "TOKEN", PLAIN)
    mode = stat.S_IMODE((tmp_path / "secret.key").stat().st_mode)
    assert mode == 0o600
    # a second store on the same data dir (a restarted platform) reads the same key
    store2, config2 = make(tmp_path)
    assert config2.secret_values(SPACE) == {"TOKEN": PLAIN}
    store.close()
    store2.close()


def test_operator_key_wins_over_the_file_and_a_wrong_key_fails_clearly(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    store, config = make(tmp_path, key)
    config.set_secret(SPACE, "TOKEN", PLAIN)
    assert not (tmp_path / "secret.key").exists()
    _, other = make(tmp_path, Fernet.generate_key().decode())
    with pytest.raises(SpacehostError, match="cannot decrypt secret TOKEN of alice/demo"):
        other.secret_values(SPACE)
    store.close()


def test_invalid_operator_key_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="SPACEHOST_SECRET_KEY"):
        check_key("not-a-key")
    assert Settings.from_env({"SPACEHOST_SECRET_KEY": "k"}).secret_key == "k"
    assert "hidden-key-value" not in repr(Settings(secret_key="hidden-key-value"))


def test_variables_keep_description_unless_given_and_delete(tmp_path: Path) -> None:
    store, config = make(tmp_path)
    config.set_variable(SPACE, "MODEL", "small", "which model")
    config.set_variable(SPACE, "MODEL", "large")
    (entry,) = config.variables(SPACE)
    assert (entry.key, entry.value, entry.description) == ("MODEL", "large", "which model")
    config.set_variable(SPACE, "MODEL", "large", "")
    assert config.variables(SPACE)[0].description == ""
    assert config.delete(SPACE, "variable", "MODEL") is True
    assert config.delete(SPACE, "variable", "MODEL") is False
    assert config.variables(SPACE) == []
    store.close()


def test_environment_merges_variables_and_secrets_and_delete_space_clears(tmp_path: Path) -> None:
    store, config = make(tmp_path)
    other = SpaceId("bob", "demo")
    config.set_variable(SPACE, "A", "1")
    config.set_variable(SPACE, "SAME", "from-variable")
    config.set_secret(SPACE, "SAME", "from-secret")
    config.set_secret(other, "B", "2")
    assert config.environment(SPACE) == {"A": "1", "SAME": "from-secret"}
    config.copy_variables(SPACE, SpaceId("carol", "copy"))
    assert config.environment(SpaceId("carol", "copy")) == {"A": "1", "SAME": "from-variable"}
    store.delete_space(SPACE)
    assert config.environment(SPACE) == {} and config.environment(other) == {"B": "2"}
    store.close()
