#!/usr/bin/env python3
"""Issue a Portcullis token with PyJWT (>= 2.8): an HS256/384/512 JWT signed by the signing
key of the gate's key ring, with `kid`, so the gate picks the right key.

    PORTCULLIS_KEYS="$(cat ring.json)" python3 examples/python/issue.py alice "orders:read"

Environment: PORTCULLIS_KEYS (the JWK Set, the gate's secret of that name), and optional
TOKEN_AUDIENCE, TOKEN_ISSUER (must match PORTCULLIS_AUDIENCE / PORTCULLIS_ISSUER when the gate
sets them), TOKEN_TTL_S (default 300; at most the gate's PORTCULLIS_MAX_TTL_S).
Prints the token on stdout.
"""
import json
import os
import secrets
import sys
import time

import jwt


def signing_key(ring: dict) -> dict:
    """The key new tokens are signed with: key_ops include "sign", or the only key."""
    keys = ring.get("keys", [])
    for k in keys:
        if "sign" in k.get("key_ops", []):
            return k
    if len(keys) == 1:
        return keys[0]
    raise ValueError('the key ring has no signing key (key_ops ["sign", "verify"])')


def issue(ring: dict, sub: str, scope: str | None = None, audience: str | None = None,
          issuer: str | None = None, ttl_s: int = 300) -> str:
    jwk = signing_key(ring)
    now = int(time.time())
    claims = {"sub": sub, "iat": now, "exp": now + ttl_s,
              "jti": secrets.token_urlsafe(16)}  # lets one token be revoked by id
    if scope:
        claims["scope"] = scope
    if audience:
        claims["aud"] = audience
    if issuer:
        claims["iss"] = issuer
    headers = {"kid": jwk["kid"]} if "kid" in jwk else None
    return jwt.encode(claims, jwt.PyJWK(jwk).key, algorithm=jwk["alg"], headers=headers)


def main() -> int:
    if len(sys.argv) not in (2, 3) or "PORTCULLIS_KEYS" not in os.environ:
        print('usage: PORTCULLIS_KEYS=<JWK Set> issue.py SUB ["scope1 scope2"]', file=sys.stderr)
        return 2
    print(issue(json.loads(os.environ["PORTCULLIS_KEYS"]), sys.argv[1],
                sys.argv[2] if len(sys.argv) == 3 else None,
                os.environ.get("TOKEN_AUDIENCE"), os.environ.get("TOKEN_ISSUER"),
                int(os.environ.get("TOKEN_TTL_S", "300"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
