// End-to-end: the attack table (tests/vectors/attacks.json) against the real wasm build. The
// gate gets the table's key ring; each row whose outcome the clock cannot change (decided
// before `exp`/`nbf`/`iat`, with the default policy and the full ring) and whose token a
// Bearer header can carry must be refused with 401 and the row's own reason code.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { bearer, rawRequest, startGate } from "./fixtures.mjs";
import { vectors } from "./harness.mjs";

const attacks = vectors("attacks.json");
const FULL_RING = attacks.keys.map((k) => k.kid).join(",");
// Reasons found before any claim is compared with the clock or the configured audience.
const CLOCK_FREE = new Set([
  "malformed", "bad_encoding", "bad_json", "missing_alg", "alg_none", "unsupported_alg",
  "alg_key_mismatch", "crit_unsupported", "b64_unsupported", "zip_unsupported", "nested_token",
  "unexpected_typ", "unknown_kid", "missing_kid", "bad_tag_length", "bad_signature",
]);
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
const rows = attacks.cases.filter(
  (c) =>
    c.want !== null &&
    CLOCK_FREE.has(c.want.code) &&
    Object.keys(c.policy).length === 0 &&
    c.ring.join(",") === FULL_RING &&
    TOKEN68.test(c.token) &&
    c.token.length <= 4096,
);

let gate;
before(async () => {
  gate = await startGate({ bindings: { PORTCULLIS_KEYS: JSON.stringify({ keys: attacks.keys }) } });
});
after(() => gate?.stop());

test("each clock-free attack row is refused with its own reason, and never reaches the origin", async () => {
  assert.ok(rows.length >= 60, `only ${rows.length} rows of tests/vectors/attacks.json apply`);
  const seen = gate.origin.requests.length;
  const wrong = [];
  for (const row of rows) {
    const res = await rawRequest(gate.worker.url, { path: "/orders/1", headers: bearer(row.token) });
    const type = res.headers["content-type"] === "application/problem+json" ? JSON.parse(res.text).type : undefined;
    if (res.status !== 401 || type !== `urn:portcullis:problem:${row.want.code}`) {
      wrong.push(`${row.name}: want 401 ${row.want.code}, got ${res.status} ${type}`);
    }
  }
  assert.deepEqual(wrong, [], `${wrong.length} of ${rows.length} rows`);
  assert.equal(gate.origin.requests.length, seen, "an attack reached the origin");
});
