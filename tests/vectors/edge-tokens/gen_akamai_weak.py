#!/usr/bin/env python3
"""Generates akamai_edgeauth2_weak.json: EdgeAuth 2.0 tokens under HMAC-SHA1 and HMAC-MD5.

No public vector file covers these two algorithms, so each token is minted by Akamai's own
reference generator (PyPI `akamai-edgeauth` 0.3.2, `EdgeAuth(algorithm=...)`) and recomputed
independently here with Python's `hmac` over the documented MAC input; the script stops if
the two disagree. Run: python3 -m venv /tmp/v && /tmp/v/bin/pip install akamai-edgeauth==0.3.2
&& /tmp/v/bin/python tests/vectors/edge-tokens/gen_akamai_weak.py \
    > tests/vectors/edge-tokens/akamai_edgeauth2_weak.json
"""

import binascii
import hashlib
import hmac
import json

from akamai.edgeauth import EdgeAuth

# The reference implementation's own test key (as in akamai_edgeauth2.json).
KEY = "7a5c2be9f42a1f32cd889d1cf775f05d0cd162bd2871d00fe705ab28c9bba5a5"
ST, EXP = 1492404013, 1493008813
NOW = 1492404100


def independent(algorithm, token, url, salt, d="~"):
    """HMAC over the fields before `hmac`, then url= and salt=, joined by the delimiter."""
    signed, _, _ = token.rpartition(d + "hmac=")
    parts = [signed] + (["url=" + url] if url else []) + (["salt=" + salt] if salt else [])
    source = d.join(parts)
    mac = hmac.new(binascii.a2b_hex(KEY), source.encode(), getattr(hashlib, algorithm))
    return source, mac.hexdigest()


def case(name, algorithm, token, url=None, salt=None, now=NOW, expect="ok", verify_as=None):
    source, mac = independent(algorithm, token, url, salt)
    assert token.endswith("~hmac=" + mac), (name, token, mac)
    return {
        "name": name,
        "key_hex": KEY,
        "algorithm": algorithm,
        "verify_algorithm": verify_as or algorithm,
        "field_delimiter": "~",
        "token": token,
        "url": url,
        "salt": salt,
        "hmac_input": source,
        "now": now,
        "valid": expect == "ok",
        "expect": expect,
    }


def main():
    cases = []
    for alg in ("sha1", "md5"):
        acl = EdgeAuth(key=KEY, algorithm=alg, start_time=ST, end_time=EXP)
        wildcard = acl.generate_acl_token("/*")
        multi = acl.generate_acl_token(["/path1", "/path2"])
        full = EdgeAuth(
            key=KEY, algorithm=alg, start_time=ST, end_time=1492405000, ip="192.168.0.1",
            session_id="MY_SESSION_ID_E1905##", payload="goodjoon", salt="passwd",
        ).generate_url_token("/target/url")
        cases += [
            case(f"{alg}-acl-wildcard", alg, wildcard),
            case(f"{alg}-multi-acl", alg, multi),
            case(f"{alg}-ip-id-data-url-salt", alg, full, url="/target/url", salt="passwd"),
            case(f"{alg}-expired", alg, wildcard, now=EXP, expect="expired"),
            # A token of this algorithm checked by a gate configured for SHA-256: refused.
            case(f"{alg}-token-under-sha256", alg, wildcard, expect="tampered",
                 verify_as="sha256"),
        ]
    # Tampering breaks the MAC (built by hand: the generator would re-sign).
    for c in [c for c in cases if c["name"].endswith("-acl-wildcard")]:
        t = dict(c)
        t["name"] = c["algorithm"] + "-tampered-acl"
        t["token"] = c["token"].replace("acl=/*", "acl=/x/*")
        t["hmac_input"] = c["hmac_input"].replace("acl=/*", "acl=/x/*")
        t["valid"], t["expect"] = False, "tampered"
        cases.append(t)
    # The SHA-256 reference vector checked by a gate opted into SHA-1 or MD5: still accepted
    # (the opt-in adds an algorithm, so generators can move to SHA-256 one at a time).
    sha256 = EdgeAuth(key=KEY, start_time=ST, end_time=EXP).generate_acl_token("/*")
    assert sha256.endswith("57cef6aa3c30939b3f599ee7b1bda3bd63c58937ff713d605d5139e449e09a3c")
    for alg in ("sha1", "md5"):
        cases.append(case(f"sha256-token-under-{alg}", "sha256", sha256, verify_as=alg))
    # A token of one legacy algorithm checked by a gate opted into the other: refused.
    for alg, other in (("sha1", "md5"), ("md5", "sha1")):
        token = EdgeAuth(key=KEY, algorithm=alg, start_time=ST, end_time=EXP).generate_acl_token("/*")
        cases.append(case(f"{alg}-token-under-{other}", alg, token, expect="tampered",
                          verify_as=other))
    doc = {
        "format": "Akamai EdgeAuth / Auth Token 2.0, HMAC-SHA1 and HMAC-MD5 (opt-in)",
        "provenance": "minted by PyPI akamai-edgeauth 0.3.2 (Akamai's reference generator, "
        "Apache-2.0) and recomputed with Python hmac by gen_akamai_weak.py",
        "key": "hex string, decoded to bytes",
        "fields": "algorithm: what signed the token; verify_algorithm: what the gate is "
        "configured for; expect: ok | expired | tampered",
        "cases": cases,
    }
    print(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
