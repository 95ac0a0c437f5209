// The token endpoint with DPoP (RFC 9449 section 5), on the real wasm build in workerd: a
// refresh or client_credentials request carrying a proof made by a real client library
// (Python jwcrypto, tests/e2e/dpop_proof.py; ES256 and Ed25519) gets an access token bound to
// the proof's key (`cnf.jkt`, `token_type: DPoP`); the gate then refuses its bearer use and
// accepts it with a proof. A bad proof (wrong htu, wrong htm, replayed) is `invalid_dpop_proof`
// and changes nothing. And the admin rate limit covers the token endpoint: guessing refresh
// tokens costs requests from one address, before any store is asked.
import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ROOT } from "./harness.mjs";
import { nowS, problemOf, startGate } from "./revocation-fixtures.mjs";

const TOKEN_URL = "http://localhost/_portcullis/token";
const ath = (token) => createHash("sha256").update(token).digest("base64url");
const claimsOf = (jwt) => JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString());

function ensureJwcrypto() {
  const probe = spawnSync("python3", ["-c", "import jwcrypto"], { encoding: "utf8" });
  if (probe.status === 0) return;
  const pip = spawnSync("python3", ["-m", "pip", "install", "-q", "jwcrypto>=1.5"], { encoding: "utf8", timeout: 180_000 });
  assert.equal(pip.status, 0, `jwcrypto is needed and could not be installed: ${pip.stderr}`);
}

