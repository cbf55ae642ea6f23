"""The Xet routes' credentials: the access token the token route issues and the signed xorb
URLs a reconstruction hands out. Pure functions of a key, a clock value and the request's words.

A *write* token (scope :data:`WRITE`, issued only to those who may write to the repo) is what
the CAS upload routes take (spacehost.api.xetupload).

Hub reads are public, so anyone may ask for a read token; what the token and the signatures guard
is the work behind them: a reconstruction, and a xorb file written on its first download. Only a
client that went through the protocol (token route, then the CAS with ``Authorization: Bearer``)
gets xorb URLs, and those name one file id and expire, like the presigned URLs huggingface.co
answers (``hf_xet`` sends no token to them).

Both are ``HMAC-SHA256(key, purpose:subject:expires)``; the key is derived from the platform's
own token, so they stay valid across a restart of the control plane and cannot be forged
without that token.
"""

from __future__ import annotations

import hashlib
import hmac
import re

TOKEN_TTL_S = 24 * 3600
WRITE_TOKEN_TTL_S = 3600  # hf_xet asks for a new one (token_refresh_url) before it expires
READ, WRITE = "", "write"  # the scopes of a token (a read token's MAC is what it always was)
BUCKET = "bucket"  # reads of bucket files (api/bucketfiles.py), whatever SPACEHOST_HUB_XET says
URL_TTL_S = 3600  # hf_xet fetches a reconstruction's xorbs right after asking for it
_TOKEN = re.compile(r"^(\d{1,12})\.([0-9a-f]{64})$")


def derive_key(platform_token: str) -> bytes:
    """The signing key for Xet credentials, derived from the platform's token."""
    return hmac.new(
        platform_token.encode(), b"spacehost xet credentials v1", hashlib.sha256
    ).digest()


def _mac(key: bytes, purpose: str, subject: str, expires: int) -> str:
    return hmac.new(key, f"{purpose}:{subject}:{expires}".encode(), hashlib.sha256).hexdigest()


def issue_token(
    key: bytes, now: float, ttl: int = TOKEN_TTL_S, scope: str = READ
) -> tuple[str, int]:
    """A new access token for *scope* (:data:`READ` or :data:`WRITE`) and its expiry (a Unix
    time). A read token is not a write token, nor the other way round."""
    expires = int(now) + ttl
    return f"{expires}.{_mac(key, 'token', scope, expires)}", expires


def token_valid(key: bytes, authorization: str, now: float, scope: str = READ) -> bool:
    """Whether an ``Authorization`` header carries an unexpired token of *scope* from
    :func:`issue_token`."""
    scheme, _, token = authorization.partition(" ")
    m = _TOKEN.match(token.strip())
    if scheme.lower() != "bearer" or not m:
        return False
    expires = int(m.group(1))
    return expires > now and hmac.compare_digest(m.group(2), _mac(key, "token", scope, expires))


def sign_xorb(key: bytes, file_id: str, now: float, ttl: int = URL_TTL_S) -> dict[str, str]:
    """The query that lets one GET of ``/xet/xorbs/{file_id}`` through until it expires."""
    expires = int(now) + ttl
    return {"expires": str(expires), "signature": _mac(key, "xorb", file_id, expires)}


def xorb_signed(key: bytes, file_id: str, expires: str, signature: str, now: float) -> bool:
    """Whether *expires* and *signature* (a xorb URL's query) are valid for *file_id*."""
    if not expires.isdigit() or len(expires) > 12 or int(expires) <= now:
        return False
    return hmac.compare_digest(
        signature.encode(), _mac(key, "xorb", file_id, int(expires)).encode()
    )
