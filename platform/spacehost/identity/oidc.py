"""Sign-in through an OpenID Connect provider (the team's own: Keycloak, Authentik, Dex, Google
Workspace, Entra ID …): the authorization-code flow with PKCE (S256), state and nonce, and the ID
token checked by PyJWT (signature against the provider's JWKS, issuer, audience, expiry, nonce).

PyJWT (with ``cryptography``, already a dependency) is the well-kept JOSE library the flow needs;
the flow itself is a few HTTP calls, done with ``requests`` by the caller (``api/oidc.py``).
Pure apart from PyJWT's JWKS client, which fetches the provider's keys (cached).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import jwt

from spacehost.errors import Unauthorized

_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")
SCOPES = "openid profile email"


@dataclass(frozen=True)
class Provider:
    """What discovery (``/.well-known/openid-configuration``) says about a provider."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str

    @classmethod
    def from_discovery(cls, doc: dict[str, Any]) -> Provider:
        try:
            return cls(
                str(doc["issuer"]).rstrip("/"),
                str(doc["authorization_endpoint"]),
                str(doc["token_endpoint"]),
                str(doc["jwks_uri"]),
            )
        except KeyError as exc:
            raise Unauthorized(
                f"the sign-in provider's discovery document has no {exc.args[0]!r}",
                hint="check SPACEHOST_OIDC_ISSUER (docs/accounts.md)",
            ) from exc


@dataclass(frozen=True)
class Pending:
    """A sign-in under way, kept in a signed cookie between the redirect and the callback."""

    state: str
    nonce: str
    verifier: str
    next: str


def challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def start(provider: Provider, client_id: str, redirect_uri: str, nxt: str) -> tuple[str, Pending]:
    """The provider's authorization URL to send the browser to, and what to keep until it
    comes back."""
    pending = Pending(
        secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48), nxt
    )
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": SCOPES,
            "state": pending.state,
            "nonce": pending.nonce,
            "code_challenge": challenge(pending.verifier),
            "code_challenge_method": "S256",
        }
    )
    sep = "&" if "?" in provider.authorization_endpoint else "?"
    return f"{provider.authorization_endpoint}{sep}{query}", pending


def verify_id_token(
    id_token: str, provider: Provider, client_id: str, nonce: str, keys: jwt.PyJWKClient
) -> dict[str, Any]:
    """The ID token's claims, once its signature, issuer, audience, expiry and nonce hold."""
    try:
        key = keys.get_signing_key_from_jwt(id_token)
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key.key,
            algorithms=["RS256", "ES256", "PS256", "EdDSA"],
            audience=client_id,
            issuer=provider.issuer,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            leeway=30,
        )
    except jwt.PyJWTError as exc:
        raise Unauthorized(
            f"the sign-in provider's ID token was refused: {exc}",
            hint="try signing in again; an operator should check the provider's settings",
        ) from exc
    if claims.get("nonce") != nonce:
        raise Unauthorized(
            "the sign-in provider's answer is not for this sign-in", hint="sign in again"
        )
    return claims


def user_name(claims: dict[str, Any]) -> str:
    """A platform user name from the claims: ``preferred_username``, else the e-mail's local
    part, else the subject; letters, digits, ``-``, ``_``, ``.`` only."""
    raw = str(
        claims.get("preferred_username")
        or str(claims.get("email", "")).split("@")[0]
        or claims["sub"]
    )
    name = _NAME_CHARS.sub("-", raw).strip("-._")[:90]
    while "--" in name or ".." in name:
        name = name.replace("--", "-").replace("..", ".")
    return name or "user"
