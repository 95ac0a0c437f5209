#!/usr/bin/env python3
"""Verify a Portcullis identity assertion the way an origin would, with PyJWT.

Usage: check_assertion.py  < {"jwk": {...origin key...}, "assertion": "...",
                              "expect": {"htm": ..., "htu": ..., "sub": ..., "scope": ..., "jti": ...}}

Everything comes on stdin (secrets stay off the command line). Exits 0 and prints the claims
when the assertion verifies as examples/python/origin.py does it (HS256 only, issuer
"portcullis", exp, iat, htm and htu required) and binds exactly the expected values, where a
null expectation means the claim must be absent (a token without sub, scope or jti), with a
lifetime of at most 60 seconds; exits 1 naming the first mismatch otherwise.
"""
import json
import sys

import jwt

MAX_LIFETIME_S = 60
ABSENT = object()


def main() -> int:
    if len(sys.argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    data = json.load(sys.stdin)
    key = jwt.PyJWK(data["jwk"]).key
    try:
        claims = jwt.decode(
            data["assertion"],
            key,
            algorithms=["HS256"],
            issuer="portcullis",
            options={"require": ["exp", "iat", "htm", "htu"]},  # as examples/python/origin.py
        )
    except jwt.PyJWTError as e:
        print(f"assertion rejected: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    for name in ("htm", "htu", "sub", "scope", "jti"):
        want = data["expect"].get(name)
        got = claims.get(name, ABSENT)
        if want is None:
            if got is not ABSENT:
                print(f"{name}: expected no claim, got {got!r}", file=sys.stderr)
                return 1
        elif got != want:
            print(f"{name}: expected {want!r}, got {None if got is ABSENT else got!r}", file=sys.stderr)
            return 1
    lifetime = claims["exp"] - claims["iat"]
    if not 0 < lifetime <= MAX_LIFETIME_S:
        print(f"lifetime {lifetime}s is outside (0, {MAX_LIFETIME_S}]", file=sys.stderr)
        return 1
    print(json.dumps(claims, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
