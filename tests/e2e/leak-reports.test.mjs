// The secret-scanning partner endpoint, POST /_portcullis/leaks, on the REAL build in workerd:
// reports signed by P-256 keys this test generates in place of GitHub's, configured in the
// shape GitHub publishes (PORTCULLIS_LEAK_REPORTER_KEYS). A live token of ours is revoked with
// reason `leaked` and the gate refuses it; a wrong signature, an unknown or unconfigured key, a
// body changed by one byte, a malformed or oversized body each get a 4xx and revoke nothing.
// A reported refresh token (`pcrt_`) or API key (`pcak_`) of ours is checked in its grant
// object or the key store (Durable Objects) and revoked if live; one with a broken checksum is
// a false positive decided without any storage read.
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { nowS, problemOf, startGate } from "./revocation-fixtures.mjs";

const p256 = () => generateKeyPairSync("ec", { namedCurve: "P-256" });
const OLD = p256(); // listed, no longer current: a rotation in progress
const CURRENT = p256();
const STRANGER = p256(); // never configured
const pem = (pair) => pair.publicKey.export({ type: "spki", format: "pem" });
const REPORTER_KEYS = {
  public_keys: [
    { key_identifier: "old-key", key: pem(OLD), is_current: false },
    { key_identifier: "current-key", key: pem(CURRENT), is_current: true },
  ],
};

/** Signs `body` as GitHub does: ECDSA P-256 / SHA-256, DER, base64. */
const signature = (body, pair) => sign("sha256", Buffer.from(body), pair.privateKey).toString("base64");
const sha256 = (text) => createHash("sha256").update(text).digest("hex");

