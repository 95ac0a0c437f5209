// Revocation end to end: the real build in workerd (Miniflare), a real recording origin, the
// admin API, the cron rebuild, a failing KV, the hot path's KV cost, and the CLI.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { vectors } from "./harness.mjs";
import { nowS, portcullisCli, problemOf, putJtiEntry, startGate, waitFor } from "./revocation-fixtures.mjs";

async function assertRevoked(res) {
  assert.equal(res.status, 401);
  const problem = await problemOf(res);
  assert.equal(problem.type, "urn:portcullis:problem:revoked");
  assert.match(res.headers.get("www-authenticate"), /error="invalid_token"/);
}

async function assertAllowed(res) {
  const body = await res.text();
  assert.equal(res.status, 200, body);
}

/** Every revocation the admin API lists (from the single writer). */
async function listed(gate) {
  const res = await gate.admin("GET", "/revocations");
  assert.equal(res.status, 200);
  return (await res.json()).revocations;
}

describe("revocation through the gate (refresh 1 s)", () => {
  let gate;
  before(async () => {
    gate = await startGate({ refreshS: 1 });
  });
  after(() => gate?.dispose());

  test("a token revoked by jti through the admin API is refused at once as revoked", async () => {
    const token = await gate.mint({ sub: "jti-user", jti: "jti-1" });
    await assertAllowed(await gate.get("/orders/1", token));
    const res = await gate.admin("POST", "/revocations", { jti: "jti-1" });
    assert.equal(res.status, 201);
    const created = await res.json();
    assert.equal(created.entry.kind, "jti");
    assert.equal(created.entry.target, "jti-1");
    const forwarded = gate.origin.requests.length;
    await assertRevoked(await gate.get("/orders/1", token));
    assert.equal(gate.origin.requests.length, forwarded, "a refused request never reaches the origin");
    // Other tokens of the same subject are untouched.
    await assertAllowed(await gate.get("/orders/1", await gate.mint({ sub: "jti-user", jti: "jti-2" })));
  });

  test("a revocation written by another isolate (KV entry + cron) is refused within refresh_s + slack", async () => {
    const token = await gate.mint({ sub: "remote-user", jti: "remote-1" });
    await assertAllowed(await gate.get("/orders/1", token)); // this isolate holds a copy
    await putJtiEntry(gate.kv, "remote-1");
    await gate.cron();
    const elapsed = await waitFor(async () => (await gate.get("/orders/1", token)).status === 401, {
      timeoutMs: 1000 + 1500,
      what: "refusal after a remote revocation",
    });
    assert.ok(elapsed <= 2500);
    await assertRevoked(await gate.get("/orders/1", token));
  });

  test("revoking a subject refuses its tokens issued before the cut-off and spares newer ones", async () => {
    const now = nowS();
    const older = await gate.mint({ sub: "bob", jti: "bob-old", iat: now - 20 });
    const newer = await gate.mint({ sub: "bob", jti: "bob-new", iat: now - 5 });
    const noJti = await gate.mint({ sub: "bob", iat: now - 30 });
    const res = await gate.admin("POST", "/revocations", { sub: "bob", before: now - 10 });
    assert.equal(res.status, 201);
    assert.equal((await res.json()).entry.before, now - 10);
    await assertRevoked(await gate.get("/orders/1", older));
    await assertRevoked(await gate.get("/orders/1", noJti));
    await assertAllowed(await gate.get("/orders/1", newer));
    await assertAllowed(await gate.get("/orders/1", await gate.mint({ sub: "bobby", iat: now - 20 })));
  });

  test("revoking a kid refuses every token naming it while the other key still works", async () => {
    const onK2 = [
      await gate.mint({ sub: "kid-a", key: gate.keys.k2 }),
      await gate.mint({ sub: "kid-b", jti: "kid-b-1", key: gate.keys.k2 }),
    ];
    for (const t of onK2) await assertAllowed(await gate.get("/orders/1", t));
    const res = await gate.admin("POST", "/revocations", { kid: "k2" });
    assert.equal(res.status, 201);
    for (const t of onK2) await assertRevoked(await gate.get("/orders/1", t));
    await assertAllowed(await gate.get("/orders/1", await gate.mint({ sub: "kid-a" })));
    const kidEntry = (await listed(gate)).find((e) => e.kind === "kid" && e.kid === "k2");
    assert.equal(kidEntry.expires_at, null, "a key revocation never expires by time");
  });

  test("revoking a presented token revokes its jti until the token's own expiry", async () => {
    const exp = nowS() + 900;
    const token = await gate.mint({ sub: "presented", jti: "presented-1", exp });
    await assertAllowed(await gate.get("/orders/1", token));
    const res = await gate.admin("POST", "/revocations", { token });
    assert.equal(res.status, 201);
    const created = await res.json();
    assert.deepEqual([created.entry.kind, created.entry.target, created.entry.exp], ["jti", "presented-1", exp]);
    assert.ok(!JSON.stringify(created).includes(token), "the token is not echoed");
    await assertRevoked(await gate.get("/orders/1", token));
    const entry = (await listed(gate)).find((e) => e.jti === "presented-1");
    assert.equal(entry.expires_at, exp);
  });

  test("50 concurrent revocations are all recorded and all enforced", async () => {
    const jtis = Array.from({ length: 50 }, (_, i) => `burst-${i}`);
    const tokens = await Promise.all(jtis.map((jti) => gate.mint({ sub: "burst", jti })));
    const statuses = await Promise.all(
      jtis.map(async (jti) => {
        const res = await gate.admin("POST", "/revocations", { jti });
        await res.arrayBuffer();
        return res.status;
      }),
    );
    assert.deepEqual(new Set(statuses), new Set([201]));
    const listed = await (await gate.admin("GET", "/revocations")).json();
    const listedJtis = new Set(listed.revocations.filter((e) => e.kind === "jti").map((e) => e.jti));
    for (const jti of jtis) assert.ok(listedJtis.has(jti), `${jti} listed`);
    const passed = [];
    for (const [i, t] of tokens.entries()) {
      const res = await gate.get("/orders/1", t);
      await res.arrayBuffer();
      if (res.status !== 401) passed.push(jtis[i]);
    }
    assert.deepEqual(passed, [], "revoked tokens that still passed");
  });

  test("each revocation gets the writer's next version and an expiry covering the tokens it revokes", async () => {
    const before = nowS();
    const first = await (await gate.admin("POST", "/revocations", { jti: "unknown-exp" })).json();
    const second = await (await gate.admin("POST", "/revocations", { jti: "unknown-exp-2" })).json();
    assert.ok(Number.isInteger(first.version) && second.version > first.version, `${first.version} ${second.version}`);
    // No token presented: its exp is unknown, so the entry lives max_ttl (3600) + leeway (0).
    const exp = first.entry.expires_at;
    assert.ok(exp >= before + 3600 && exp <= nowS() + 3600, `${exp}`);
    // No KV key per revocation any more: the writer holds them; KV holds the snapshot.
    assert.deepEqual((await gate.kv.list({ prefix: "rev/" })).keys, []);
  });

  test("an expired entry (here from the KV-only layout) is migrated, never listed nor published", async () => {
    const token = await gate.mint({ sub: "lapsing", jti: "lapsing-1" });
    const key = await putJtiEntry(gate.kv, "lapsing-1", { at: nowS() - 100, exp: nowS() - 10 });
    await gate.cron();
    assert.equal(await gate.kv.get(key), null, "the cron drains the legacy key into the writer");
    assert.ok(!(await listed(gate)).some((e) => e.jti === "lapsing-1"), "not listed");
    await waitFor(async () => JSON.parse((await gate.kv.get("snapshot/v1")) ?? "{}").version > 0, {
      timeoutMs: 3000,
      what: "a published snapshot",
    });
    const snapshot = JSON.parse(await gate.kv.get("snapshot/v1"));
    assert.ok(!snapshot.jti.some(([jti]) => jti === "lapsing-1"), "not in the snapshot");
    await assertAllowed(await gate.get("/orders/1", token));
  });

  test("the admin API needs the admin scope and a token", async () => {
    const user = await gate.mint({ sub: "not-admin", scope: "orders:read" });
    let res = await gate.admin("POST", "/revocations", { jti: "x" }, { token: user });
    assert.equal(res.status, 403);
    assert.equal((await problemOf(res)).type, "urn:portcullis:problem:insufficient_scope");
    res = await gate.admin("GET", "/revocations", undefined, { token: null });
    assert.equal(res.status, 401);
    assert.equal((await problemOf(res)).type, "urn:portcullis:problem:missing_token");
    assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="portcullis"');
    assert.equal((await listed(gate)).filter((e) => e.jti === "x").length, 0);
  });

  test("bad revoke requests get a 400 problem and write nothing", async () => {
    // The earlier tests' changes are published debounced, each publication under new chunk
    // keys: let that land first, it is not this test's doing.
    const head = (await (await gate.admin("GET", "/stats")).json()).snapshot.version;
    await waitFor(async () => (JSON.parse((await gate.kv.get("revocations/compact/manifest")) ?? "{}").version ?? 0) >= head, {
      timeoutMs: 5000,
      what: "the compact list published at the head",
    });
    const keysBefore = JSON.stringify(await gate.kv.list());
    // tests/vectors/admin_bodies.json: every refused body whose outcome does not depend on
    // the clock, plus two the file cannot hold (relative to the real now; 9 KB).
    const fromFile = vectors("admin_bodies.json")
      .revoke.filter((r) => r.http && r.want.error !== undefined)
      .map((r) => [r.body, r.body, r.want.detail, r.want.code]);
    assert.ok(fromFile.length >= 30, "tests/vectors/admin_bodies.json lost its refused bodies");
    const bad = [
      ...fromFile,
      ["before in the future", JSON.stringify({ sub: "a", before: nowS() + 3600 }), /later than now/, "before_in_future"],
      ["oversized body", JSON.stringify({ jti: "a".repeat(9000) }), /larger than 8192 bytes/, "body_too_large"],
    ];
    // Each refusal has its own problem code (the file's `code`, from the parser's error).
    for (const [what, body, detail, code] of bad) {
      const res = await gate.admin("POST", "/revocations", body);
      assert.equal(res.status, 400, what);
      const problem = await problemOf(res);
      assert.equal(problem.type, `urn:portcullis:problem:${code}`, what);
      if (typeof detail === "string") assert.ok(problem.detail.includes(detail), `${what}: ${problem.detail}`);
      else assert.match(problem.detail, detail, what);
    }
    assert.equal(JSON.stringify(await gate.kv.list()), keysBefore, "KV unchanged");
  });

  test("introspection answers for form and JSON bodies", async () => {
    const good = await gate.mint({ sub: "intro", jti: "intro-1" });
    const form = await gate.admin("POST", "/introspect", `token=${encodeURIComponent(good)}`, {
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.equal(form.status, 200);
    const a = await form.json();
    assert.deepEqual([a.active, a.sub, a.jti, a.kid, a.token_type], [true, "intro", "intro-1", "k1", "Bearer"]);
    const json = await (await gate.admin("POST", "/introspect", { token: good })).json();
    assert.equal(json.active, true);

    const cases = [
      ["expired", await gate.mint({ sub: "intro", iat: nowS() - 700, exp: nowS() - 100 })],
      ["bad_signature", (await gate.mint({ sub: "intro" })).replace(/.{4}$/, "AAAA")],
      ["unknown_kid", await gate.mint({ sub: "intro", kid: "nope" })],
    ];
    // RFC 7662 2.2: an inactive token gets exactly {"active": false}, whatever the reason.
    for (const [reason, token] of cases) {
      const body = await (await gate.admin("POST", "/introspect", { token })).json();
      assert.deepEqual(body, { active: false }, reason);
    }

    await (await gate.admin("POST", "/revocations", { jti: "intro-1" })).arrayBuffer();
    const revoked = await (await gate.admin("POST", "/introspect", { token: good })).json();
    assert.deepEqual(revoked, { active: false });
  });

  describe("CLI against the worker", () => {
    let cli; // (args, env) => { code, stdout, stderr }
    before(async () => {
      cli = await portcullisCli();
    });

    test("portcullis revoke --jti revokes, and the token is refused", async () => {
      const token = await gate.mint({ sub: "cli", jti: "cli-1" });
      await assertAllowed(await gate.get("/orders/1", token));
      const out = await cli(["revoke", "--jti", "cli-1", "--endpoint", gate.worker.url], {
        PORTCULLIS_ADMIN_TOKEN: gate.adminToken,
      });
      assert.equal(out.code, 0, out.stderr);
      const printed = JSON.parse(out.stdout);
      assert.deepEqual([printed.kind, printed.jti], ["jti", "cli-1"]);
      await assertRevoked(await gate.get("/orders/1", token));
    });

    test("portcullis revoke --token and --sub --before, then revocations lists them", async () => {
      const token = await gate.mint({ sub: "cli2", jti: "cli-2" });
      const env = { PORTCULLIS_ADMIN_TOKEN: gate.adminToken };
      let out = await cli(["revoke", "--token", token, "--reason", "leaked", "--endpoint", gate.worker.url], env);
      assert.equal(out.code, 0, out.stderr);
      assert.equal(JSON.parse(out.stdout).reason, "leaked");
      await assertRevoked(await gate.get("/orders/1", token));
      const cut = nowS() - 60;
      out = await cli(["revoke", "--sub", "cli3", "--before", String(cut), "--endpoint", gate.worker.url], env);
      assert.equal(out.code, 0, out.stderr);
      out = await cli(["revocations", "--endpoint", gate.worker.url], env);
      assert.equal(out.code, 0, out.stderr);
      const listed = JSON.parse(out.stdout).revocations;
      assert.ok(listed.some((e) => e.jti === "cli-2" && e.reason === "leaked"));
      assert.ok(listed.some((e) => e.sub === "cli3" && e.before === cut && e.reason === "admin"));
      const bad = await cli(["revoke", "--jti", "x", "--reason", "whim", "--endpoint", gate.worker.url], env);
      assert.equal(bad.code, 2, "an unknown reason is a usage error");
      assert.match(bad.stderr, /leaked/);
    });

    test("portcullis revoke refused by the server exits 1 with the problem", async () => {
      const user = await gate.mint({ sub: "cli-user" });
      const out = await cli(["revoke", "--kid", "k1", "--endpoint", gate.worker.url], { PORTCULLIS_ADMIN_TOKEN: user });
      assert.equal(out.code, 1);
      assert.match(out.stderr, /Insufficient scope/);
      const future = await cli(["revoke", "--sub", "x", "--before", String(nowS() + 999), "--endpoint", gate.worker.url], {
        PORTCULLIS_ADMIN_TOKEN: gate.adminToken,
      });
      assert.equal(future.code, 1);
      assert.match(future.stderr, /later than now/);
    });

    test("portcullis revoke without PORTCULLIS_ADMIN_TOKEN exits 2 and says so", async () => {
      const out = await cli(["revoke", "--jti", "x", "--endpoint", gate.worker.url], {});
      assert.equal(out.code, 2);
      assert.match(out.stderr, /PORTCULLIS_ADMIN_TOKEN/);
      assert.equal(out.stdout, "");
    });

    test("portcullis revocations against a closed port exits 2", async () => {
      const out = await cli(["revocations", "--endpoint", "http://127.0.0.1:9"], { PORTCULLIS_ADMIN_TOKEN: "t" });
      assert.equal(out.code, 2);
      assert.match(out.stderr, /127\.0\.0\.1:9/);
    });
  });
});

describe("revocation list unavailable (every KV call fails)", () => {
  let gate;
  before(async () => {
    gate = await startGate({ refreshS: 7, kvBroken: true });
  });
  after(() => gate?.dispose());

  test("a normal rule fails closed with 503 and Retry-After", async () => {
    const res = await gate.get("/orders/1", await gate.mint());
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), "7");
    assert.equal((await problemOf(res)).type, "urn:portcullis:problem:revocation_unavailable");
    assert.equal(gate.origin.requests.length, 0);
    assert.ok(gate.kvCalls.get >= 1, "the gate did try KV");
    await waitFor(() => gate.events("snapshot_unavailable").length > 0, { timeoutMs: 2000, what: "log line" });
  });

  test("a fail_open rule lets a valid token through", async () => {
    await assertAllowed(await gate.get("/open/1", await gate.mint()));
    assert.equal(gate.origin.requests.at(-1).url, "/open/1");
    await waitFor(() => gate.events("revocation_fail_open").length > 0, { timeoutMs: 2000, what: "log line" });
  });

  test("a fail_open rule still refuses an invalid token", async () => {
    const res = await gate.get("/open/1", await gate.mint({ kid: "nope" }));
    assert.equal(res.status, 401);
  });
});

