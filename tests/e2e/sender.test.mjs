// End-to-end, on the real wasm build in workerd (Miniflare): sender-constrained tokens and
// rate limits (issue 17). mTLS: the platform's client certificate facts come through
// dispatchFetch's `cf.tlsClientAuth`. DPoP: proofs made by a real client library (Python
// jwcrypto, tests/e2e/dpop_proof.py), ES256 and EdDSA, each refusal by its reason code.
// Rate limits: Miniflare's Rate Limiting binding (`ratelimits`).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { bearer, mint, nowS, standardBindings } from "./fixtures.mjs";
import { ROOT, startOrigin, startWorker } from "./harness.mjs";

const b64url = (bytes) => Buffer.from(bytes).toString("base64url");
const ath = (token) => b64url(createHash("sha256").update(token).digest());
const BASE = "http://localhost";

const ROUTES = [
  { match: "GET,HEAD /health", public: true },
  { match: "GET /open/*", public: true, rate_limit: { limiter: "PER_IP", key: "ip", limit: 2, period: 10 } },
  { match: "* /mtls/**", scopes: [], binding: "mtls" },
  { match: "* /dpop/**", scopes: [], binding: "dpop" },
  { match: "GET /limited/**", scopes: [], rate_limit: { limiter: "PER_SUB", key: "sub", limit: 3, period: 60 } },
  { match: "* /echo/**", scopes: [] },
];

/** Installs jwcrypto with pip if it is missing (as the interop suite does with PyJWT). */
function ensureJwcrypto() {
  const probe = spawnSync("python3", ["-c", "import jwcrypto"], { encoding: "utf8" });
  if (probe.status === 0) return;
  const pip = spawnSync("python3", ["-m", "pip", "install", "-q", "jwcrypto>=1.5"], { encoding: "utf8", timeout: 180_000 });
  assert.equal(pip.status, 0, `jwcrypto is needed and could not be installed: ${pip.stderr}`);
}

