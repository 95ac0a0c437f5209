// Grants (refresh-token rotation with reuse detection) and API keys exchanged for access
// tokens, on the real wasm build in workerd: Durable Objects on SQLite storage, as
// wrangler.toml declares them. Two gate Workers ("two locations", no shared isolate memory)
// bind the same Durable Object classes, so the concurrency test crosses isolates.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { GRANT_OBJECTS, ROOT, gateWorker, startOrigin, startWorker } from "./harness.mjs";
import { bearer, mint, mintingBindings } from "./fixtures.mjs";
import { join } from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { portcullisCli } from "./revocation-fixtures.mjs";

const PREFIX = "/_portcullis";
const FORM = { "content-type": "application/x-www-form-urlencoded" };
const JSON_CT = { "content-type": "application/json" };
const OAUTH_ERRORS = new Set(["invalid_request", "invalid_client", "invalid_grant", "unsupported_grant_type", "invalid_scope"]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let origin, worker, second, issuer, admin;
const errorsSeen = [];

before(async () => {
  origin = await startOrigin();
  const bindings = mintingBindings(origin.url);
  // The second gate: same build, its own isolate, the same Durable Objects (objects script).
  const other = gateWorker({ name: "portcullis-b", bindings, durableObjects: GRANT_OBJECTS });
  worker = await startWorker({ bindings, options: { durableObjects: GRANT_OBJECTS }, extraWorkers: [other], captureLogs: true });
  const b = await worker.mf.getWorker("portcullis-b");
  second = { fetch: (path, init) => b.fetch(new URL(path, "http://localhost").href, init) };
  issuer = await mint({ sub: "login-app", scope: "portcullis:issue" });
  admin = await mint({ sub: "ops", scope: "portcullis:admin" });
});

after(async () => {
  await worker?.dispose();
  await origin?.close();
});

async function json(res) {
  const body = await res.json();
  if (res.status >= 400 && body.error !== undefined) {
    errorsSeen.push({ status: res.status, body, cacheControl: res.headers.get("cache-control"), contentType: res.headers.get("content-type") });
  }
  return body;
}

async function openGrant(body = {}) {
  const res = await worker.fetch(`${PREFIX}/grants`, {
    method: "POST",
    headers: { ...JSON_CT, ...bearer(issuer) },
    body: JSON.stringify({ sub: "alice", scope: "orders:read orders:write", ...body }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(res.headers.get("cache-control"), "no-store");
  return res.json();
}

async function token(form, { via = worker, headers = {} } = {}) {
  const res = await via.fetch(`${PREFIX}/token`, { method: "POST", headers: { ...FORM, ...headers }, body: new URLSearchParams(form).toString() });
  return { status: res.status, headers: res.headers, body: await json(res) };
}

const refresh = (rt, extra = {}, opts) => token({ grant_type: "refresh_token", refresh_token: rt, ...extra }, opts);

async function gateStatus(accessToken) {
  const res = await worker.fetch("/orders/1", { headers: bearer(accessToken) });
  await res.arrayBuffer();
  return res.status;
}

test("a grant opens with an RFC 6749 answer whose access token the gate accepts, carrying sid", async () => {
  const g = await openGrant();
  assert.equal(g.token_type, "Bearer");
  assert.equal(g.scope, "orders:read orders:write");
  assert.match(g.refresh_token, /^pcrt_[0-9A-Za-z]{60}$/);
  assert.ok(g.expires_in > 0 && g.expires_in <= 300);
  const claims = JSON.parse(Buffer.from(g.access_token.split(".")[1], "base64url"));
  assert.match(claims.sid, /^[0-9A-Za-z]{22}$/);
  assert.equal(claims.sub, "alice");
  assert.equal(await gateStatus(g.access_token), 200);
});

test("opening a grant needs portcullis:issue; portcullis:admin is not enough", async () => {
  const res = await worker.fetch(`${PREFIX}/grants`, {
    method: "POST",
    headers: { ...JSON_CT, ...bearer(admin) },
    body: JSON.stringify({ sub: "alice", scope: "orders:read" }),
  });
  assert.equal(res.status, 403);
  const bad = await worker.fetch(`${PREFIX}/grants`, {
    method: "POST",
    headers: { ...JSON_CT, ...bearer(issuer) },
    body: JSON.stringify({ sub: "alice", scope: "orders:read", grace_s: 9999 }),
  });
  assert.equal(bad.status, 400);
});

test("refresh rotates: a new refresh token and access token each time", async () => {
  const g = await openGrant();
  const r1 = await refresh(g.refresh_token);
  assert.equal(r1.status, 200);
  assert.equal(r1.headers.get("cache-control"), "no-store");
  assert.notEqual(r1.body.refresh_token, g.refresh_token);
  assert.equal(await gateStatus(r1.body.access_token), 200);
  const r2 = await refresh(r1.body.refresh_token);
  assert.equal(r2.status, 200);
  assert.notEqual(r2.body.refresh_token, r1.body.refresh_token);
});

test("20 concurrent refreshes with one token, from two gates, yield exactly one successor", async () => {
  const g = await openGrant();
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => refresh(g.refresh_token, {}, { via: i % 2 ? second : worker })),
  );
  assert.deepEqual(results.map((r) => r.status), Array(20).fill(200));
  const successors = new Set(results.map((r) => r.body.refresh_token));
  assert.equal(successors.size, 1);
  const next = await refresh([...successors][0]);
  assert.equal(next.status, 200, "the one successor is the live token");
});

test("a retry within grace returns the same successor", async () => {
  const g = await openGrant();
  const first = await refresh(g.refresh_token);
  const retry = await refresh(g.refresh_token);
  assert.equal(retry.status, 200);
  assert.equal(retry.body.refresh_token, first.body.refresh_token);
});

test("reuse after grace revokes the grant: every refresh token dies and its access tokens are refused", async () => {
  const g = await openGrant({ grace_s: 1 });
  const r1 = await refresh(g.refresh_token);
  assert.equal(await gateStatus(r1.body.access_token), 200);
  await sleep(1100);
  const reuse = await refresh(g.refresh_token);
  assert.equal(reuse.status, 400);
  assert.equal(reuse.body.error, "invalid_grant");
  const current = await refresh(r1.body.refresh_token);
  assert.equal(current.body.error, "invalid_grant");
  // Within the revocation bound (this isolate publishes at once; poll a few seconds).
  let status;
  for (let i = 0; i < 20 && status !== 401; i++) {
    status = await gateStatus(r1.body.access_token);
    if (status !== 401) await sleep(250);
  }
  assert.equal(status, 401);
  assert.equal(await gateStatus(g.access_token), 401);
  const listed = await (await worker.fetch(`${PREFIX}/revocations`, { headers: bearer(admin) })).json();
  const claimsOf = (t) => JSON.parse(Buffer.from(t.split(".")[1], "base64url"));
  // One `sid` entry for the grant, no entry per access token; it outlives the latest of them.
  const sid = claimsOf(g.access_token).sid;
  const mine = listed.revocations.filter((e) => e.sid === sid || [g.access_token, r1.body.access_token].some((t) => e.jti === claimsOf(t).jti));
  assert.equal(mine.length, 1, JSON.stringify(mine));
  assert.equal(mine[0].kind, "sid");
  assert.equal(mine[0].reason, "reuse");
  assert.ok(mine[0].expires_at >= claimsOf(r1.body.access_token).exp, JSON.stringify(mine[0]));
  const audit = worker.logs.find((l) => l.includes("refresh_token_reused"));
  assert.ok(audit, "an audit line records the reuse");
  assert.match(audit, /generation 0 presented, current 1/);
  assert.ok(!audit.includes(g.refresh_token) && !audit.includes(r1.body.refresh_token), "no token in the log");
});

test("zero grace: a second use is reuse at once", async () => {
  const g = await openGrant({ grace_s: 0 });
  assert.equal((await refresh(g.refresh_token)).status, 200);
  assert.equal((await refresh(g.refresh_token)).body.error, "invalid_grant");
});

test("idle and absolute lifetimes end the grant", async () => {
  // The gate's clock has whole seconds, so every wait leaves a second's margin.
  const idle = await openGrant({ idle_s: 1, absolute_s: 60 });
  const abs = await openGrant({ idle_s: 3, absolute_s: 4 });
  await sleep(1100);
  const kept = await refresh(abs.refresh_token);
  assert.equal(kept.status, 200, "used within idle, before absolute");
  await sleep(1100);
  assert.equal((await refresh(idle.refresh_token)).body.error, "invalid_grant", "idle for 2 s > 1 s");
  const again = await refresh(kept.body.refresh_token);
  assert.equal(again.status, 200, "use keeps it from going idle");
  await sleep(2000);
  assert.equal((await refresh(again.body.refresh_token)).body.error, "invalid_grant", "past the absolute lifetime");
});

test("down-scoping is allowed, widening refused", async () => {
  const g = await openGrant();
  const narrow = await refresh(g.refresh_token, { scope: "orders:read" });
  assert.equal(narrow.status, 200);
  assert.equal(narrow.body.scope, "orders:read");
  const wide = await refresh(narrow.body.refresh_token, { scope: "orders:read admin" });
  assert.equal(wide.status, 400);
  assert.equal(wide.body.error, "invalid_scope");
});

test("log out one session by sid", async () => {
  const g = await openGrant();
  const sid = JSON.parse(Buffer.from(g.access_token.split(".")[1], "base64url")).sid;
  const res = await worker.fetch(`${PREFIX}/revocations`, { method: "POST", headers: { ...JSON_CT, ...bearer(admin) }, body: JSON.stringify({ sid }) });
  assert.equal(res.status, 200, await res.clone().text());
  const body = await res.json();
  assert.equal(body.entry.kind, "sid");
  assert.equal(body.entry.sid, sid);
  assert.equal(body.entry.reason, "logout");
  assert.ok(Number.isInteger(body.version) && body.version > 0);
  assert.equal((await refresh(g.refresh_token)).body.error, "invalid_grant");
  const refused = await worker.fetch("/orders/1", { headers: bearer(g.access_token) });
  assert.equal(refused.status, 401);
  assert.equal((await refused.json()).type, "urn:portcullis:problem:revoked");
  assert.ok(worker.logs.some((l) => l.includes("revoked by its session")), "the audit line says sid");
});

async function createKey(body) {
  const res = await worker.fetch(`${PREFIX}/api-keys`, { method: "POST", headers: { ...JSON_CT, ...bearer(admin) }, body: JSON.stringify(body) });
  assert.equal(res.status, 201, await res.clone().text());
  return res.json();
}

test("client credentials: a valid, a revoked, an expired and a checksum-broken key", async () => {
  const k = await createKey({ sub: "svc-reports", scope: "orders:read", name: "ci" });
  assert.match(k.key, /^pcak_[0-9A-Za-z]{49}$/);
  const basic = { authorization: `Basic ${Buffer.from(`${k.id}:${k.key}`).toString("base64")}` };
  const ok = await token({ grant_type: "client_credentials" }, { headers: basic });
  assert.equal(ok.status, 200);
  assert.equal(ok.body.refresh_token, undefined);
  assert.equal(await gateStatus(ok.body.access_token), 200);
  const inForm = await token({ grant_type: "client_credentials", client_id: k.id, client_secret: k.key });
  assert.equal(inForm.status, 200);
  const wider = await token({ grant_type: "client_credentials", client_secret: k.key, scope: "orders:write" });
  assert.equal(wider.body.error, "invalid_scope");

  const list = await (await worker.fetch(`${PREFIX}/api-keys`, { headers: bearer(admin) })).json();
  const listed = list.api_keys.find((x) => x.id === k.id);
  assert.ok(listed.last_used_at > 0);
  assert.ok(!JSON.stringify(list).includes(k.key), "the secret is never listed");

  const broken = k.key.slice(0, -1) + (k.key.endsWith("A") ? "B" : "A");
  const typo = await token({ grant_type: "client_credentials", client_secret: broken });
  assert.equal(typo.status, 401);
  assert.equal(typo.body.error, "invalid_client");
  assert.match(typo.headers.get("www-authenticate"), /^Basic realm=/);

  const res = await worker.fetch(`${PREFIX}/api-keys/revoke`, { method: "POST", headers: { ...JSON_CT, ...bearer(admin) }, body: JSON.stringify({ id: k.id }) });
  assert.equal(res.status, 200);
  const revoked = await token({ grant_type: "client_credentials" }, { headers: basic });
  assert.equal(revoked.status, 401);
  assert.equal(revoked.body.error, "invalid_client");

  const short = await createKey({ sub: "svc-tmp", scope: "orders:read", expires_in_s: 1 });
  await sleep(1100);
  const expired = await token({ grant_type: "client_credentials", client_secret: short.key });
  assert.equal(expired.status, 401);
  assert.equal(expired.body.error, "invalid_client");
});

test("malformed token requests get RFC 6749 errors", async () => {
  assert.equal((await token({ grant_type: "password", username: "a", password: "b" })).body.error, "unsupported_grant_type");
  assert.equal((await token({ refresh_token: "x" })).body.error, "invalid_request");
  assert.equal((await refresh("pcrt_not-a-token")).body.error, "invalid_grant");
  const res = await worker.fetch(`${PREFIX}/token`, { method: "POST", headers: JSON_CT, body: "{}" });
  assert.equal(res.status, 400);
  assert.equal((await json(res)).error, "invalid_request");
  const twice = await worker.fetch(`${PREFIX}/token`, { method: "POST", headers: FORM, body: "grant_type=refresh_token&grant_type=refresh_token" });
  assert.equal((await json(twice)).error, "invalid_request");
});

test("every error answer was RFC 6749-shaped and no-store", () => {
  assert.ok(errorsSeen.length >= 10, `saw ${errorsSeen.length} errors`);
  for (const e of errorsSeen) {
    assert.ok(OAUTH_ERRORS.has(e.body.error), JSON.stringify(e));
    assert.equal(typeof e.body.error_description, "string");
    assert.equal(e.cacheControl, "no-store");
    assert.match(e.contentType, /^application\/json/);
    assert.ok(e.status === 400 || e.status === 401);
  }
});

/** Makes sure authlib (and requests) import, installing authlib with pip if not. */
function ensureAuthlib() {
  const probe = () => spawnSync("python3", ["-c", "import authlib, requests"], { encoding: "utf8" }).status === 0;
  if (probe()) return;
  const pip = spawnSync("python3", ["-m", "pip", "install", "-q", "authlib>=1.3", "requests"], { encoding: "utf8", timeout: 180_000 });
  if (!probe()) throw new Error(`authlib is needed and could not be installed: ${pip.stderr}`);
}

test("Python authlib completes the refresh and client-credentials flows against the gate", async () => {
  ensureAuthlib();
  const out = await new Promise((resolve, reject) => {
    const child = spawn("python3", [join(ROOT, "tests", "e2e", "authlib_flows.py")], { timeout: 60_000 });
    let text = "";
    child.stdout.on("data", (c) => (text += c));
    child.stderr.on("data", (c) => (text += c));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, text }));
    child.stdin.end(JSON.stringify({ base: worker.url.href.replace(/\/$/, ""), issuer, admin }));
  });
  assert.equal(out.status, 0, out.text);
  assert.ok((out.text.match(/^PASS /gm) ?? []).length >= 9, out.text);
});

