// Leak checks: representative traffic against the REAL build, with everything observable
// captured — the Worker's console output, every response (status line, headers, body) and
// every request the origin received — and searched for credentials: each token used (whole,
// and its signature segment) and the key material of PORTCULLIS_KEYS and
// PORTCULLIS_ORIGIN_KEY (base64url `k`, standard base64, raw hex). The one place a signed
// credential may appear is the X-Portcullis-Assertion header sent to the origin, which must
// be the gate's own assertion and must not contain the client's token.
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { startOrigin, startWorker } from "./harness.mjs";

const b64u = (buf) => Buffer.from(buf).toString("base64url");
const GATE_SECRET = randomBytes(32);
const ADMIN_KEY_SECRET = randomBytes(48);
const ORIGIN_SECRET = randomBytes(32);
const KEYS = JSON.stringify({
  keys: [
    { kty: "oct", kid: "gate", alg: "HS256", key_ops: ["sign", "verify"], k: b64u(GATE_SECRET) },
    { kty: "oct", kid: "ops", alg: "HS384", key_ops: ["verify"], k: b64u(ADMIN_KEY_SECRET) },
  ],
});
const ORIGIN_KEY = JSON.stringify({ kty: "oct", kid: "origin", alg: "HS256", k: b64u(ORIGIN_SECRET) });
// A key set the loader refuses (too short): its `k` must not leak into the error either.
const WEAK_SECRET = randomBytes(20);
const WEAK_KEYS = JSON.stringify({ keys: [{ kty: "oct", kid: "weak", alg: "HS256", k: b64u(WEAK_SECRET) }] });

const ROUTES = JSON.stringify([
  { match: "GET,HEAD /health", public: true },
  { match: "GET /orders/*", scopes: ["orders:read"] },
  { match: "POST /orders", scopes: ["orders:write"] },
]);

const now = () => Math.floor(Date.now() / 1000);
let n = 0;
const tokens = []; // every token sent, valid or not
function sign(payload, { secret = GATE_SECRET, kid = "gate", alg = "HS256", hash = "sha256" } = {}) {
  const input = `${b64u(JSON.stringify({ alg, kid, typ: "JWT" }))}.${b64u(JSON.stringify(payload))}`;
  const token = `${input}.${b64u(createHmac(hash, secret).update(input).digest())}`;
  tokens.push(token);
  return token;
}
function token(scope, extra = {}, opts) {
  return sign({ sub: `user-${++n}`, jti: `jti-${n}`, scope, iat: now() - 5, exp: now() + 300, ...extra }, opts);
}

/** Every string that must never be seen: tokens, signatures, key material in each spelling. */
function secrets() {
  const keys = [GATE_SECRET, ADMIN_KEY_SECRET, ORIGIN_SECRET, WEAK_SECRET].flatMap((k) => [
    ["key (base64url)", b64u(k)],
    ["key (base64)", k.toString("base64").replace(/=+$/, "")],
    ["key (hex)", k.toString("hex")],
    ["key (HEX)", k.toString("hex").toUpperCase()],
  ]);
  const toks = tokens.flatMap((t) => [
    ["token", t],
    ["token signature", t.split(".")[2]],
  ]);
  return [...keys, ...toks].filter(([, s]) => s && s.length >= 16);
}

function findLeaks(where, text) {
  return secrets()
    .filter(([, s]) => text.includes(s))
    .map(([what]) => `${what} in ${where}`);
}

