"""Token, session and ticket values: made from the OS's randomness, stored only as hashes.

Tokens look like Hugging Face's (``hf_`` + 34 letters and digits), so secret scanners that know
HF tokens find a leaked spacehost token too. A token has ~200 bits of randomness, so a plain
SHA-256 is the right stored form (a slow password hash buys nothing and costs every request).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

_ALPHABET = string.ascii_letters + string.digits
TOKEN_PREFIX = "hf_"
TOKEN_LENGTH = 34


def new_token() -> str:
    return TOKEN_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(TOKEN_LENGTH))


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def digest(value: str) -> str:
    """The stored form of a token or session id."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
