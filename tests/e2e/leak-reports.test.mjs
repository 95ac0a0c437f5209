// The secret-scanning partner endpoint, POST /_portcullis/leaks, on the REAL build in workerd:
// reports signed by P-256 keys this test generates in place of GitHub's, configured in the
// shape GitHub publishes (PORTCULLIS_LEAK_REPORTER_KEYS). A live token of ours is revoked with
// reason `leaked` and the gate refuses it; a wrong signature, an unknown or unconfigured key, a
// body changed by one byte, a malformed or oversized body each get a 4xx and revoke nothing.
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
  const entryKeys = async () => (await gate.kv.list({ prefix: "rev/" })).keys.map((k) => k.name).sort();
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
