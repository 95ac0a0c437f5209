"""Python's authlib (a well-known OAuth client) completes the refresh and client-credentials
flows against the running gate. Reads {"base", "issuer", "admin"} as JSON on stdin; prints
PASS/FAIL lines and exits non-zero on any failure."""
import json
import sys

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.integrations.base_client import OAuthError

d = json.load(sys.stdin)
base, prefix = d["base"], "/_portcullis"
token_url = base + prefix + "/token"
failed = 0


def check(name, ok, detail=""):
    global failed
    print(("PASS " if ok else "FAIL ") + name + (f": {detail}" if detail and not ok else ""))
    failed += 0 if ok else 1


# The login application opens a grant for a public client named "portal", zero grace.
opened = requests.post(
    base + prefix + "/grants",
    headers={"authorization": "Bearer " + d["issuer"]},
    json={"sub": "alice", "scope": "orders:read orders:write", "client_id": "portal", "grace_s": 0},
    timeout=10,
)
check("grant opened", opened.status_code == 200, opened.text)
first = opened.json()

updates = []
session = OAuth2Session(
    client_id="portal",
    token=first,
    token_endpoint_auth_method="none",
    update_token=lambda token, refresh_token=None, access_token=None: updates.append(token),
)
renewed = session.refresh_token(token_url, refresh_token=first["refresh_token"], scope="orders:read")
check("authlib refresh rotates", renewed["refresh_token"] != first["refresh_token"], str(renewed.keys()))
check("authlib refresh narrows scope", renewed.get("scope") == "orders:read", str(renewed.get("scope")))
res = session.get(base + "/orders/1", timeout=10)
check("refreshed access token passes the gate", res.status_code == 200, str(res.status_code))

try:
    OAuth2Session(client_id="portal", token_endpoint_auth_method="none").refresh_token(
        token_url, refresh_token=first["refresh_token"]
    )
    check("reuse is refused", False, "no error")
except OAuthError as e:
    check("reuse is refused with invalid_grant", e.error == "invalid_grant", e.error)

# An API key exchanged with client_credentials (client_secret_basic, authlib's default).
created = requests.post(
    base + prefix + "/api-keys",
    headers={"authorization": "Bearer " + d["admin"]},
    json={"sub": "svc", "scope": "orders:read"},
    timeout=10,
)
check("api key created", created.status_code == 201, created.text)
key = created.json()
client = OAuth2Session(client_id=key["id"], client_secret=key["key"], scope="orders:read")
tok = client.fetch_token(token_url, grant_type="client_credentials")
check("authlib client_credentials gets a token", bool(tok.get("access_token")), str(tok.keys()))
res = client.get(base + "/orders/1", timeout=10)
check("client-credentials token passes the gate", res.status_code == 200, str(res.status_code))

try:
    OAuth2Session(client_id=key["id"], client_secret=key["key"][:-1] + ("1" if key["key"].endswith("0") else "0")).fetch_token(
        token_url, grant_type="client_credentials"
    )
    check("a mistyped key is refused", False, "no error")
except OAuthError as e:
    check("a mistyped key is refused with invalid_client", e.error == "invalid_client", e.error)

print(f"authlib: {failed} failed")
sys.exit(1 if failed else 0)
