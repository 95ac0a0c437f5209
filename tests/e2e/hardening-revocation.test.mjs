// Issue 10, items 1-4: revocation covers every token it claims to cover. The real build in
// workerd (Miniflare) behind a recording origin; see revocation-fixtures.mjs.
//
// Tokens here are signed by hand (node:crypto), byte for byte, so a test can leave out the
// header's `kid`, use a fractional `iat`, or put any text in `sub` and `jti`.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { ADMIN_SCOPE, hsKey, nowS, portcullisCli, problemOf, startGate, waitFor } from "./revocation-fixtures.mjs";

const b64url = (text) => Buffer.from(text).toString("base64url");

/** An HS256 token over exactly this header and these claims. */
function sign(key, header, claims) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const tag = createHmac("sha256", key.secret).update(input).digest("base64url");
  return `${input}.${tag}`;
}

/** A token for the gated route; `kid: null` leaves the header's kid out. */
function token(key, { kid = key.kid, ...claims } = {}) {
  const header = kid === null ? { alg: "HS256" } : { alg: "HS256", kid };
  return sign(key, header, { scope: "orders:read", iat: nowS(), exp: nowS() + 600, ...claims });
}

const adminOf = (key) => token(key, { sub: `root-${key.kid}`, scope: ADMIN_SCOPE, jti: `admin-${key.kid}` });

async function status(res) {
  await res.arrayBuffer();
  return res.status;
}

async function assertProblem(res, statusCode, code) {
  assert.equal(res.status, statusCode);
  const problem = await problemOf(res);
  assert.equal(problem.type, `urn:portcullis:problem:${code}`);
  return problem;
}



/** A gate whose ring is one key, k1: its tokens may leave out `kid`. */
async function startOneKeyGate() {
  const k1 = hsKey("k1");
  return { k1, gate: await startGate({ extra: { PORTCULLIS_KEYS: JSON.stringify({ keys: [k1.jwk] }) } }) };
}

describe("item 1: a key revocation applies to the key that verified the token", () => {
  // A one-key ring: tokens may leave out `kid`, and are verified by k1 all the same.
  let gate;
  let k1;
  before(async () => {
    ({ k1, gate } = await startOneKeyGate());
  });
  after(() => gate?.dispose());

  test("a token without kid from a one-key ring is refused once that key is revoked", async () => {
    const noKid = token(k1, { kid: null, sub: "kidless", jti: "kidless-1" });
    assert.equal(await status(await gate.get("/orders/1", noKid)), 200);
    const allowed = (await gate.eventsArrived("gate", (l) => l.decision === "allow" && l.sub === "kidless", "the allow line")).at(-1);
    assert.equal(allowed.kid, "k1", "the audit line names the verifying key, not the header's (absent) kid");

    // k1 is the signing key and the admin's own: the revocation must be confirmed.
    const res = await gate.admin("POST", "/revocations", { kid: "k1", confirm: true }, { token: adminOf(k1) });
    assert.equal(res.status, 201, await res.clone().text());
    assert.equal((await res.json()).entry.target, "k1");

    const denied = await gate.get("/orders/1", noKid);
    await assertProblem(denied, 401, "revoked");
    const line = (await gate.eventsArrived("gate", (l) => l.decision === "deny" && l.sub === "kidless", "the deny line")).at(-1);
    assert.equal(line.reason, "revoked");
    assert.equal(line.kid, "k1");
    // And a token naming k1 is refused the same way.
    await assertProblem(await gate.get("/orders/1", token(k1, { sub: "named" })), 401, "revoked");
  });
});

