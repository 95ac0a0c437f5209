#!/usr/bin/env python3
"""Interop between `portcullis` and PyJWT for one key set and algorithm.

Usage: pyjwt_interop.py PORTCULLIS_BIN KEYS_FILE ALG

Prints one `PASS <check>` or `FAIL <check>: <why>` line per check and exits non-zero if any
check failed. Run through tests/interop/run.sh.
"""

import base64
import json
import subprocess
import sys
import time

import jwt  # PyJWT

AUD = "interop-api"
ISS = "https://issuer.interop.example"

failures = 0


def report(name, ok, why=""):
    global failures
    if ok:
        print(f"PASS pyjwt {name}")
    else:
        failures += 1
        print(f"FAIL pyjwt {name}: {why}")


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url_encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def tamper(token):
    """Same header and signature, a payload whose `sub` now says mallory."""
    header, payload, signature = token.split(".")
    claims = json.loads(b64url_decode(payload))
    claims["sub"] = "mallory"
    forged = b64url_encode(json.dumps(claims, separators=(",", ":")).encode())
    return f"{header}.{forged}.{signature}"


def portcullis(binary, *args):
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=30)


def main():
    binary, keys_file, alg = sys.argv[1:4]
    with open(keys_file) as f:
        jwk = json.load(f)["keys"][0]
    assert jwk["alg"] == alg, f"{keys_file} holds a {jwk['alg']} key, not {alg}"
    key = b64url_decode(jwk["k"])
    kid = jwk["kid"]
    now = int(time.time())

    # 1. PyJWT mints; portcullis verifies and returns the same claims.
    claims = {
        "sub": "py-user",
        "aud": AUD,
        "iss": ISS,
        "iat": now,
        "exp": now + 300,
        "scope": "read write",
        "tenant": "acme",
        "limits": {"rps": 10, "burst": True},
    }
    token = jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})
    run = portcullis(binary, "verify", "--keys", keys_file, "--audience", AUD, "--issuer", ISS, token)
    if run.returncode != 0:
        report(f"{alg} pyjwt-mint -> portcullis-verify", False, f"exit {run.returncode}: {run.stderr.strip()}")
    else:
        got = json.loads(run.stdout)
        report(f"{alg} pyjwt-mint -> portcullis-verify", got == claims, f"claims differ: {got} != {claims}")

    # 2. A tampered PyJWT token: portcullis rejects it with exit 1.
    run = portcullis(binary, "verify", "--keys", keys_file, "--audience", AUD, tamper(token))
    report(
        f"{alg} pyjwt-mint tampered -> portcullis rejects",
        run.returncode == 1 and "(bad_signature)" in run.stderr,
        f"exit {run.returncode}: {run.stderr.strip()}",
    )

    # 3. portcullis mints; PyJWT verifies and reads the same claims.
    run = portcullis(
        binary, "mint", "--keys", keys_file, "--sub", "cli-user", "--aud", AUD, "--iss", ISS,
        "--scope", "read", "--ttl", "5m", "--claim", "tenant=acme", "--claim", "tier=3",
    )
    if run.returncode != 0:
        report(f"{alg} portcullis-mint -> pyjwt-verify", False, f"mint exit {run.returncode}: {run.stderr.strip()}")
        return
    minted = run.stdout.strip()
    try:
        header = jwt.get_unverified_header(minted)
        got = jwt.decode(minted, key, algorithms=[alg], audience=AUD, issuer=ISS)
        expected = {"sub": "cli-user", "aud": AUD, "iss": ISS, "scope": "read", "tenant": "acme", "tier": 3}
        ok = all(got.get(k) == v for k, v in expected.items()) and got["exp"] - got["iat"] == 300
        ok = ok and header.get("alg") == alg and header.get("kid") == kid
        report(f"{alg} portcullis-mint -> pyjwt-verify", ok, f"claims {got}, header {header}")
    except jwt.PyJWTError as e:
        report(f"{alg} portcullis-mint -> pyjwt-verify", False, f"{type(e).__name__}: {e}")

    # 4. A tampered portcullis token: PyJWT rejects its signature.
    try:
        jwt.decode(tamper(minted), key, algorithms=[alg], audience=AUD, issuer=ISS)
        report(f"{alg} portcullis-mint tampered -> pyjwt rejects", False, "accepted")
    except jwt.InvalidSignatureError:
        report(f"{alg} portcullis-mint tampered -> pyjwt rejects", True)
    except jwt.PyJWTError as e:
        report(f"{alg} portcullis-mint tampered -> pyjwt rejects", False, f"wrong error {type(e).__name__}: {e}")


if __name__ == "__main__":
    main()
    sys.exit(1 if failures else 0)