describe("no credential or key leaks", () => {
  let origin;
  let worker;
  let broken;
  const logs = [];
  const responses = [];

  async function send(path, init = {}, via = worker) {
    const res = await via.fetch(path, init);
    const body = await res.text();
    const headers = [...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
    responses.push({ path, status: res.status, text: `${res.status}\n${headers}\n\n${body}` });
    return { status: res.status, body };
  }
  const bearer = (t, extra = {}) => ({ headers: { authorization: `Bearer ${t}`, ...extra } });

  before(async () => {
    origin = await startOrigin();
    const capture = ({ level, message }) => {
      logs.push(`${level}: ${message}`); // must return nothing: Miniflare validates it
    };
    worker = await startWorker({
      bindings: {
        PORTCULLIS_KEYS: KEYS,
        PORTCULLIS_ORIGIN_KEY: ORIGIN_KEY,
        ORIGIN_URL: origin.url,
        PORTCULLIS_ROUTES: ROUTES,
        PORTCULLIS_COOKIE: "session",
      },
      options: { handleStructuredLogs: capture },
    });
    broken = await startWorker({
      bindings: { PORTCULLIS_KEYS: WEAK_KEYS, PORTCULLIS_ORIGIN_KEY: ORIGIN_KEY, ORIGIN_URL: origin.url, PORTCULLIS_ROUTES: ROUTES },
      options: { handleStructuredLogs: capture },
    });

    const admin = token("portcullis:admin");
    const reader = token("orders:read");
    // Allowed: header, cookie (with another cookie the origin must still get), POST body.
    // Allowed, with identity headers a client tries to spoof: the origin must get the gate's.
    const spoof = { "x-portcullis-subject": "spoofed-admin", "X-Portcullis-Assertion": "spoofed.assertion.value" };
    assert.equal((await send("/orders/1?x=1", bearer(reader, spoof))).status, 200);
    assert.equal((await send("/orders/2", { headers: { cookie: `theme=dark; session=${token("orders:read")}` } })).status, 200);
    const writer = token("orders:write orders:read");
    assert.equal((await send("/orders", { method: "POST", body: '{"item":1}', ...bearer(writer) })).status, 200);
    assert.equal((await send("/health", bearer(token("")))).status, 200);
    // Signed by the second, verify-only key of the ring.
    assert.equal((await send("/orders/3", bearer(token("orders:read", {}, { secret: ADMIN_KEY_SECRET, kid: "ops", alg: "HS384", hash: "sha384" })))).status, 200);
    // Rejected, one of each kind.
    const expired = token("orders:read", { iat: now() - 600, exp: now() - 60 });
    assert.equal((await send("/orders/4", bearer(expired))).status, 401);
    const good = token("orders:read");
    const tampered = `${good.slice(0, -3)}${good.at(-3) === "A" ? "B" : "A"}${good.slice(-2)}`;
    tokens.push(tampered);
    assert.equal((await send("/orders/5", bearer(tampered))).status, 401);
    const forged = token("orders:read", {}, { secret: randomBytes(32) });
    assert.equal((await send("/orders/6", bearer(forged))).status, 401);
    const none = `${b64u('{"alg":"none"}')}.${b64u(JSON.stringify({ sub: "x", exp: now() + 60 }))}.`;
    assert.equal((await send("/orders/7", bearer(none))).status, 401);
    assert.equal((await send("/orders/8", bearer(token("orders:write")))).status, 403);
    assert.equal((await send(`/orders/9?access_token=${token("orders:read")}`)).status, 400);
    const other = token("orders:read");
    assert.equal((await send("/orders/10", { headers: { authorization: `Bearer ${reader}`, cookie: `session=${other}` } })).status, 400);
    assert.equal((await send("/orders/11", { headers: { authorization: `Bearer ${reader}!` } })).status, 400);
    assert.equal((await send("/nowhere", bearer(reader))).status, 403);
    assert.equal((await send("/orders/12", bearer(`${reader}${"A".repeat(9000)}`))).status, 401);
    // Admin API: revoke by jti and by presented token, list, introspect, keys, stats.
    const victim = token("orders:read");
    const victimJti = JSON.parse(Buffer.from(victim.split(".")[1], "base64url")).jti;
    const byToken = token("orders:read");
    const json = { "content-type": "application/json" };
    assert.equal((await send("/_portcullis/revocations", { method: "POST", body: JSON.stringify({ jti: victimJti }), ...bearer(admin, json) })).status, 201);
    assert.equal((await send("/_portcullis/revocations", { method: "POST", body: JSON.stringify({ token: byToken }), ...bearer(admin, json) })).status, 201);
    assert.equal((await send("/_portcullis/revocations", bearer(admin))).status, 200);
    const form = { "content-type": "application/x-www-form-urlencoded" };
    assert.equal((await send("/_portcullis/introspect", { method: "POST", body: `token=${reader}`, ...bearer(admin, form) })).status, 200);
    assert.equal((await send("/_portcullis/introspect", { method: "POST", body: `token=${tampered}`, ...bearer(admin, form) })).status, 200);
    assert.equal((await send("/_portcullis/keys", bearer(admin))).status, 200);
    assert.equal((await send("/_portcullis/stats", bearer(admin))).status, 200);
    assert.equal((await send("/_portcullis/revocations", { method: "POST", body: JSON.stringify({ token: "x", jti: "y" }), ...bearer(admin, json) })).status, 400);
    assert.equal((await send("/_portcullis/keys", bearer(reader))).status, 403);
    // Revoked tokens now fail, both ways of revoking.
    assert.equal((await send("/orders/13", bearer(victim))).status, 401);
    assert.equal((await send("/orders/14", bearer(byToken))).status, 401);
    // The misconfigured gate names the setting, never the key.
    assert.equal((await send("/orders/15", bearer(reader), broken)).status, 500);
    // Logs arrive asynchronously from workerd.
    await new Promise((r) => setTimeout(r, 300));
  });
  after(async () => {
    await worker?.dispose();
    await broken?.dispose();
    await origin?.close();
  });

  test("captures the worker's console output (so the log check sees real lines)", () => {
    const audit = logs.filter((l) => l.includes('"decision"'));
    assert.ok(audit.length >= 20, `only ${audit.length} audit lines captured`);
    assert.ok(logs.some((l) => l.includes('"config_error"')), "the config error line was not captured");
    assert.ok(logs.some((l) => l.includes('"event":"admin"')), "no admin line captured");
  });

  test("worker logs carry no token, signature or key", () => {
    assert.deepEqual(logs.flatMap((l, i) => findLeaks(`log line ${i} (${l.length} chars)`, l)), []);
  });

  test("responses carry no token, signature or key", () => {
    assert.ok(responses.length >= 25);
    assert.deepEqual(responses.flatMap((r) => findLeaks(`response to ${r.path} (${r.status})`, r.text)), []);
  });

  test("the origin receives no token, signature or key outside the assertion", () => {
    assert.ok(origin.requests.length >= 5, `origin saw ${origin.requests.length} requests`);
    const leaks = origin.requests.flatMap((r) => {
      const headers = Object.entries(r.headers)
        .filter(([k]) => k !== "x-portcullis-assertion")
        .map(([k, v]) => `${k}: ${v}`)
        .join("\n");
      return findLeaks(`origin request ${r.method} ${r.url}`, `${r.method} ${r.url}\n${headers}\n\n${r.body}`);
    });
    assert.deepEqual(leaks, []);
    const cookies = origin.requests.map((r) => r.headers.cookie).filter(Boolean);
    assert.deepEqual(cookies, ["theme=dark"], "the token cookie must be stripped, other cookies kept");
  });

  test("identity headers sent by the client never reach the origin", () => {
    const seen = origin.requests.flatMap((r) => Object.values(r.headers)).filter((v) => String(v).includes("spoofed"));
    assert.deepEqual(seen, []);
    const first = origin.requests.find((r) => r.url === "/orders/1?x=1");
    assert.match(first.headers["x-portcullis-subject"], /^user-\d+$/);
  });

  test("each assertion is the gate's own, signed with the origin key, and embeds no token", () => {
    const forwarded = origin.requests.filter((r) => r.url !== "/health");
    assert.ok(forwarded.length >= 4);
    for (const r of forwarded) {
      const assertion = r.headers["x-portcullis-assertion"];
      assert.ok(assertion, `${r.url} arrived without an assertion`);
      const [h, p, s] = assertion.split(".");
      assert.equal(s, b64u(createHmac("sha256", ORIGIN_SECRET).update(`${h}.${p}`).digest()));
      assert.deepEqual(
        secrets().filter(([what, x]) => what.startsWith("token") && assertion.includes(x)).map(([w]) => w),
        [],
      );
      assert.deepEqual(findLeaks("assertion", assertion).filter((l) => l.startsWith("key")), []);
    }
  });
});
