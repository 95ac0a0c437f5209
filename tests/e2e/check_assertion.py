#!/usr/bin/env python3
"""Verify a Portcullis identity assertion the way an origin would, with PyJWT.

Usage: check_assertion.py HTM HTU SUB SCOPE JTI  < {"jwk": {...origin key...}, "assertion": "..."}

The key and the assertion come on stdin (secrets stay off the command line); the expected
method, URL, subject, scope and token id are arguments. Exits 0 and prints the claims when the
assertion verifies (HS256 only, unexpired) and binds exactly those values with a lifetime of
at most 60 seconds; exits 1 naming the first mismatch otherwise.
"""
import json
import sys

import jwt

MAX_LIFETIME_S = 60


def main() -> int:
    if len(sys.argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    htm, htu, sub, scope, jti = sys.argv[1:]
    data = json.load(sys.stdin)
    key = jwt.PyJWK(data["jwk"]).key
    try:
        claims = jwt.decode(
            data["assertion"],
            key,
            algorithms=["HS256"],
            issuer="portcullis",
            options={"require": ["exp", "iat", "sub"]},  # as the README's origin example
        )
    except jwt.PyJWTError as e:
        print(f"assertion rejected: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    expected = {"htm": htm, "htu": htu, "sub": sub, "scope": scope, "jti": jti}
    for name, want in expected.items():
        if claims.get(name) != want:
            print(f"{name}: expected {want!r}, got {claims.get(name)!r}", file=sys.stderr)
            return 1
    lifetime = claims["exp"] - claims["iat"]
    if not 0 < lifetime <= MAX_LIFETIME_S:
        print(f"lifetime {lifetime}s is outside (0, {MAX_LIFETIME_S}]", file=sys.stderr)
        return 1
    print(json.dumps(claims, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
