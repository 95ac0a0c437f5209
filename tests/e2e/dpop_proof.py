"""DPoP proofs made by a real client library (jwcrypto), for tests/e2e/dpop.test.mjs.

stdin: {"keys": {"name": "EC" | "OKP" | <private JWK>}, "proofs": [{"key": "name",
        "claims": {...}, "header": {...overrides...}, "private_jwk_in_header": bool,
        "alg": "none" | "HS256" (unsigned or MAC'd proof, which no gate may accept)}]}
stdout: {"keys": {"name": {"jwk": <private JWK>, "jkt": <RFC 7638 thumbprint>}},
         "proofs": ["<compact JWS>", ...]}
"""
import base64
import json
import sys

from jwcrypto import jwk, jws


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def key_for(spec):
    if spec == "EC":
        return jwk.JWK.generate(kty="EC", crv="P-256")
    if spec == "OKP":
        return jwk.JWK.generate(kty="OKP", crv="Ed25519")
    return jwk.JWK(**spec)


def main():
    req = json.load(sys.stdin)
    keys = {name: key_for(spec) for name, spec in req.get("keys", {}).items()}
    proofs = []
    for p in req.get("proofs", []):
        key = keys[p["key"]]
        alg = "ES256" if key.export_public(as_dict=True)["kty"] == "EC" else "EdDSA"
        public = key.export_private(as_dict=True) if p.get("private_jwk_in_header") else key.export_public(as_dict=True)
        header = {"typ": "dpop+jwt", "alg": p.get("alg", alg), "jwk": public, **p.get("header", {})}
        payload = json.dumps(p["claims"]).encode()
        if header["alg"] == "none":
            proofs.append(f"{b64(json.dumps(header).encode())}.{b64(payload)}.")
            continue
        signer = key
        if header["alg"] == "HS256":
            signer = jwk.JWK(kty="oct", k=b64(b"0" * 32))
        token = jws.JWS(payload)
        token.allowed_algs = [header["alg"]]
        token.add_signature(signer, None, protected=json.dumps(header))
        proofs.append(token.serialize(compact=True))
    out = {
        "keys": {n: {"jwk": k.export_private(as_dict=True), "jkt": k.thumbprint()} for n, k in keys.items()},
        "proofs": proofs,
    }
    json.dump(out, sys.stdout)


main()