test("CLI: grant create, token refresh, apikey create|list|revoke, token exchange", async () => {
  const cli = await portcullisCli();
  const endpoint = ["--endpoint", worker.url.href];
  const created = await cli(["grant", "create", "--sub", "carol", "--scope", "orders:read orders:write", "--grace", "0s", ...endpoint], {
    PORTCULLIS_ISSUE_TOKEN: issuer,
  });
  assert.equal(created.code, 0, created.stderr);
  const grant = JSON.parse(created.stdout);
  assert.match(grant.refresh_token, /^pcrt_/);
  const refreshed = await cli(["token", "refresh", "--scope", "orders:read", ...endpoint], { PORTCULLIS_REFRESH_TOKEN: grant.refresh_token });
  assert.equal(refreshed.code, 0, refreshed.stderr);
  assert.equal(JSON.parse(refreshed.stdout).scope, "orders:read");
  const reused = await cli(["token", "refresh", ...endpoint], { PORTCULLIS_REFRESH_TOKEN: grant.refresh_token });
  assert.equal(reused.code, 1);
  assert.match(reused.stderr, /invalid_grant/);
  assert.ok(!reused.stderr.includes(grant.refresh_token), "the token is not echoed");
  const noFlag = await cli(["token", "refresh", ...endpoint], {});
  assert.equal(noFlag.code, 2);

  // `portcullis revoke --sid`: one session ends, recorded as the operator's (`admin`).
  const session = await openGrant({ sub: "carol" });
  const sid = JSON.parse(Buffer.from(session.access_token.split(".")[1], "base64url")).sid;
  const ended = await cli(["revoke", "--sid", sid, ...endpoint], { PORTCULLIS_ADMIN_TOKEN: admin });
  assert.equal(ended.code, 0, ended.stderr);
  const entry = JSON.parse(ended.stdout);
  assert.deepEqual([entry.kind, entry.sid, entry.reason], ["sid", sid, "admin"]);
  assert.match(ended.stderr, /lapses/);
  assert.equal(await gateStatus(session.access_token), 401);
  const notOurs = await cli(["revoke", "--sid", "nope", ...endpoint], { PORTCULLIS_ADMIN_TOKEN: admin });
  assert.equal(notOurs.code, 1, notOurs.stderr);
  // `portcullis grant list --sub`: carol's grant from `grant create` ended by reuse above, the
  // one just ended by sid is gone too; a new one is listed, without its secret.
  const listedGrant = await openGrant({ sub: "carol o'hara", client_id: "portal" });
  const listing = await cli(["grant", "list", "--sub", "carol o'hara", ...endpoint], { PORTCULLIS_ADMIN_TOKEN: admin });
  assert.equal(listing.code, 0, listing.stderr);
  const shown = JSON.parse(listing.stdout);
  assert.equal(shown.sub, "carol o'hara");
  assert.deepEqual(shown.grants.map((x) => [x.sid, x.client_id]), [[JSON.parse(Buffer.from(listedGrant.access_token.split(".")[1], "base64url")).sid, "portal"]]);
  assert.ok(!listing.stdout.includes(listedGrant.refresh_token));
  assert.equal(JSON.parse((await cli(["grant", "list", "--sub", "carol", ...endpoint], { PORTCULLIS_ADMIN_TOKEN: admin })).stdout).grants.length, 0);

  const key = await cli(["apikey", "create", "--sub", "nightly", "--scope", "orders:read", "--name", "job", "--expires-in", "1d", ...endpoint], {
    PORTCULLIS_ADMIN_TOKEN: admin,
  });
  assert.equal(key.code, 0, key.stderr);
  const k = JSON.parse(key.stdout);
  const exchanged = await cli(["token", "exchange", ...endpoint], { PORTCULLIS_API_KEY: k.key });
  assert.equal(exchanged.code, 0, exchanged.stderr);
  assert.equal(await gateStatus(JSON.parse(exchanged.stdout).access_token), 200);
  const list = await cli(["apikey", "list", ...endpoint], { PORTCULLIS_ADMIN_TOKEN: admin });
  assert.equal(list.code, 0, list.stderr);
  assert.ok(JSON.parse(list.stdout).api_keys.some((x) => x.id === k.id && x.last_used_at));
  assert.ok(!list.stdout.includes(k.key));
  const revoked = await cli(["apikey", "revoke", k.id, ...endpoint], { PORTCULLIS_ADMIN_TOKEN: admin });
  assert.equal(revoked.code, 0, revoked.stderr);
  const after = await cli(["token", "exchange", ...endpoint], { PORTCULLIS_API_KEY: k.key });
  assert.equal(after.code, 1);
  assert.match(after.stderr, /invalid_client/);
});