describe("item 1: a key revocation from another isolate (KV entry + cron) covers kid-less tokens", () => {
  // Independent of the admin API: the entry lands in KV as any isolate's write does.
  let gate;
  let k1;
  before(async () => {
    ({ k1, gate } = await startOneKeyGate());
  });
  after(() => gate?.dispose());

  test("the kid-less token is refused once the cron publishes the revocation of k1", async () => {
    const noKid = token(k1, { kid: null, sub: "remote-kidless" });
    assert.equal(await status(await gate.get("/orders/1", noKid)), 200);
    const entry = { v: 1, kind: "kid", kid: "k1", at: nowS() };
    await gate.kv.put(`rev/kid/${b64url("k1")}`, JSON.stringify(entry), { metadata: entry });
    await gate.cron();
    // The cron does not refresh the location's cached feed: the bound is the refresh (1 s)
    // plus the feed's TTL (2 s), and a margin for a loaded machine.
    await waitFor(async () => (await status(await gate.get("/orders/1", noKid))) === 401, {
      timeoutMs: 4000,
      what: "refusal of the kid-less token",
    });
    await assertProblem(await gate.get("/orders/1", noKid), 401, "revoked");
  });
});

describe("items 2-4 on a two-key ring (k1 signs, k2 verifies)", () => {
  let gate;
  let k1;
  let k2;
  before(async () => {
    gate = await startGate();
    ({ k1, k2 } = gate.keys);
  });
  after(() => gate?.dispose());

  test("item 2: a token whose sub or jti the store could not hold is refused, with its own code", async () => {
    const cases = [
      ["sub over 256 bytes", { sub: "s".repeat(300) }],
      ["jti over 256 bytes", { jti: "j".repeat(257) }],
      ["empty jti", { sub: "a", jti: "" }],
      ["empty sub", { sub: "" }],
      ["control character in sub", { sub: "eve\u0001" }],
      ["control character in jti", { jti: "j\u0000" }],
    ];
    for (const [what, claims] of cases) {
      const res = await gate.get("/orders/1", token(k1, claims));
      const problem = await assertProblem(res, 401, "unrevocable_claim");
      assert.ok(!problem.detail.includes("s".repeat(40)), `${what}: the claim is not echoed`);
    }
  });

  test("item 2: the longest accepted sub and jti are revocable through the admin API", async () => {
    // 256 bytes each, of the characters JSON escapes: the largest KV metadata there can be.
    const sub = '"\\'.repeat(128);
    const jti = "\\".repeat(256);
    const t = token(k1, { sub, jti });
    assert.equal(await status(await gate.get("/orders/1", t)), 200);
    let res = await gate.admin("POST", "/revocations", { jti });
    assert.equal(res.status, 201, await res.clone().text());
    await assertProblem(await gate.get("/orders/1", t), 401, "revoked");

    const other = token(k1, { sub, jti: "other-jti", iat: nowS() - 5 });
    assert.equal(await status(await gate.get("/orders/1", other)), 200);
    res = await gate.admin("POST", "/revocations", { sub });
    assert.equal(res.status, 201, await res.clone().text());
    await assertProblem(await gate.get("/orders/1", other), 401, "revoked");
  });

  test("item 3: a fractional iat just below the cut-off is revoked, one at the cut-off is not", async () => {
    const cut = nowS() - 10;
    const below = token(k1, { sub: "frac", jti: "frac-below", iat: cut - 0.5 });
    const justBelow = token(k1, { sub: "frac", jti: "frac-just-below", iat: cut - 0.001 });
    const at = token(k1, { sub: "frac", jti: "frac-at", iat: cut });
    const above = token(k1, { sub: "frac", jti: "frac-above", iat: cut + 0.5 });
    for (const t of [below, justBelow, at, above]) assert.equal(await status(await gate.get("/orders/1", t)), 200);
    const res = await gate.admin("POST", "/revocations", { sub: "frac", before: cut });
    assert.equal(res.status, 201);
    await assertProblem(await gate.get("/orders/1", below), 401, "revoked");
    await assertProblem(await gate.get("/orders/1", justBelow), 401, "revoked");
    assert.equal(await status(await gate.get("/orders/1", at)), 200);
    assert.equal(await status(await gate.get("/orders/1", above)), 200);
  });

  test("item 4: a kid not in the ring is refused with 400 and nothing is written", async () => {
    const keysBefore = await gate.recorded();
    const res = await gate.admin("POST", "/revocations", { kid: "k3" }, { token: adminOf(k1) });
    await assertProblem(res, 400, "kid_not_in_ring");
    const confirmed = await gate.admin("POST", "/revocations", { kid: "k3", confirm: true }, { token: adminOf(k1) });
    await assertProblem(confirmed, 400, "kid_not_in_ring");
    assert.deepEqual(await gate.recorded(), keysBefore, "nothing recorded");
  });

  test("item 4: the signing key and the caller's own key need confirm: true", async () => {
    const keysBefore = await gate.recorded();
    // k1 signs (and verified this admin's token).
    let res = await gate.admin("POST", "/revocations", { kid: "k1" }, { token: adminOf(k1) });
    await assertProblem(res, 409, "signing_key_needs_confirm");
    // k2 is verify-only, but it verified this admin's token.
    res = await gate.admin("POST", "/revocations", { kid: "k2" }, { token: adminOf(k2) });
    const problem = await assertProblem(res, 409, "own_key_needs_confirm");
    assert.match(problem.detail, /"confirm": true/);
    res = await gate.admin("POST", "/revocations", { kid: "k2", confirm: false }, { token: adminOf(k2) });
    await assertProblem(res, 409, "own_key_needs_confirm");
    assert.deepEqual(await gate.recorded(), keysBefore, "nothing recorded");
    // Nothing was revoked: both keys still work, admins included.
    assert.equal(await status(await gate.get("/orders/1", token(k1, { sub: "still" }))), 200);
    assert.equal(await status(await gate.get("/orders/1", token(k2, { sub: "still" }))), 200);
    assert.equal(await status(await gate.admin("GET", "/keys", undefined, { token: adminOf(k2) })), 200);

    // confirm only goes with kid.
    res = await gate.admin("POST", "/revocations", { jti: "x", confirm: true });
    await assertProblem(res, 400, "confirm_without_kid");

    // Another admin may revoke k2 without confirming; the k2 admin is then locked out.
    res = await gate.admin("POST", "/revocations", { kid: "k2" }, { token: adminOf(k1) });
    assert.equal(res.status, 201, await res.clone().text());
    await assertProblem(await gate.admin("GET", "/keys", undefined, { token: adminOf(k2) }), 401, "revoked");

    // The signing key, confirmed: every admin is locked out, by choice.
    res = await gate.admin("POST", "/revocations", { kid: "k1", confirm: true }, { token: adminOf(k1) });
    assert.equal(res.status, 201, await res.clone().text());
    await assertProblem(await gate.admin("GET", "/keys", undefined, { token: adminOf(k1) }), 401, "revoked");
  });
});

describe("item 4 through the CLI: portcullis revoke --kid [--confirm]", () => {
  let gate;
  let runCli;
  before(async () => {
    runCli = await portcullisCli();
    gate = await startGate();
  });
  after(() => gate?.dispose());

  const cli = (args) =>
    runCli([...args, "--endpoint", gate.worker.url], { PORTCULLIS_ADMIN_TOKEN: gate.adminToken });

  test("a typo'd kid and the signing key are refused; --confirm revokes the signing key", async () => {
    let out = await cli(["revoke", "--kid", "k9"]);
    assert.equal(out.code, 1);
    assert.match(out.stderr, /no key in the key ring has this kid/);
    out = await cli(["revoke", "--kid", "k1"]);
    assert.equal(out.code, 1);
    assert.match(out.stderr, /signing key.*"confirm": true/s);
    assert.deepEqual(await gate.recorded(), [], "nothing written");
    out = await cli(["revoke", "--kid", "k1", "--confirm"]);
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual([JSON.parse(out.stdout).kind, JSON.parse(out.stdout).kid], ["kid", "k1"]);
    await assertProblem(await gate.get("/orders/1", await gate.mint({ sub: "after" })), 401, "revoked");
  });
});
