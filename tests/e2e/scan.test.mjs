// `portcullis scan --endpoint --revoke` against the REAL gate in workerd: a generated tree with
// live tokens of this gate, one already revoked, an expired one and a foreign one. The scan
// reports the revoked one as revoked (introspection), revokes every live one with reason
// `leaked`, and the gate then refuses each of them; a second scan finds nothing live.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { nowS, portcullisCli, problemOf, startGate } from "./revocation-fixtures.mjs";

describe("portcullis scan --revoke against the gate", () => {
  let gate, cli, dir;
  const tokens = {};
  before(async () => {
    gate = await startGate();
    cli = await portcullisCli();
    dir = mkdtempSync(join(tmpdir(), "portcullis-scan-e2e-"));
    tokens.source = await gate.mint({ sub: "scan-src", jti: "scan-live-1" });
    tokens.log = await gate.mint({ sub: "scan-log", jti: "scan-live-2", key: gate.keys.k2 });
    tokens.before = await gate.mint({ sub: "scan-old", jti: "scan-revoked-1" });
    tokens.expired = await gate.mint({ sub: "scan-exp", jti: "scan-expired-1", iat: nowS() - 4000, exp: nowS() - 3000 });
    tokens.foreign = await gate.mint({ sub: "scan-x", jti: "scan-foreign-1", key: { kid: "k1", secret: Buffer.alloc(32, 9) } });
    assert.equal((await gate.admin("POST", "/revocations", { jti: "scan-revoked-1" })).status, 201);
    const write = (name, text) => {
      mkdirSync(join(dir, name, ".."), { recursive: true });
      writeFileSync(join(dir, name), text);
    };
    write("keys.json", JSON.stringify({ keys: [gate.keys.k1.jwk, gate.keys.k2.jwk] }));
    write("tree/app/config.js", `export const token = "${tokens.source}";\n`);
    write("tree/logs/gate.log", `GET /orders/1 200\nGET /orders/2 authorization=Bearer ${tokens.log}\n`);
    write("tree/notes.md", `old: ${tokens.before}\nexpired: ${tokens.expired}\nother: ${tokens.foreign}\n`);
  });
  after(async () => {
    await gate?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const scan = (...extra) =>
    cli(["scan", "--keys", join(dir, "keys.json"), "--format", "json", "--endpoint", gate.worker.url, ...extra, join(dir, "tree")], {
      PORTCULLIS_ADMIN_TOKEN: gate.adminToken,
    });

  test("reports revoked ones as revoked, revokes the live ones as leaked, and the gate refuses them", async () => {
    for (const t of [tokens.source, tokens.log]) assert.equal((await gate.get("/orders/1", t)).status, 200);
    const out = await scan("--revoke");
    assert.equal(out.code, 1, out.stderr);
    const { findings, summary } = JSON.parse(out.stdout);
    const bySub = Object.fromEntries(findings.map((f) => [f.sub ?? "(foreign)", [f.status, f.revoked_now]]));
    assert.deepEqual(bySub, {
      "scan-src": ["live", true],
      "scan-log": ["live", true],
      "scan-old": ["revoked", false],
      "scan-exp": ["expired", false],
      "(foreign)": ["unverified", false],
    });
    assert.equal(summary.revoked_now, 2);
    for (const t of Object.values(tokens)) assert.ok(!out.stdout.includes(t), "no whole token printed");
    for (const t of [tokens.source, tokens.log]) {
      const res = await gate.get("/orders/1", t);
      assert.equal(res.status, 401);
      assert.equal((await problemOf(res)).type, "urn:portcullis:problem:revoked");
    }
    const listed = (await (await gate.admin("GET", "/revocations")).json()).revocations;
    const reasons = Object.fromEntries(listed.filter((e) => e.jti?.startsWith("scan-")).map((e) => [e.jti, e.reason]));
    assert.deepEqual(reasons, { "scan-live-1": "leaked", "scan-live-2": "leaked", "scan-revoked-1": "admin" });
  });

  test("a second scan finds nothing live: exit 0", async () => {
    const out = await scan();
    assert.equal(out.code, 0, out.stderr);
    const { summary } = JSON.parse(out.stdout);
    assert.deepEqual([summary.live, summary.revoked, summary.expired, summary.unverified], [0, 3, 1, 1]);
  });

  test("a refused admin token is an error of the scan (exit 2), not a finding", async () => {
    const out = await cli(
      ["scan", "--keys", join(dir, "keys.json"), "--endpoint", gate.worker.url, join(dir, "tree")],
      { PORTCULLIS_ADMIN_TOKEN: await gate.mint({ sub: "not-admin" }) },
    );
    assert.equal(out.code, 2);
    assert.match(out.stderr, /Insufficient scope/);
  });
});

// Refresh tokens and API keys: found by their checksum; offline `unchecked`; with --endpoint
// the grant object or key store says live or revoked; --revoke ends the grant (by sid, reason
// leaked, with the access tokens it issued) and revokes the key.
describe("portcullis scan: refresh tokens and API keys against the gate", () => {
  let gate, cli, dir, grant, key;
  before(async () => {
    gate = await startGate({ grants: true });
    cli = await portcullisCli();
    dir = mkdtempSync(join(tmpdir(), "portcullis-scan-opaque-"));
    grant = await gate.openGrant("scan-user");
    key = await gate.createApiKey("scan-svc");
    const revokedKey = await gate.createApiKey("scan-old-svc");
    assert.equal((await gate.admin("POST", "/api-keys/revoke", { id: revokedKey.id })).status, 200);
    const fake = `pcak_${"A".repeat(49)}`;
    mkdirSync(join(dir, "tree"), { recursive: true });
    writeFileSync(join(dir, "keys.json"), JSON.stringify({ keys: [gate.keys.k1.jwk, gate.keys.k2.jwk] }));
    writeFileSync(
      join(dir, "tree", "ci.env"),
      `REFRESH=${grant.refresh_token}\nAPI_KEY=${key.key}\nOLD_KEY=${revokedKey.key}\nEXAMPLE_KEY=${fake}\n`,
    );
  });
  after(async () => {
    await gate?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const scan = (...extra) =>
    cli(["scan", "--keys", join(dir, "keys.json"), "--format", "json", ...extra, join(dir, "tree")], {
      PORTCULLIS_ADMIN_TOKEN: gate.adminToken,
    });
  const statuses = (out) => JSON.parse(out.stdout).findings.map((f) => [f.kind, f.status, f.revoked_now]);

  test("offline: unchecked (exit 1); the example with a made-up checksum is no finding", async () => {
    const out = await scan();
    assert.equal(out.code, 1, out.stderr);
    assert.deepEqual(statuses(out), [
      ["refresh_token", "unchecked", false],
      ["api_key", "unchecked", false],
      ["api_key", "unchecked", false],
    ]);
    for (const t of [grant.refresh_token, key.key]) assert.ok(!out.stdout.includes(t), "no whole credential printed");
  });

  test("--endpoint asks the gate; --revoke revokes the live ones as leaked and the gate refuses them", async () => {
    const asked = await scan("--endpoint", gate.worker.url);
    assert.equal(asked.code, 1, asked.stderr);
    assert.deepEqual(statuses(asked), [
      ["refresh_token", "live", false],
      ["api_key", "live", false],
      ["api_key", "revoked", false],
    ]);
    assert.deepEqual(JSON.parse(asked.stdout).findings.map((f) => f.sub), ["scan-user", "scan-svc", "scan-old-svc"]);
    assert.equal((await gate.get("/orders/1", grant.access_token)).status, 200, "asking revoked nothing");

    const out = await scan("--endpoint", gate.worker.url, "--revoke");
    assert.equal(out.code, 1, out.stderr);
    assert.deepEqual(statuses(out), [
      ["refresh_token", "live", true],
      ["api_key", "live", true],
      ["api_key", "revoked", false],
    ]);
    const refresh = await gate.tokenRequest({ grant_type: "refresh_token", refresh_token: grant.refresh_token });
    assert.equal(refresh.body.error, "invalid_grant");
    const refused = await gate.get("/orders/1", grant.access_token);
    assert.equal(refused.status, 401);
    assert.equal((await problemOf(refused)).type, "urn:portcullis:problem:revoked");
    const listed = (await (await gate.admin("GET", "/revocations")).json()).revocations;
    assert.ok(listed.some((e) => e.kind === "sid" && e.reason === "leaked"), "the grant's access tokens, revoked by sid as leaked");
    const exchange = await gate.tokenRequest({ grant_type: "client_credentials", client_secret: key.key });
    assert.equal(exchange.body.error, "invalid_client");
    const audit = gate.events("admin").filter((r) => r.reason === "api_key_revoked" || r.reason === "grant_revoked");
    assert.deepEqual(audit.map((r) => r.revocation_reason).sort(), ["admin", "leaked", "leaked"]);

    const again = await scan("--endpoint", gate.worker.url);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout).summary.revoked, 3);
  });
});
