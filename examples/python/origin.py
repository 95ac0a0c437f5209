#!/usr/bin/env python3
"""An origin behind Portcullis that checks the identity assertion with PyJWT (>= 2.8)
before trusting any X-Portcullis-* header.

    PORTCULLIS_ORIGIN_KEY="$(cat origin-ring.json)" ORIGIN_URL=https://origin.example \\
        PORT=8788 python3 examples/python/origin.py

Environment: PORTCULLIS_ORIGIN_KEY (the gate's secret of that name: a JWK Set or one JWK),
ORIGIN_URL (the gate's setting of that name: the URL the gate forwards to), PORT (0 picks a
free one). Prints "listening on http://127.0.0.1:PORT". Answers 200 with the verified claims
as JSON, or 401 naming why the assertion was refused.
"""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import jwt

LEEWAY_S = 5  # clock skew between the gate and this origin


def origin_keys(text: str) -> list[dict]:
    """The JWKs of PORTCULLIS_ORIGIN_KEY: a JWK Set (a ring in rotation) or one JWK."""
    doc = json.loads(text)
    return doc.get("keys", [doc])


def expected_htu(origin_url: str, raw_target: str) -> str:
    """htu as the gate computes it: ORIGIN_URL's scheme://authority exactly as written (a
    default port the gate keeps too) and the request-target's path exactly as received (still
    percent-encoded), without the query."""
    u = urlsplit(origin_url)
    return f"{u.scheme}://{u.netloc}{raw_target.split('?', 1)[0]}"


def verify_assertion(keys: list[dict], method: str, htu: str, assertion: str | None) -> dict:
    """The verified claims, or a jwt.PyJWTError / PermissionError saying why not."""
    if not assertion:
        raise PermissionError("no X-Portcullis-Assertion: the request did not come through the gate")
    kid = jwt.get_unverified_header(assertion).get("kid")
    # By kid while a ring rotates; a ring of one key may have none.
    jwk = keys[0] if kid is None and len(keys) == 1 else next((k for k in keys if k.get("kid") == kid), None)
    if jwk is None:
        raise PermissionError(f"unknown assertion key {kid!r}")
    claims = jwt.decode(assertion, jwt.PyJWK(jwk, algorithm="HS256").key, algorithms=["HS256"],
                        issuer="portcullis", leeway=LEEWAY_S,
                        options={"require": ["exp", "iat", "htm", "htu"]})
    if claims["htm"] != method or claims["htu"] != htu:
        raise PermissionError("assertion is for another request")
    return claims


def serve(keys: list[dict], origin_url: str, port: int) -> None:
    class Handler(BaseHTTPRequestHandler):
        def answer(self) -> None:
            try:
                claims = verify_assertion(keys, self.command, expected_htu(origin_url, self.path),
                                          self.headers.get("X-Portcullis-Assertion"))
                status, body = 200, {"verified_by": "python", "sub": claims.get("sub"),
                                     "scope": claims.get("scope"), "htu": claims["htu"]}
            except (jwt.PyJWTError, PermissionError) as e:
                status, body = 401, {"verified_by": "python", "error": str(e)}
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = answer

        def log_message(self, *_args) -> None:  # quiet: the gate keeps the audit trail
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    origin_url = os.environ.get("ORIGIN_URL")
    if not origin_url or "PORTCULLIS_ORIGIN_KEY" not in os.environ:
        print("usage: PORTCULLIS_ORIGIN_KEY=<JWK or JWK Set> ORIGIN_URL=<url> [PORT=n] origin.py",
              file=sys.stderr)
        sys.exit(2)
    serve(origin_keys(os.environ["PORTCULLIS_ORIGIN_KEY"]), origin_url, int(os.environ.get("PORT", "8788")))
