#!/usr/bin/env python3
"""Rebuilds the seed corpora in fuzz/seeds/<target>/ deterministically (standard library only).

Keys and clock match fuzz/src/lib.rs (KEYS_JWKS, NOW). The project's own tables come from
tests/vectors/ (attacks.json, paths.json, admin_bodies.json; see its README), so a row added
there reaches the fuzzers on the next run. Run from anywhere:
    python3 fuzz/seeds/generate.py
"""
import base64, hashlib, hmac, json, os, shutil

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "..", "tests", "vectors")
NOW = 1_700_000_000
KEYS = {"a": ("HS256", b"a" * 32, hashlib.sha256),
        "b": ("HS512", b"b" * 64, hashlib.sha512),
        "c": ("HS384", b"c" * 48, hashlib.sha384)}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compact(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def sign(kid, header, payload, secret=None):
    alg, key, digest = KEYS[kid]
    text = b64(header) + "." + b64(payload)
    tag = hmac.new(secret or key, text.encode(), digest).digest()
    return text + "." + b64(tag)


def claims(**extra):
    base = {"iss": "https://issuer.example", "aud": "api", "sub": "alice", "jti": "j-1",
            "iat": NOW - 10, "exp": NOW + 600, "scope": "orders:read admin"}
    base.update(extra)
    return base


def vectors(name):
    """A vector file; a missing one is an error, never an empty corpus."""
    with open(os.path.join(VECTORS, name), encoding="utf-8") as f:
        return json.load(f)


def write(target, name, data):
    os.makedirs(os.path.join(HERE, target), exist_ok=True)
    with open(os.path.join(HERE, target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def main():
    for target in ("token", "token_signed", "path", "jwks", "admin"):
        shutil.rmtree(os.path.join(HERE, target), ignore_errors=True)

    # token: valid tokens for each key, and the usual hostile shapes.
    for kid in KEYS:
        hdr = compact({"alg": KEYS[kid][0], "kid": kid, "typ": "JWT"})
        write("token", f"valid-{kid}", sign(kid, hdr, compact(claims())))
    hdr = compact({"alg": "HS256", "kid": "a"})
    write("token", "expired", sign("a", hdr, compact(claims(exp=NOW - 100))))
    write("token", "aud-array", sign("a", hdr, compact(claims(aud=["x", "api"]))))
    write("token", "alg-none", b64(compact({"alg": "none"})) + "." + b64(compact(claims())) + ".")
    write("token", "bad-tag", sign("a", hdr, compact(claims()), secret=b"z" * 32))
    write("token", "dup-member", sign("a", b'{"alg":"HS256","kid":"a","kid":"b"}', compact(claims())))
    write("token", "two-dots", "a.b")
    # The attack table: the first row for each rejection reason (other keys than the
    # fuzzer's, so they exercise everything before the signature check, and that check).
    seen = set()
    for case in vectors("attacks.json")["cases"]:
        code = case["want"]["code"] if case["want"] else "ok"
        if code not in seen:
            seen.add(code)
            write("token", f"attack-{code}", case["token"])

    # token_signed: flags, header length, header, payload.
    def framed(flags, header, payload):
        return bytes([flags, len(header)]) + header + payload
    write("token_signed", "valid-a", framed(0, compact({"alg": "HS256", "kid": "a"}), compact(claims())))
    write("token_signed", "valid-b-auto-header", framed(5, b"", compact(claims())))
    write("token_signed", "valid-c-fractional", framed(6, b"", compact(claims(exp=NOW + 60.5, nbf=NOW - 1.5))))
    write("token_signed", "foreign", framed(3, compact({"alg": "HS256", "kid": "a"}), compact(claims())))
    write("token_signed", "crit", framed(0, compact({"alg": "HS256", "kid": "a", "crit": ["x"]}), compact(claims())))
    write("token_signed", "scope-types", framed(4, b"", compact(claims(scope=7, aud=[1]))))

    # path: a method byte, then the path: a few of the fuzzer's own, then the path table.
    own = ["/health", "/orders/1", "//orders/./1/../2", "/admin", "/ADMIN/x", "/a/x/b", "/upload/",
           "/%61dmin/%2e%2E/admin/", "/x;y=1/%7e", "/health/..;/admin"]
    table = [case["raw"] for case in vectors("paths.json")["cases"]]
    for i, p in enumerate(own + [p for p in table if p not in own]):
        write("path", f"p{i:02}", bytes([i % 6]) + p.encode())

    # jwks: sets the loader accepts and refuses.
    def jwk(kid, alg, key, **extra):
        d = {"kty": "oct", "alg": alg, "k": b64(key)}
        if kid:
            d["kid"] = kid
        d.update(extra)
        return d
    write("jwks", "one-key", compact({"keys": [jwk(None, "HS256", b"k" * 32)]}))
    write("jwks", "rotation", compact({"keys": [
        jwk("old", "HS256", b"o" * 32, key_ops=["verify"]),
        jwk("new", "HS512", b"n" * 64, key_ops=["sign", "verify"], use="sig")]}))
    write("jwks", "weak", compact({"keys": [jwk("w", "HS384", b"w" * 20)]}))
    write("jwks", "duplicate", compact({"keys": [jwk("d", "HS256", b"1" * 32), jwk("d", "HS256", b"2" * 32)]}))
    write("jwks", "single-jwk", compact(jwk("s", "HS256", b"s" * 32)))

    # admin: a mode byte (0 revoke, 1 introspect form, 2 introspect JSON, 3 no type), the body.
    token = sign("a", compact({"alg": "HS256", "kid": "a"}), compact(claims()))
    for i, (mode, body) in enumerate([
            (0, {"jti": "j-1"}), (0, {"sub": "alice", "before": NOW - 5}), (0, {"kid": "a"}),
            (0, {"token": token}), (0, {"jti": "a", "sub": "b"}), (0, {"sub": "s", "before": 1.5}),
            (2, {"token": token, "token_type_hint": "access_token"})]):
        write("admin", f"a{i:02}", bytes([mode]) + compact(body))
    write("admin", "form", b"\x01" + b"token_type_hint=access_token&token=" + token.encode())
    # The admin body table: revoke bodies (mode 0) and introspection bodies by content type.
    bodies = vectors("admin_bodies.json")
    for i, row in enumerate(bodies["revoke"]):
        write("admin", f"revoke-{i:02}", b"\x00" + row["body"].encode())
    modes = {"application/x-www-form-urlencoded": 1, "application/json": 2, None: 3}
    for i, row in enumerate(r for r in bodies["introspect"] if r["content_type"] in modes):
        write("admin", f"introspect-{i:02}", bytes([modes[row["content_type"]]]) + row["body"].encode())


if __name__ == "__main__":
    main()