/** Proofs signed by jwcrypto: `keys` by name, `proofs` as [keyName, claims]. */
function jwcrypto(keys, proofs) {
  const out = spawnSync("python3", [join(ROOT, "tests", "e2e", "dpop_proof.py")], {
    input: JSON.stringify({ keys, proofs: proofs.map(([key, claims]) => ({ key, claims })) }),
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(out.status, 0, out.stderr);
  return JSON.parse(out.stdout);
}

const tokenClaims = (over = {}) => ({ jti: randomUUID(), htm: "POST", htu: TOKEN_URL, iat: nowS(), ...over });

describe("POST /_portcullis/token with a DPoP proof", () => {
  let gate, keys;
  before(async () => {
    ensureJwcrypto();
    gate = await startGate({ grants: true });
    keys = jwcrypto({ ec: "EC", ed: "OKP" }, []).keys;
  });
  after(() => gate?.dispose());

  const tokenWith = (form, proof) => gate.tokenRequest(form, proof ? { dpop: proof } : {});
  /** A proof for a resource request with `token`, by the private key `name`. */
  const resourceProof = (name, token, htu = "http://localhost/orders/1") =>
    jwcrypto({ [name]: keys[name].jwk }, [[name, { jti: randomUUID(), htm: "GET", htu, iat: nowS(), ath: ath(token) }]]).proofs[0];

  test("a refresh with an ES256 proof gets a DPoP-bound token; the gate refuses its bearer use", async () => {
    const grant = await gate.openGrant("dpop-user");
    const [proof] = jwcrypto({ ec: keys.ec.jwk }, [["ec", tokenClaims()]]).proofs;
    const res = await tokenWith({ grant_type: "refresh_token", refresh_token: grant.refresh_token }, proof);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.token_type, "DPoP");
    assert.equal(res.headers.get("cache-control"), "no-store");
    assert.deepEqual(claimsOf(res.body.access_token).cnf, { jkt: keys.ec.jkt });
    const at = res.body.access_token;
    const asBearer = await gate.get("/orders/1", at);
    assert.equal(asBearer.status, 401);
    assert.equal((await problemOf(asBearer)).type, "urn:portcullis:problem:bound_token_as_bearer");
    const withProof = await gate.worker.fetch("/orders/1", {
      headers: { authorization: `DPoP ${at}`, dpop: resourceProof("ec", at) },
    });
    assert.equal(withProof.status, 200, await withProof.text());
    // Without a proof, the next refresh is a bearer one: the binding is per token request.
    const plain = await tokenWith({ grant_type: "refresh_token", refresh_token: res.body.refresh_token });
    assert.equal(plain.status, 200);
    assert.equal(plain.body.token_type, "Bearer");
    assert.equal(claimsOf(plain.body.access_token).cnf, undefined);
  });

  test("client_credentials with an Ed25519 proof gets a token bound to that key", async () => {
    const key = await gate.createApiKey("dpop-svc");
    const [proof] = jwcrypto({ ed: keys.ed.jwk }, [["ed", tokenClaims()]]).proofs;
    const res = await tokenWith({ grant_type: "client_credentials", client_secret: key.key }, proof);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.token_type, "DPoP");
    assert.deepEqual(claimsOf(res.body.access_token).cnf, { jkt: keys.ed.jkt });
    const withProof = await gate.worker.fetch("/orders/1", {
      headers: { authorization: `DPoP ${res.body.access_token}`, dpop: resourceProof("ed", res.body.access_token) },
    });
    assert.equal(withProof.status, 200);
  });

  test("a bad proof is invalid_dpop_proof and changes nothing: wrong htu, wrong htm, replayed, not a JWS", async () => {
    const grant = await gate.openGrant("dpop-careful");
    const { proofs } = jwcrypto({ ec: keys.ec.jwk }, [
      ["ec", tokenClaims({ htu: "http://localhost/orders/1" })],
      ["ec", tokenClaims({ htm: "GET" })],
      ["ec", tokenClaims()],
    ]);
    const [wrongHtu, wrongHtm, once] = proofs;
    const first = await tokenWith({ grant_type: "refresh_token", refresh_token: grant.refresh_token }, once);
    assert.equal(first.status, 200);
    const next = { grant_type: "refresh_token", refresh_token: first.body.refresh_token };
    for (const [what, proof, reason] of [
      ["wrong htu", wrongHtu, "dpop_proof_htu_mismatch"],
      ["wrong htm", wrongHtm, "dpop_proof_htm_mismatch"],
      ["replayed", once, "dpop_proof_replayed"],
      ["not a JWS", "not-a-proof", "dpop_proof_malformed"],
    ]) {
      const res = await tokenWith(next, proof);
      assert.equal(res.status, 400, what);
      assert.equal(res.body.error, "invalid_dpop_proof", what);
      assert.equal(res.headers.get("cache-control"), "no-store", what);
      assert.equal(gate.events("admin").at(-1).reason, reason, what);
    }
    // Nothing rotated: the current refresh token still refreshes (no reuse was detected).
    const later = await tokenWith(next);
    assert.equal(later.status, 200, JSON.stringify(later.body));
  });
});

describe("the admin rate limit covers the token endpoint", () => {
  let gate;
  before(async () => {
    gate = await startGate({
      grants: true,
      extra: { PORTCULLIS_ADMIN_RATE_LIMIT: JSON.stringify({ limiter: "ADMIN_LIMIT", key: "ip", limit: 2, period: 60 }) },
      options: { ratelimits: { ADMIN_LIMIT: { simple: { limit: 2, period: 60 } } } },
    });
  });
  after(() => gate?.dispose());

  test("guessing refresh tokens from one address is 429 after the limit, before the token endpoint decides anything", async () => {
    const guess = (ip) =>
      gate.tokenRequest({ grant_type: "refresh_token", refresh_token: `pcrt_${"1".repeat(60)}` }, { "cf-connecting-ip": ip });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await guess("198.51.100.7")).status);
    assert.deepEqual(statuses, [400, 400, 429]);
    // The limited guess never reached the token endpoint: only the first two were decided there.
    const decided = gate.events("admin").filter((r) => r.path === "/_portcullis/token" && r.client_ip === "198.51.100.7");
    assert.deepEqual(decided.map((r) => r.status), [400, 400]);
    // Another address is unaffected.
    assert.equal((await guess("198.51.100.8")).status, 400);
  });
});
