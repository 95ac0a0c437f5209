// Issue 10, items 15, 17, 18 and 19, on the REAL build in workerd:
// - 15: state-changing admin requests are CSRF-proof (token from Authorization only, JSON
//   bodies, no cross-site Origin);
// - 17: introspection answers an inactive token with exactly {"active": false};
// - 18: error bodies never echo the server's clock, leeway or limits;
// - 19: one audit record shape for gate decisions and admin actions.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { SignJWT } from "jose";
import { ADMIN_SCOPE, hsKey, nowS, problemOf, startGate } from "./revocation-fixtures.mjs";

const COOKIE = "pc_token";
const EVIL = "https://evil.example";

describe("admin API hardening", () => {
  let gate;
  const minted = [];
  const mint = async (opts) => {
    const token = await gate.mint(opts);
    minted.push(token);
    return token;
  };

  before(async () => {
    gate = await startGate({ extra: { PORTCULLIS_COOKIE: COOKIE } });
    minted.push(gate.adminToken);
  });
  after(() => gate?.dispose());

  /** What the single writer holds, for "nothing was written". */
  const entryKeys = () => gate.recorded();

  /** A raw admin request: no helper defaults, exactly these headers. */
  const raw = (method, endpoint, { headers = {}, body } = {}) =>
    gate.worker.fetch(`/_portcullis${endpoint}`, { method, headers, body });


  describe("15: state-changing admin requests", () => {
    test("a cross-site form with the admin's token cookie cannot revoke (the CSRF case)", async () => {
      const before = await entryKeys();
      // What a page on another site can make a signed-in operator's browser send.
      const res = await raw("POST", "/revocations", {
        headers: { cookie: `${COOKIE}=${gate.adminToken}`, "content-type": "text/plain", origin: EVIL },
        body: JSON.stringify({ jti: "csrf-1" }),
      });
      assert.equal(res.status, 403);
      assert.equal((await problemOf(res)).type, "urn:portcullis:problem:cross_site_request");
      assert.deepEqual(await entryKeys(), before, "nothing revoked");
    });

    test("the token cookie is never the credential of a POST, even same-site with JSON", async () => {
      const before = await entryKeys();
      const res = await raw("POST", "/revocations", {
        headers: { cookie: `${COOKIE}=${gate.adminToken}`, "content-type": "application/json" },
        body: JSON.stringify({ jti: "cookie-1" }),
      });
      assert.equal(res.status, 401);
      assert.equal((await problemOf(res)).type, "urn:portcullis:problem:credential_not_in_header");
      const intro = await raw("POST", "/introspect", {
        headers: { cookie: `${COOKIE}=${gate.adminToken}`, "content-type": "application/x-www-form-urlencoded" },
        body: `token=${encodeURIComponent(gate.adminToken)}`,
      });
      assert.equal(intro.status, 401);
      assert.equal((await problemOf(intro)).type, "urn:portcullis:problem:credential_not_in_header");
      assert.deepEqual(await entryKeys(), before, "nothing revoked");
    });

    test("a revocation needs Content-Type application/json, even with the header token", async () => {
      const before = await entryKeys();
      for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", undefined]) {
        const headers = { authorization: `Bearer ${gate.adminToken}` };
        if (type) headers["content-type"] = type;
        const res = await raw("POST", "/revocations", { headers, body: JSON.stringify({ jti: "ct-1" }) });
        assert.equal(res.status, 415, String(type));
        assert.equal((await problemOf(res)).type, "urn:portcullis:problem:unsupported_media_type", String(type));
      }
      assert.deepEqual(await entryKeys(), before, "nothing revoked");
    });

    test("a cross-site Origin is refused even with the header token and JSON", async () => {
      const before = await entryKeys();
      for (const origin of [EVIL, "null", "http://localhost:8787", "https://localhost"]) {
        const res = await gate.admin("POST", "/revocations", { jti: "xs-1" }, { headers: { origin } });
        assert.equal(res.status, 403, origin);
        assert.equal((await problemOf(res)).type, "urn:portcullis:problem:cross_site_request", origin);
      }
      assert.deepEqual(await entryKeys(), before, "nothing revoked");
    });

    test("the header token with JSON from the gate's own origin (or no Origin) revokes", async () => {
      let res = await gate.admin("POST", "/revocations", { jti: "same-1" }, { headers: { origin: "http://localhost" } });
      assert.equal(res.status, 201, await res.clone().text());
      await res.arrayBuffer();
      res = await gate.admin("POST", "/revocations", { jti: "same-2" });
      assert.equal(res.status, 201);
      await res.arrayBuffer();
      const listed = (await (await gate.admin("GET", "/revocations")).json()).revocations.map((e) => e.jti);
      assert.ok(listed.includes("same-1") && listed.includes("same-2"), listed.join(","));
    });

    test("introspection still takes an RFC 7662 form with the header token", async () => {
      const token = await mint({ sub: "form", jti: "form-1" });
      const res = await gate.admin("POST", "/introspect", `token=${encodeURIComponent(token)}`, {
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      assert.equal(res.status, 200);
      assert.equal((await res.json()).active, true);
    });

    test("reads (GET) still work with the token cookie: they change nothing", async () => {
      const res = await raw("GET", "/keys", { headers: { cookie: `${COOKIE}=${gate.adminToken}` } });
      assert.equal(res.status, 200);
      assert.ok(Array.isArray((await res.json()).keys));
    });
  });

  describe("17: introspection", () => {
    test("an inactive token gets exactly {\"active\": false}; the reason is in the audit log", async () => {
      const stranger = hsKey("k-stranger");
      const unknownKid = await new SignJWT({ sub: "intro" })
        .setProtectedHeader({ alg: "HS256", kid: "k-stranger" })
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(stranger.secret);
      const revoked = await mint({ sub: "intro", jti: "intro-rev" });
      await (await gate.admin("POST", "/revocations", { jti: "intro-rev" })).arrayBuffer();
      const cases = [
        ["expired", await mint({ sub: "intro", iat: nowS() - 700, exp: nowS() - 100 })],
        ["bad_signature", (await mint({ sub: "intro" })).replace(/.{4}$/, "AAAA")],
        ["unknown_kid", unknownKid],
        ["malformed", "not-a-token"],
        ["revoked", revoked],
      ];
      for (const [reason, token] of cases) {
        const res = await gate.admin("POST", "/introspect", { token });
        assert.equal(res.status, 200, reason);
        assert.equal(await res.text(), '{"active":false}', reason);
        const [record] = await gate.eventsArrived(
          "admin",
          (r) => r.path === "/_portcullis/introspect" && r.detail?.startsWith(`${reason}`),
          `the audit record of ${reason}`,
        );
        assert.equal(record.reason, "introspected");
      }
      const [expired] = gate.events("admin").filter((r) => r.detail?.startsWith("expired:"));
      assert.match(expired.detail, /at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \([^)]* ago\), leeway \d+s/, "the full detail stays in the log");
    });

    test("an active token gets its claims, active and kid", async () => {
      const token = await mint({ sub: "intro-ok", jti: "intro-ok-1" });
      const body = await (await gate.admin("POST", "/introspect", { token })).json();
      assert.deepEqual([body.active, body.sub, body.jti, body.kid, body.token_type], [true, "intro-ok", "intro-ok-1", "k1", "Bearer"]);
      assert.equal("portcullis_reason" in body, false);
    });
  });

  describe("18: what an unauthenticated client is told", () => {
    const leaks = /now \d|leeway|\d{3,}/;

    test("an expired token's problem and challenge say 'expired', not the clock or the leeway", async () => {
      const token = await mint({ iat: nowS() - 700, exp: nowS() - 100 });
      const res = await gate.get("/orders/1", token);
      assert.equal(res.status, 401);
      const problem = await problemOf(res);
      assert.equal(problem.type, "urn:portcullis:problem:expired");
      assert.equal(problem.detail, "the token has expired");
      const challenge = res.headers.get("www-authenticate");
      assert.match(challenge, /error_description="the token has expired"/);
      assert.doesNotMatch(challenge, leaks);
      const [record] = await gate.eventsArrived("gate", (r) => r.reason === "expired", "the expired audit record");
      assert.match(record.detail, /token expired at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \([^)]* ago\), leeway \d+s/);
    });

    test("limits stay private: an over-long token or lifetime is named, its limit is not", async () => {
      const long = `${await mint()}${"A".repeat(9000)}`;
      const tooLong = await problemOf(await gate.get("/orders/1", long));
      assert.equal(tooLong.type, "urn:portcullis:problem:token_too_long");
      assert.doesNotMatch(tooLong.detail, leaks);
      const lifetime = await problemOf(await gate.get("/orders/1", await mint({ ttl: 400 * 86400 })));
      assert.equal(lifetime.type, "urn:portcullis:problem:lifetime_too_long");
      assert.doesNotMatch(lifetime.detail, leaks);
      const future = await problemOf(await gate.get("/orders/1", await mint({ iat: nowS() + 3600, exp: nowS() + 3900 })));
      assert.equal(future.type, "urn:portcullis:problem:issued_in_future");
      assert.doesNotMatch(future.detail, leaks);
    });
  });

  describe("19: one audit record for gate decisions and admin actions", () => {
    const FIELDS = ["event", "time_ms", "client_ip", "ray", "method", "path", "rule", "decision", "reason", "status", "sub", "jti", "kid"];

    test("missing_token names the rule that matched, with method and normalized path", async () => {
      const res = await gate.worker.fetch("/orders/a/../7");
      assert.equal(res.status, 401);
      await res.arrayBuffer();
      const [record] = await gate.eventsArrived("gate", (r) => r.reason === "missing_token" && r.path === "/orders/7", "missing_token record");
      assert.deepEqual([record.decision, record.status, record.rule, record.method], ["deny", 401, 1, "GET"]);
    });

    test("an allowed request's record has every field and no timing guess", async () => {
      const token = await mint({ sub: "audited", jti: "audit-1" });
      const res = await gate.worker.fetch("/orders/8", { headers: { authorization: `Bearer ${token}`, "cf-connecting-ip": "203.0.113.9" } });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      const [record] = await gate.eventsArrived("gate", (r) => r.jti === "audit-1", "the allow record");
      for (const f of FIELDS) assert.ok(f in record, `field ${f} missing`);
      assert.equal("gate_us" in record, false);
      assert.deepEqual(
        [record.decision, record.reason, record.status, record.rule, record.method, record.path, record.sub, record.kid],
        ["allow", "authorized", 200, 1, "GET", "/orders/8", "audited", "k1"],
      );
      assert.equal(typeof record.time_ms, "number");
    });

    test("admin actions and admin refusals use the same record", async () => {
      await (await gate.admin("POST", "/revocations", { jti: "audit-admin-1" })).arrayBuffer();
      const [done] = await gate.eventsArrived("admin", (r) => r.detail === "jti audit-admin-1", "the revoke record");
      for (const f of FIELDS) assert.ok(f in done, `field ${f} missing`);
      assert.deepEqual(
        [done.decision, done.reason, done.status, done.method, done.path, done.sub, done.jti, done.kid],
        ["allow", "revocation_recorded", 201, "POST", "/_portcullis/revocations", "root", "admin-1", "k1"],
      );
      assert.equal(done.revocation_reason, "admin");
      await (await gate.admin("POST", "/revocations", { jti: "audit-admin-2", reason: "leaked" })).arrayBuffer();
      const [leaked] = await gate.eventsArrived("admin", (r) => r.detail === "jti audit-admin-2", "the leaked revoke record");
      assert.equal(leaked.revocation_reason, "leaked");
      await (await gate.admin("POST", "/revocations", { jti: "x" }, { headers: { origin: EVIL } })).arrayBuffer();
      const [refused] = await gate.eventsArrived("admin", (r) => r.reason === "cross_site_request", "the refusal record");
      for (const f of FIELDS) assert.ok(f in refused, `field ${f} missing`);
      assert.deepEqual([refused.decision, refused.status, refused.method], ["deny", 403, "POST"]);
    });

    test("no audit line holds a token", () => {
      const lines = gate.worker.logs.join("\n");
      assert.ok(minted.length > 5);
      for (const token of minted) {
        assert.ok(!lines.includes(token), "a token in the log");
        assert.ok(!lines.includes(token.split(".")[2]), "a signature in the log");
      }
    });
  });
});