describe("POST /_portcullis/leaks", () => {
  let gate;
  before(async () => {
    gate = await startGate({ extra: { PORTCULLIS_LEAK_REPORTER_KEYS: JSON.stringify(REPORTER_KEYS) } });
  });
  after(() => gate?.dispose());

  /** Sends a report; `body` is sent byte for byte as given. */
  const report = (body, { keyId = "current-key", sig = signature(body, CURRENT), headers = {} } = {}) =>
    gate.worker.fetch("/_portcullis/leaks", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "github-public-key-identifier": keyId,
        "github-public-key-signature": sig,
        ...headers,
      },
      body,
    });
  const entryKeys = () => gate.recorded();
  const item = (token, url = "https://github.com/octo/app/blob/main/.env") => ({
    token,
    type: "portcullis_jwt",
    url,
    source: "content",
  });

  test("a live token of ours is revoked as leaked; expired and foreign ones are labelled, not revoked", async () => {
    const live = await gate.mint({ sub: "leaky", jti: "leak-live-1" });
    const expired = await gate.mint({ sub: "leaky", jti: "leak-old-1", iat: nowS() - 4000, exp: nowS() - 3000 });
    const foreign = await gate.mint({ sub: "leaky", jti: "leak-foreign-1", key: { kid: "k1", secret: Buffer.alloc(32, 7) } });
    assert.equal((await gate.get("/orders/1", live)).status, 200);
    const body = JSON.stringify([item(live), item(expired, "https://gist.github.com/x/1"), item(foreign)]);
    const res = await report(body);
    assert.equal(res.status, 200);
    const text = await res.text();
    for (const t of [live, expired, foreign]) assert.ok(!text.includes(t), "the answer never carries a token");
    assert.deepEqual(JSON.parse(text), [
      { token_hash: sha256(live), token_type: "portcullis_jwt", label: "true_positive" },
      { token_hash: sha256(expired), token_type: "portcullis_jwt", label: "true_positive" },
      { token_hash: sha256(foreign), token_type: "portcullis_jwt", label: "false_positive" },
    ]);
    const refused = await gate.get("/orders/1", live);
    assert.equal(refused.status, 401);
    assert.equal((await problemOf(refused)).type, "urn:portcullis:problem:revoked");
    const listed = (await (await gate.admin("GET", "/revocations")).json()).revocations;
    assert.deepEqual(
      listed.filter((e) => e.jti?.startsWith("leak-")).map((e) => [e.jti, e.reason]),
      [["leak-live-1", "leaked"]],
    );
    const audit = gate.events("admin").filter((r) => r.reason === "leak_reported");
    const forLive = audit.find((r) => r.jti === "leak-live-1");
    assert.equal(forLive.revocation_reason, "leaked");
    assert.match(forLive.detail, /true_positive live revoked jti leak-live-1; reported as portcullis_jwt from content at https:\/\/github.com\/octo\/app\/blob\/main\/.env/);
    assert.ok(audit.some((r) => r.jti === "leak-old-1" && /true_positive expired/.test(r.detail) && !r.revocation_reason));
    assert.ok(audit.some((r) => /false_positive unverified/.test(r.detail)));
    assert.ok(gate.worker.logs.every((l) => !l.includes(live)), "no log line holds the token");
  });

  test("a report signed by a listed key that is no longer current is accepted (rotation)", async () => {
    const live = await gate.mint({ sub: "leaky", jti: "leak-rotated-1" });
    const body = JSON.stringify([item(live)]);
    const res = await report(body, { keyId: "old-key", sig: signature(body, OLD) });
    assert.equal(res.status, 200);
    assert.equal((await res.json())[0].label, "true_positive");
    assert.equal((await gate.get("/orders/1", live)).status, 401);
  });

  test("refused with 4xx, nothing revoked: wrong signature, unknown or mismatched key, one byte changed, bad bodies", async () => {
    const live = await gate.mint({ sub: "leaky", jti: "leak-kept-1" });
    const body = JSON.stringify([item(live)]);
    const changed = body.replace("octo", "octp"); // one byte
    assert.equal(changed.length, body.length);
    const huge = JSON.stringify([item(live, `https://x/${"a".repeat(140 * 1024)}`)]);
    const cases = [
      ["signature of another body", body, { sig: signature("[]", CURRENT) }, 401, "bad_signature"],
      ["body changed by one byte", changed, { sig: signature(body, CURRENT) }, 401, "bad_signature"],
      ["signed by an unconfigured key", body, { sig: signature(body, STRANGER) }, 401, "bad_signature"],
      ["rotated-out key identifier", body, { keyId: "retired-key" }, 401, "unknown_key_identifier"],
      ["old key's identifier, current key's signature", body, { keyId: "old-key" }, 401, "bad_signature"],
      ["no identifier", body, { keyId: "" }, 401, "missing_key_identifier"],
      ["no signature", body, { sig: "" }, 401, "missing_signature"],
      ["signature not DER", body, { sig: Buffer.alloc(64, 1).toString("base64") }, 401, "signature_not_der"],
      ["malformed body, signed", "[{\"token\": 1}]", {}, 400, "bad_field"],
      ["not an array, signed", "{}", {}, 400, "not_an_array"],
      ["oversized body", huge, {}, 413, "body_too_large"],
    ];
    const keysBefore = await entryKeys();
    for (const [what, b, opts, status, code] of cases) {
      const res = await report(b, opts);
      assert.equal(res.status, status, what);
      assert.equal((await problemOf(res)).type, `urn:portcullis:problem:${code}`, what);
    }
    assert.deepEqual(await entryKeys(), keysBefore, "nothing revoked");
    assert.equal((await gate.get("/orders/1", live)).status, 200, "the token still works");
  });

  test("needs no admin token, and takes only POST", async () => {
    const res = await gate.worker.fetch("/_portcullis/leaks", { method: "GET" });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get("allow"), "POST");
  });
});