describe("KV operations on the hot path", () => {
  let gate;
  before(async () => {
    gate = await startGate({ refreshS: 3600, maxAgeS: 3600 });
  });
  after(() => gate?.dispose());

  const stats = async () => {
    const res = await gate.admin("GET", "/stats");
    assert.equal(res.status, 200);
    return (await res.json()).kv;
  };

  test("1,000 gated requests make no KV operation, by the gate's count and by the binding's", async () => {
    const token = await gate.mint({ sub: "hot", jti: "hot-1" });
    await assertAllowed(await gate.get("/orders/1", token)); // warm-up: loads the snapshot
    const before = await stats();
    const outside = { ...gate.kvCalls };
    assert.ok(before.reads >= 1 && outside.get >= 1, "warm-up loaded the snapshot through KV");
    const forwarded = gate.origin.requests.length;
    const N = 1000;
    let next = 0;
    const statuses = new Map();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < N) {
          next++;
          const res = await gate.getDirect("/orders/1", token);
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        }
      }),
    );
    assert.deepEqual([...statuses], [[200, N]]);
    assert.equal(gate.origin.requests.length - forwarded, N);
    const afterStats = await stats();
    assert.deepEqual(
      [afterStats.reads, afterStats.lists, afterStats.writes, afterStats.deletes],
      [before.reads, before.lists, before.writes, before.deletes],
    );
    assert.deepEqual(gate.kvCalls, outside, "the binding saw no call either");
  });
});