test("a subject's grants: listed without secrets, one ended by sid, then all ended", async () => {
  const list = async (sub, token = admin) => {
    const res = await worker.fetch(`${PREFIX}/grants?sub=${encodeURIComponent(sub)}`, { headers: bearer(token) });
    return { status: res.status, text: await res.text() };
  };
  const sidOf = (t) => JSON.parse(Buffer.from(t.split(".")[1], "base64url")).sid;
  const dora = [];
  for (const client_id of ["web", "ios", "cli"]) dora.push(await openGrant({ sub: "dora", client_id }));
  const erin = await openGrant({ sub: "erin" });
  const rotated = await refresh(dora[1].refresh_token);
  assert.equal(rotated.status, 200);

  const listed = await list("dora");
  assert.equal(listed.status, 200, listed.text);
  const body = JSON.parse(listed.text);
  assert.equal(body.sub, "dora");
  assert.deepEqual(new Set(body.grants.map((g) => g.sid)), new Set(dora.map((g) => sidOf(g.access_token))));
  const ios = body.grants.find((g) => g.client_id === "ios");
  assert.equal(ios.sid, sidOf(dora[1].access_token));
  assert.equal(ios.scope, "orders:read orders:write");
  for (const field of ["created_at", "last_refresh_at", "idle_expires_at", "expires_at"]) assert.ok(Number.isInteger(ios[field]), field);
  assert.ok(ios.expires_at > ios.idle_expires_at && ios.idle_expires_at > ios.last_refresh_at);
  assert.equal(body.grants.find((g) => g.client_id === "web").last_refresh_at, null, "never refreshed");
  for (const secret of [...dora.map((g) => g.refresh_token), rotated.body.refresh_token]) assert.ok(!listed.text.includes(secret));
  assert.ok(!/pcrt_|digest|successor/.test(listed.text), "no secret, no digest");

  assert.equal((await list("dora", issuer)).status, 403, "portcullis:issue is not enough");
  const noSub = await worker.fetch(`${PREFIX}/grants`, { headers: bearer(admin) });
  assert.equal(noSub.status, 400);
  assert.equal((await noSub.json()).type, "urn:portcullis:problem:bad_subject");
  assert.equal(JSON.parse((await list("nobody")).text).grants.length, 0);

  // One ends by sid: it leaves the list.
  const one = await worker.fetch(`${PREFIX}/revocations`, { method: "POST", headers: { ...JSON_CT, ...bearer(admin) }, body: JSON.stringify({ sid: sidOf(dora[0].access_token), reason: "admin" }) });
  assert.equal(one.status, 200);
  assert.equal(JSON.parse((await list("dora")).text).grants.length, 2);

  // All end: refresh refused at once, access tokens refused (this isolate records at once).
  const all = await worker.fetch(`${PREFIX}/grants/revoke`, { method: "POST", headers: { ...JSON_CT, ...bearer(admin) }, body: JSON.stringify({ sub: "dora" }) });
  assert.equal(all.status, 200, await all.clone().text());
  const ended = await all.json();
  assert.deepEqual(new Set(ended.revoked), new Set([sidOf(dora[1].access_token), sidOf(dora[2].access_token)]));
  assert.ok(ended.version > 0);
  for (const rt of [rotated.body.refresh_token, dora[2].refresh_token]) assert.equal((await refresh(rt)).body.error, "invalid_grant");
  for (const at of [dora[1].access_token, rotated.body.access_token, dora[2].access_token]) assert.equal(await gateStatus(at), 401);
  assert.equal(JSON.parse((await list("dora")).text).grants.length, 0);
  const revocations = (await (await worker.fetch(`${PREFIX}/revocations`, { headers: bearer(admin) })).json()).revocations;
  for (const sid of ended.revoked) assert.equal(revocations.find((e) => e.sid === sid)?.reason, "admin");
  // Another subject's grant is untouched.
  assert.equal((await refresh(erin.refresh_token)).status, 200);
  assert.equal(JSON.parse((await list("erin")).text).grants.length, 1);
  const audit = worker.logs.find((l) => l.includes("grants_revoked"));
  assert.match(audit, /sub dora: 2 grants revoked/);
  const bad = await worker.fetch(`${PREFIX}/grants/revoke`, { method: "POST", headers: { ...JSON_CT, ...bearer(admin) }, body: JSON.stringify({ sub: "erin", reason: "reuse" }) });
  assert.equal(bad.status, 400);
  assert.equal(JSON.parse((await list("erin")).text).grants.length, 1, "a refused request ends nothing");
});
