"""A small OpenID Connect provider for tests of single sign-on: discovery, an authorization
endpoint that approves at once as a configured person, a token endpoint that checks the client's
secret and the PKCE verifier, and RS256 ID tokens whose keys are published as a JWKS."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_ID, CLIENT_SECRET = "spacehost-test", "s3cret-of-the-client"
KID = "test-key"


@dataclass
class Provider:
    """The provider's state: who signs in next, the codes it handed out, its key."""

    person: dict[str, Any] = field(
        default_factory=lambda: {
            "sub": "u-1",
            "preferred_username": "dora",
            "email": "dora@lab.example",
            "name": "Dora",
        }
    )
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    # what ID tokens are signed with: the published key, unless a test plays an impostor
    impostor: rsa.RSAPrivateKey | None = None
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    issuer: str = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/.well-known/openid-configuration", self.discovery)
        app.router.add_get("/authorize", self.authorize)
        app.router.add_post("/token", self.token)
        app.router.add_get("/jwks", self.jwks)
        return app

    async def discovery(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
            }
        )

    async def authorize(self, request: web.Request) -> web.StreamResponse:
        q = request.query
        if q.get("client_id") != CLIENT_ID or q.get("code_challenge_method") != "S256":
            return web.json_response({"error": "invalid_request"}, status=400)
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "nonce": q["nonce"],
            "challenge": q["code_challenge"],
            "redirect_uri": q["redirect_uri"],
            "person": dict(self.person),
        }
        raise web.HTTPFound(f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}")

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        auth = base64.b64decode(request.headers.get("Authorization", "Basic ")[6:]).decode()
        grant = self.codes.pop(str(form.get("code", "")), None)
        verifier = str(form.get("code_verifier", ""))
        digest = hashlib.sha256(verifier.encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        if (
            auth != f"{CLIENT_ID}:{CLIENT_SECRET}"
            or grant is None
            or grant["challenge"] != challenge
        ):
            return web.json_response({"error": "invalid_grant"}, status=400)
        now = int(time.time())
        claims = {
            **grant["person"],
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
        }
        id_token = jwt.encode(
            claims, self.impostor or self.key, algorithm="RS256", headers={"kid": KID}
        )
        return web.json_response(
            {"access_token": "unused", "token_type": "Bearer", "id_token": id_token}
        )

    async def jwks(self, request: web.Request) -> web.Response:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return web.json_response({"keys": [{**jwk, "kid": KID, "use": "sig", "alg": "RS256"}]})
