"""Encryption of secret values at rest (Fernet: AES-128-CBC + HMAC-SHA256, from ``cryptography``).

The key comes from ``SPACEHOST_SECRET_KEY`` when set, else from ``secret.key`` in the data dir,
made on first use and readable by its owner only. The database holds ciphertext only; anyone
with the database but without the key learns the secrets' names, not their values.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from spacehost.errors import InvalidRequest, SpacehostError

KEY_FILE = "secret.key"


def check_key(key: str) -> str:
    """Return *key* if it is a usable Fernet key, else raise :class:`InvalidRequest`."""
    try:
        Fernet(key.strip().encode())
    except (ValueError, TypeError) as exc:
        raise InvalidRequest(
            "SPACEHOST_SECRET_KEY is not a valid key (32 url-safe base64-encoded bytes)",
            hint="make one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'",
        ) from exc
    return key.strip()


def _read_or_create(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: of two processes starting at once, one makes the key and the other reads it
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    key = Fernet.generate_key().decode()
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key


class SecretCipher:
    """Encrypts and decrypts secret values; the key is loaded (or made) on first use.

    Args:
        key_file: where the key lives when *key* is empty (``DATA_DIR/secret.key``).
        key: a Fernet key given by the operator (``SPACEHOST_SECRET_KEY``); wins over the file.
    """

    def __init__(self, key_file: Path, key: str = ""):
        self.key_file = key_file
        self._given = key
        self._fernet: Fernet | None = None
        self._lock = threading.Lock()

    def _get(self) -> Fernet:
        with self._lock:
            if self._fernet is None:
                key = check_key(self._given) if self._given else _read_or_create(self.key_file)
                self._fernet = Fernet(key.encode())
            return self._fernet

    def encrypt(self, value: str) -> str:
        return self._get().encrypt(value.encode()).decode("ascii")

    def decrypt(self, token: str, *, name: str = "a secret") -> str:
        """Raises SpacehostError when the key is not the one *token* was made with."""
        try:
            return self._get().decrypt(token.encode("ascii")).decode()
        except InvalidToken as exc:
            raise SpacehostError(
                f"cannot decrypt {name}: the secret key is not the one it was stored with",
                hint=f"restore {self.key_file} (or SPACEHOST_SECRET_KEY), or set the secret again",
            ) from exc