/** Runs dpop_proof.py: keys by name ("EC", "OKP" or a private JWK) and proofs to sign. */
function jwcrypto(request) {
  const out = spawnSync("python3", [join(ROOT, "tests", "e2e", "dpop_proof.py")], {
    input: JSON.stringify(request),
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(out.status, 0, out.stderr);
  return JSON.parse(out.stdout);
}

async function startLimitedGate(extra = {}) {
  const origin = await startOrigin();
  const output = [];
  const worker = await startWorker({
    bindings: standardBindings(origin.url, {
      PORTCULLIS_ROUTES: JSON.stringify(ROUTES),
      PORTCULLIS_ADMIN_RATE_LIMIT: JSON.stringify({ limiter: "ADMIN_LIMIT", key: "ip", limit: 2, period: 60 }),
      ...extra,
    }),
    options: {
      ratelimits: {
        PER_SUB: { simple: { limit: 3, period: 60 } },
        PER_IP: { simple: { limit: 2, period: 10 } },
        ADMIN_LIMIT: { simple: { limit: 2, period: 60 } },
      },
      handleRuntimeStdio: (stdout, stderr) => {
        for (const s of [stdout, stderr]) s.on("data", (c) => output.push(c.toString()));
      },
    },
  });
  return { origin, worker, logs: () => output.join(""), stop: () => Promise.all([worker.dispose(), origin.close()]) };
}

/**
 * The captured output once it matches `pattern`, or as it is after `ms`: workerd's stdout
 * reaches this process on its own pipe, so a line can arrive after the response it belongs to.
 */
async function logsMatching(gate, pattern, ms = 3000) {
  const until = Date.now() + ms;
  while (!pattern.test(gate.logs()) && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
  return gate.logs();
}

async function problem(res, status, code) {
  const text = await res.text();
  assert.equal(res.status, status, text);
  assert.equal(res.headers.get("content-type"), "application/problem+json");
  assert.equal(JSON.parse(text).type, `urn:portcullis:problem:${code}`, text);
  return res;
}

describe("mTLS-bound tokens (RFC 8705) through request.cf.tlsClientAuth", () => {
  let gate;
  before(async () => (gate = await startLimitedGate()));
  after(() => gate?.stop());

  const fingerprint = "a1".repeat(16) + "b2".repeat(16);
  const x5t = b64url(Buffer.from(fingerprint, "hex"));
  const tls = (overrides = {}) => ({
    cf: { tlsClientAuth: { certPresented: "1", certVerified: "SUCCESS", certFingerprintSHA256: fingerprint, ...overrides } },
  });

  test("accepted with the matching verified certificate", async () => {
    const token = await mint({ cnf: { "x5t#S256": x5t } });
    const res = await gate.worker.fetch("/mtls/a", { headers: bearer(token), ...tls() });
    assert.equal(res.status, 200, await res.text());
    assert.equal(gate.origin.requests.at(-1).headers.authorization, undefined);
  });

  test("refused without, with an unverified, or with another certificate", async () => {
    const token = await mint({ cnf: { "x5t#S256": x5t } });
    await problem(await gate.worker.fetch("/mtls/a", { headers: bearer(token) }), 401, "client_certificate_missing");
    await problem(await gate.worker.fetch("/mtls/a", { headers: bearer(token), ...tls({ certPresented: "0" }) }), 401, "client_certificate_missing");
    await problem(
      await gate.worker.fetch("/mtls/a", { headers: bearer(token), ...tls({ certVerified: "FAILED:self signed certificate" }) }),
      401,
      "client_certificate_unverified",
    );
    const res = await problem(
      await gate.worker.fetch("/echo/a", { headers: bearer(token), ...tls({ certFingerprintSHA256: "c3".repeat(32) }) }),
      401,
      "client_certificate_mismatch",
    );
    assert.match(res.headers.get("www-authenticate"), /^Bearer realm="portcullis", error="invalid_token"/);
  });

  test("a route that requires binding refuses a bearer token", async () => {
    await problem(await gate.worker.fetch("/mtls/a", { headers: bearer(await mint()), ...tls() }), 401, "binding_required");
  });
});

describe("DPoP (RFC 9449) with jwcrypto's ES256 and EdDSA proofs", () => {
  let gate;
  let keys;
  before(async () => {
    ensureJwcrypto();
    gate = await startLimitedGate();
    keys = jwcrypto({ keys: { ec: "EC", ed: "OKP" } }).keys;
  });
  after(() => gate?.stop());

  /** Proofs for `specs` ({ key, claims, ... }), signed by jwcrypto with the named keys. */
  const prove = (specs) =>
    jwcrypto({ keys: Object.fromEntries(Object.entries(keys).map(([n, k]) => [n, k.jwk])), proofs: specs }).proofs;
  const claimsFor = (token, overrides = {}) => ({
    jti: `p-${Math.random().toString(36).slice(2)}`,
    htm: "GET",
    htu: `${BASE}/dpop/a`,
    iat: nowS(),
    ath: ath(token),
    ...overrides,
  });
  const dpop = (token, proof) => ({ headers: { authorization: `DPoP ${token}`, dpop: proof } });

  test("accepted for both algorithms; neither token nor proof reaches the origin", async () => {
    for (const name of ["ec", "ed"]) {
      const token = await mint({ cnf: { jkt: keys[name].jkt } });
      const [proof] = prove([{ key: name, claims: claimsFor(token) }]);
      const res = await gate.worker.fetch("/dpop/a", dpop(token, proof));
      assert.equal(res.status, 200, `${name}: ${await res.text()}`);
      const seen = gate.origin.requests.at(-1).headers;
      assert.equal(seen.authorization, undefined);
      assert.equal(seen.dpop, undefined);
    }
  });

  test("each bad proof is refused with its reason and a DPoP challenge", async () => {
    const token = await mint({ cnf: { jkt: keys.ec.jkt } });
    const cases = [
      [{ key: "ec", claims: claimsFor(token, { htm: "POST" }) }, "dpop_proof_htm_mismatch"],
      [{ key: "ec", claims: claimsFor(token, { htu: `${BASE}/dpop/b` }) }, "dpop_proof_htu_mismatch"],
      [{ key: "ec", claims: claimsFor(token, { htu: `https://elsewhere.example/dpop/a` }) }, "dpop_proof_htu_mismatch"],
      [{ key: "ec", claims: claimsFor(token, { iat: nowS() - 600 }) }, "dpop_proof_iat_out_of_window"],
      [{ key: "ec", claims: claimsFor(token, { ath: ath("another token") }) }, "dpop_proof_ath_mismatch"],
      [{ key: "ed", claims: claimsFor(token) }, "dpop_proof_key_mismatch"],
      [{ key: "ec", alg: "none", claims: claimsFor(token) }, "dpop_proof_alg_not_allowed"],
      [{ key: "ec", alg: "HS256", claims: claimsFor(token) }, "dpop_proof_alg_not_allowed"],
      [{ key: "ec", private_jwk_in_header: true, claims: claimsFor(token) }, "dpop_proof_private_key"],
      [{ key: "ec", header: { typ: "JWT" }, claims: claimsFor(token) }, "dpop_proof_wrong_type"],
    ];
    const proofs = prove(cases.map(([spec]) => spec));
    for (const [i, [, code]] of cases.entries()) {
      const res = await problem(await gate.worker.fetch("/dpop/a", dpop(token, proofs[i])), 401, code);
      assert.match(res.headers.get("www-authenticate"), /^DPoP realm="portcullis", algs="ES256 EdDSA", error="invalid_dpop_proof"/, code);
    }
  });

  test("a tampered signature is refused by WebCrypto", async () => {
    const token = await mint({ cnf: { jkt: keys.ed.jkt } });
    const [proof] = prove([{ key: "ed", claims: claimsFor(token) }]);
    const [h, p, s] = proof.split(".");
    const flipped = Buffer.from(s, "base64url");
    flipped[0] ^= 1;
    await problem(await gate.worker.fetch("/dpop/a", dpop(token, `${h}.${p}.${b64url(flipped)}`)), 401, "dpop_proof_bad_signature");
  });

  test("a replayed proof is refused", async () => {
    const token = await mint({ cnf: { jkt: keys.ec.jkt } });
    const [proof] = prove([{ key: "ec", claims: claimsFor(token) }]);
    assert.equal((await gate.worker.fetch("/dpop/a", dpop(token, proof))).status, 200);
    await problem(await gate.worker.fetch("/dpop/a", dpop(token, proof)), 401, "dpop_proof_replayed");
  });

  test("a DPoP-bound token used as a bearer token is refused; so is a proof missing", async () => {
    const token = await mint({ cnf: { jkt: keys.ec.jkt } });
    const res = await problem(await gate.worker.fetch("/echo/a", { headers: bearer(token) }), 401, "bound_token_as_bearer");
    assert.match(res.headers.get("www-authenticate"), /^DPoP .*error="invalid_token"/);
    await problem(await gate.worker.fetch("/dpop/a", { headers: { authorization: `DPoP ${token}` } }), 401, "dpop_proof_missing");
    // The admin API takes bearer tokens only: a bound admin token is refused there.
    const admin = await mint({ cnf: { jkt: keys.ec.jkt }, scope: "portcullis:admin" });
    await problem(await gate.worker.fetch("/_portcullis/keys", { headers: bearer(admin) }), 401, "bound_token_not_accepted");
  });

  test("nonce flow: use_dpop_nonce with a DPoP-Nonce, then accepted with it", async () => {
    const nonced = await startLimitedGate({ PORTCULLIS_DPOP_NONCE_S: "60" });
    try {
      const token = await mint({ cnf: { jkt: keys.ed.jkt } });
      const [first] = prove([{ key: "ed", claims: claimsFor(token) }]);
      const res = await problem(await nonced.worker.fetch("/dpop/a", dpop(token, first)), 401, "use_dpop_nonce");
      assert.match(res.headers.get("www-authenticate"), /^DPoP .*error="use_dpop_nonce"/);
      const nonce = res.headers.get("dpop-nonce");
      assert.ok(nonce && nonce.length > 20, `DPoP-Nonce: ${nonce}`);
      const [second, forged] = prove([
        { key: "ed", claims: claimsFor(token, { nonce }) },
        { key: "ed", claims: claimsFor(token, { nonce: `${nonce.slice(0, -2)}AA` }) },
      ]);
      assert.equal((await nonced.worker.fetch("/dpop/a", dpop(token, second))).status, 200);
      await problem(await nonced.worker.fetch("/dpop/a", dpop(token, forged)), 401, "use_dpop_nonce");
    } finally {
      await nonced.stop();
    }
  });
});

describe("rate limits through the Rate Limiting binding", () => {
  let gate;
  before(async () => (gate = await startLimitedGate()));
  after(() => gate?.stop());

  test("a subject over its limit gets 429 with the headers; another subject is unaffected", async () => {
    const alice = await mint({ sub: "alice-rl" });
    const bob = await mint({ sub: "bob-rl" });
    for (let i = 0; i < 3; i++) {
      const res = await gate.worker.fetch("/limited/x", { headers: bearer(alice) });
      assert.equal(res.status, 200, `request ${i + 1}: ${await res.text()}`);
    }
    // A fresh token for the same subject shares the budget: the key is `sub`.
    const again = await problem(await gate.worker.fetch("/limited/x", { headers: bearer(await mint({ sub: "alice-rl" })) }), 429, "rate_limited");
    assert.equal(again.headers.get("retry-after"), "60");
    assert.equal(again.headers.get("ratelimit-policy"), '"PER_SUB";q=3;w=60');
    assert.equal(again.headers.get("ratelimit"), '"PER_SUB";r=0;t=60');
    assert.equal((await gate.worker.fetch("/limited/x", { headers: bearer(bob) })).status, 200);
    const pattern = /"reason":"rate_limited"[^\n]*"sub":"alice-rl"|"sub":"alice-rl"[^\n]*"reason":"rate_limited"/;
    assert.match(await logsMatching(gate, pattern), pattern);
  });

  test("a public route limited by client address: one address over, another not", async () => {
    const from = (ip) => ({ headers: { "cf-connecting-ip": ip } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await gate.worker.fetch("/open/x", from("192.0.2.1"))).status);
    assert.deepEqual(statuses, [200, 200, 429]);
    const refused = await problem(await gate.worker.fetch("/open/x", from("192.0.2.1")), 429, "rate_limited");
    assert.equal(refused.headers.get("ratelimit-policy"), '"PER_IP";q=2;w=10');
    assert.equal((await gate.worker.fetch("/open/x", from("192.0.2.2"))).status, 200);
    // Routes without a limit are unaffected.
    assert.equal((await gate.worker.fetch("/health", from("192.0.2.1"))).status, 200);
  });

  test("the admin API is limited before any token is read", async () => {
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await gate.worker.fetch("/_portcullis/keys")).status);
    assert.deepEqual(statuses, [401, 401, 429]);
    // The refusal is a security event: it is in the audit trail like any denial.
    const pattern = /"path":"\/_portcullis\/keys"[^\n]*"reason":"rate_limited"|"reason":"rate_limited"[^\n]*"path":"\/_portcullis\/keys"/;
    assert.match(await logsMatching(gate, pattern), pattern);
  });
});