describe("POST /_portcullis/leaks with refresh tokens and API keys", () => {
  let gate;
  before(async () => {
    gate = await startGate({ grants: true, extra: { PORTCULLIS_LEAK_REPORTER_KEYS: JSON.stringify(REPORTER_KEYS) } });
  });
  after(() => gate?.dispose());

  const report = (tokens) => {
    const body = JSON.stringify(
      tokens.map(([token, type]) => ({ token, type, url: "https://github.com/octo/app/blob/main/ci.yml", source: "content" })),
    );
    return gate.worker.fetch("/_portcullis/leaks", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "github-public-key-identifier": "current-key",
        "github-public-key-signature": signature(body, CURRENT),
      },
      body,
    });
  };
  /** The same credential with one body character changed: the checksum no longer holds. */
  const broken = (t) => `${t.slice(0, 10)}${t[10] === "A" ? "B" : "A"}${t.slice(11)}`;

  test("ours and live: the grant and the key are revoked as leaked; a broken checksum is false without a store read", async () => {
    const grant = await gate.openGrant("leaky-user");
    const key = await gate.createApiKey("leaky-svc");
    assert.equal((await gate.get("/orders/1", grant.access_token)).status, 200);
    const res = await report([
      [grant.refresh_token, "portcullis_refresh_token"],
      [key.key, "portcullis_api_key"],
      [broken(grant.refresh_token), "portcullis_refresh_token"],
      [broken(key.key), "portcullis_api_key"],
    ]);
    assert.equal(res.status, 200);
    const text = await res.text();
    for (const t of [grant.refresh_token, key.key]) assert.ok(!text.includes(t), "the answer never carries a credential");
    assert.deepEqual(
      JSON.parse(text).map((f) => [f.token_type, f.label]),
      [
        ["portcullis_refresh_token", "true_positive"],
        ["portcullis_api_key", "true_positive"],
        ["portcullis_refresh_token", "false_positive"],
        ["portcullis_api_key", "false_positive"],
      ],
    );
    // The grant is over: no refresh, and its access token is refused (revoked by sid, leaked).
    const refresh = await gate.tokenRequest({ grant_type: "refresh_token", refresh_token: grant.refresh_token });
    assert.equal(refresh.status, 400);
    assert.equal(refresh.body.error, "invalid_grant");
    const refused = await gate.get("/orders/1", grant.access_token);
    assert.equal(refused.status, 401);
    assert.equal((await problemOf(refused)).type, "urn:portcullis:problem:revoked");
    const listed = (await (await gate.admin("GET", "/revocations")).json()).revocations;
    assert.ok(listed.some((e) => e.reason === "leaked" && e.kind === "sid"), "the grant's access tokens, revoked by sid as leaked");
    // The key no longer mints.
    const exchange = await gate.tokenRequest({ grant_type: "client_credentials", client_id: key.id, client_secret: key.key });
    assert.equal(exchange.status, 401);
    assert.equal(exchange.body.error, "invalid_client");
    const keys = (await (await gate.admin("GET", "/api-keys")).json()).api_keys;
    assert.ok(keys.find((k) => k.id === key.id).revoked_at, "revoked in the key store");
    // Audit: the store answered for ours; the broken ones were never asked ("unverified").
    const audit = gate.events("admin").filter((r) => r.reason === "leak_reported");
    assert.equal(audit.length, 4);
    const revoked = audit.filter((r) => r.revocation_reason === "leaked");
    assert.deepEqual(revoked.map((r) => r.sub).sort(), ["leaky-svc", "leaky-user"]);
    assert.ok(revoked.some((r) => /^true_positive live revoked sid /.test(r.detail)));
    assert.ok(revoked.some((r) => new RegExp(`^true_positive live revoked api_key ${key.id}`).test(r.detail)));
    assert.equal(audit.filter((r) => /^false_positive unverified/.test(r.detail)).length, 2);
    assert.ok(gate.worker.logs.every((l) => !l.includes(grant.refresh_token) && !l.includes(key.key)), "no log line holds a credential");
  });

  test("reported again: still ours (true_positive, status revoked), nothing revoked twice", async () => {
    const key = await gate.createApiKey("twice-svc");
    assert.equal((await (await report([[key.key, "portcullis_api_key"]])).json())[0].label, "true_positive");
    const before = gate.events("admin").length;
    const again = await report([[key.key, "portcullis_api_key"]]);
    assert.equal((await again.json())[0].label, "true_positive");
    const lines = gate.events("admin").slice(before).filter((r) => r.reason === "leak_reported");
    assert.equal(lines.length, 1);
    assert.match(lines[0].detail, /^true_positive revoked; reported/);
    assert.equal(lines[0].revocation_reason, undefined);
  });
});

describe("POST /_portcullis/leaks without PORTCULLIS_LEAK_REPORTER_KEYS", () => {
  test("is off: 404, like an unknown admin path", async () => {
    const gate = await startGate();
    try {
      const body = "[]";
      const res = await gate.worker.fetch("/_portcullis/leaks", {
        method: "POST",
        headers: { "github-public-key-identifier": "k", "github-public-key-signature": signature(body, CURRENT) },
        body,
      });
      assert.equal(res.status, 404);
      assert.equal((await problemOf(res)).type, "urn:portcullis:problem:not_found");
    } finally {
      await gate.dispose();
    }
  });
});
