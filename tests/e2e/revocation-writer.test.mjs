// Issue 13: the single writer (a SQLite Durable Object), the feed every location follows
// through its Cache API copy, and the KV snapshot as the replicated list. The real build in
// workerd via Miniflare; KV and writer calls are counted from outside the Worker (the
// wrappers in revocation-fixtures.mjs), locations are separate workers (locations.mjs).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startLocations } from "./locations.mjs";
import { nowS, putJtiEntry, startGate, waitFor } from "./revocation-fixtures.mjs";

const status = async (res) => {
  await res.arrayBuffer();
  return res.status;
};

/** The payload of the identity assertion the origin received last. */
function lastAssertion(origin) {
  const assertion = origin.requests.at(-1).headers["x-portcullis-assertion"];
  return JSON.parse(Buffer.from(assertion.split(".")[1], "base64url").toString("utf8"));
}

describe("the single writer", () => {
  let gate;
  before(async () => {
    gate = await startGate({ refreshS: 1 });
  });
  after(() => gate?.dispose());

  test("1,000 concurrent revocations: none lost, versions strictly increasing, all enforced", async () => {
    const N = 1000;
    const jtis = Array.from({ length: N }, (_, i) => `many-${i}`);
    const answers = await Promise.all(
      jtis.map(async (jti) => {
        const res = await gate.admin("POST", "/revocations", { jti });
        return { status: res.status, body: await res.json() };
      }),
    );
    assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([201]));
    const versions = answers.map((a) => a.body.version).sort((a, b) => a - b);
    for (let i = 1; i < N; i++) assert.ok(versions[i] > versions[i - 1], `version ${versions[i]} given twice`);
    // Strictly increasing and gap-free: the writer gave exactly these N versions in a row.
    assert.equal(versions[N - 1] - versions[0], N - 1);
    const listed = new Set(
      (await (await gate.admin("GET", "/revocations")).json()).revocations.map((e) => e.jti),
    );
    for (const jti of jtis) assert.ok(listed.has(jti), `${jti} lost`);
    // The published snapshot catches up with the head (debounced: one KV write a second).
    // (10 s: a publication now writes the compact list and snapshot/v1, slow on a loaded machine.)
    await waitFor(async () => JSON.parse((await gate.kv.get("snapshot/v1")) ?? "{}").version >= versions[N - 1], {
      timeoutMs: 10000,
      what: "the snapshot at the head",
    });
    const snapshot = JSON.parse(await gate.kv.get("snapshot/v1"));
    const published = new Set(snapshot.jti.map(([jti]) => jti));
    for (const jti of jtis) assert.ok(published.has(jti), `${jti} not published`);
    assert.ok(gate.kvCalls.put < N / 2, `snapshot writes debounced (${gate.kvCalls.put} puts for ${N} changes)`);
    const sample = [0, 1, 499, 998, 999].map((i) => jtis[i]);
    for (const jti of sample) {
      assert.equal(await status(await gate.get("/orders/1", await gate.mint({ jti }))), 401, jti);
    }
  });

  test("the identity assertion carries the list version and its age", async () => {
    const res = await gate.admin("POST", "/revocations", { jti: "assert-v" });
    const { version } = await res.json();
    assert.equal(await status(await gate.get("/orders/1", await gate.mint({ jti: "fresh-1" }))), 200);
    const claims = lastAssertion(gate.origin);
    assert.ok(claims.rev_ver >= version, `${claims.rev_ver} < ${version}`);
    assert.ok(Number.isInteger(claims.rev_age) && claims.rev_age >= 0 && claims.rev_age <= 2, `${claims.rev_age}`);
  });
});

describe("steady state: no KV and no writer request on the request path", () => {
  let gate;
  before(async () => {
    // Isolates check the feed every second; the location's cached feed lives 60 s.
    gate = await startGate({ refreshS: 1, extra: { PORTCULLIS_REVOCATION_FEED_TTL_S: "60" } });
  });
  after(() => gate?.dispose());

  test("1,000 gated requests over several refresh intervals: zero KV and zero writer operations", async () => {
    const token = await gate.mint({ sub: "hot", jti: "hot-1" });
    assert.equal(await status(await gate.get("/orders/1", token)), 200); // warm-up
    await new Promise((r) => setTimeout(r, 1100)); // past one refresh: the feed is now cached
    assert.equal(await status(await gate.get("/orders/1", token)), 200);
    await new Promise((r) => setTimeout(r, 200));
    const kvBefore = { ...gate.kvCalls };
    const writerBefore = gate.writerCalls.count;
    const t0 = performance.now();
    let next = 0;
    const statuses = new Map();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < 1000) {
          next++;
          const res = await gate.getDirect("/orders/1", token);
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          // Spread over more than two refresh intervals, so background syncs do run.
          await new Promise((r) => setTimeout(r, 15));
        }
      }),
    );
    const elapsed = performance.now() - t0;
    assert.deepEqual([...statuses], [[200, 1000]]);
    assert.ok(elapsed > 2000, `the run spans several refresh intervals (${Math.round(elapsed)} ms)`);
    assert.deepEqual(gate.kvCalls, kvBefore, "no KV operation");
    assert.equal(gate.writerCalls.count, writerBefore, "no writer request");
  });
});

describe("writer unreachable", () => {
  let gate;
  before(async () => {
    gate = await startGate({ refreshS: 1 });
  });
  after(() => gate?.dispose());

  test("gates keep deciding from the KV snapshot and say so in the log; revoking answers 503", async () => {
    const revoked = await gate.mint({ sub: "gone", jti: "gone-1" });
    assert.equal((await gate.admin("POST", "/revocations", { jti: "gone-1" })).status, 201);
    await waitFor(async () => JSON.parse((await gate.kv.get("snapshot/v1")) ?? "{}").version >= 1, {
      timeoutMs: 3000,
      what: "published snapshot",
    });
    gate.writer.broken = true;
    const kvReadsBefore = gate.kvCalls.get;
    // Requests drive the syncs: keep some coming until the fallback is logged.
    await waitFor(
      async () => {
        await (await gate.get("/orders/1", revoked)).arrayBuffer();
        return gate.events("revocation_writer_unreachable").length > 0;
      },
      { timeoutMs: 5000, everyMs: 300, what: "the fallback logged" },
    );
    assert.ok(gate.kvCalls.get > kvReadsBefore, "the fallback read the KV snapshot");
    assert.equal(await status(await gate.get("/orders/1", revoked)), 401, "still refused, from the KV copy");
    assert.equal(await status(await gate.get("/orders/1", await gate.mint({ jti: "ok-1" }))), 200);
    const res = await gate.admin("POST", "/revocations", { jti: "while-down" });
    assert.equal(res.status, 503);
    assert.equal(gate.events("revocation_write_failed").length, 1);
    gate.writer.broken = false;
  });
});

describe("writer and KV both unreachable", () => {
  let gate;
  before(async () => {
    gate = await startGate({ refreshS: 1, maxAgeS: 2, extra: { PORTCULLIS_REVOCATION_FEED_TTL_S: "1" } });
  });
  after(() => gate?.dispose());

  // Requests that arrive while another request's load runs wait for it; when that load fails
  // they must not fall back on the old copy (the soak's writer-kv-down phase found they did).
  test("past the maximum age, concurrent requests all fail closed; none decides with the old copy", async () => {
    const valid = await gate.mint({ jti: "ok-concurrent" });
    assert.equal(await status(await gate.get("/orders/1", valid)), 200);
    gate.writer.broken = true;
    gate.kvFault.broken = true;
    try {
      // Past the feed's cache TTL and the copy's maximum age, with some margin.
      await new Promise((r) => setTimeout(r, 4500));
      const counts = {};
      for (let round = 0; round < 5; round++) {
        const statuses = await Promise.all(
          Array.from({ length: 12 }, async () => status(await gate.get("/orders/1", valid))),
        );
        for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
      }
      assert.deepEqual(counts, { 503: 60 });
    } finally {
      gate.writer.broken = false;
      gate.kvFault.broken = false;
    }
    await waitFor(async () => (await status(await gate.get("/orders/1", valid))) === 200, {
      timeoutMs: 5000,
      everyMs: 200,
      what: "recovery once both answer",
    });
  });
});

describe("four locations sharing no memory", () => {
  const REFRESH_S = 1;
  const FEED_TTL_S = 1;
  // The stated bound (README): refresh + feed TTL, plus 1 s for this loaded machine.
  const BOUND_MS = (REFRESH_S + FEED_TTL_S) * 1000 + 1000;
  let locs;
  before(async () => {
    locs = await startLocations(4, { refreshS: REFRESH_S, feedTtlS: FEED_TTL_S, window: 5 });
  });
  after(() => locs?.dispose());

  test("a revocation at one location is refused at every location within refresh + TTL", async () => {
    const token = await locs.mint({ sub: "roamer", jti: "roam-1" });
    for (let i = 0; i < 4; i++) assert.equal(await locs.get(i, "/orders/1", token), 200, `location ${i}`);
    const t0 = performance.now();
    assert.equal((await locs.admin(0, "POST", "/revocations", { jti: "roam-1" })).status, 201);
    const elapsed = await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        await waitFor(async () => (await locs.get(i, "/orders/1", token)) === 401, {
          timeoutMs: BOUND_MS,
          everyMs: 50,
          what: `refusal at location ${i}`,
        });
        return performance.now() - t0;
      }),
    );
    for (const ms of elapsed) assert.ok(ms <= BOUND_MS, `${Math.round(ms)} ms`);
  });

  test("a location that fell behind the feed's window reloads the snapshot and converges", async () => {
    const before = await locs.stats(3);
    const held = before.snapshot.version;
    // Ten changes at location 0: more than the window (5) past what location 3 holds.
    const tokens = [];
    for (let i = 0; i < 10; i++) {
      tokens.push(await locs.mint({ jti: `behind-${i}` }));
      assert.equal((await locs.admin(0, "POST", "/revocations", { jti: `behind-${i}` })).status, 201);
    }
    await waitFor(
      async () => {
        for (const t of tokens) if ((await locs.get(3, "/orders/1", t)) !== 401) return false;
        return true;
      },
      { timeoutMs: 6000, everyMs: 200, what: "location 3 refusing all ten" },
    );
    const after = await locs.stats(3);
    assert.ok(after.snapshot.version >= held + 10, `${held} -> ${after.snapshot.version}`);
    assert.ok(after.kv.reads > before.kv.reads, "it reloaded the snapshot from KV");
  });
});

describe("migration from the KV-only layout", () => {
  let locs;
  before(async () => {
    const now = nowS();
    locs = await startLocations(2, {
      seed: async (kv) => {
        // A snapshot/v1 as the KV-only layout published it (no version), and two entry keys,
        // one of them not yet in that snapshot (written after the last rebuild).
        await kv.put(
          "snapshot/v1",
          JSON.stringify({ v: 1, built_at: now, jti: [["old-1", now, now + 3600]], sub: [["olduser", now + 60, now, now + 3700]], kid: [] }),
        );
        await putJtiEntry(kv, "old-1");
        await putJtiEntry(kv, "old-2");
      },
    });
  });
  after(() => locs?.dispose());

  test("every legacy revocation holds at once, is listed, and the legacy keys are drained", async () => {
    for (const jti of ["old-1", "old-2"]) {
      const token = await locs.mint({ jti });
      for (const i of [0, 1]) assert.equal(await locs.get(i, "/orders/1", token), 401, `${jti} at ${i}`);
    }
    const olduser = await locs.mint({ sub: "olduser", jti: "u-1" });
    assert.equal(await locs.get(1, "/orders/1", olduser), 401);
    const listed = (await (await locs.admin(0, "GET", "/revocations")).json()).revocations;
    assert.deepEqual(
      new Set(listed.map((e) => e.jti ?? e.sub)),
      new Set(["old-1", "old-2", "olduser"]),
    );
    assert.deepEqual((await locs.kv.list({ prefix: "rev/" })).keys, [], "legacy keys drained");
    // The writer published the compact list when it started (gates do not read snapshot/v1).
    assert.ok(await locs.kv.get("revocations/compact/manifest"), "compact list published at start");
    await waitFor(async () => JSON.parse(await locs.kv.get("snapshot/v1")).version > 0, {
      timeoutMs: 6000,
      what: "the writer's versioned snapshot",
    });
  });
});

describe("the compact list in KV (issue 13, items 2 and 4)", () => {
  let locs;
  before(async () => {
    locs = await startLocations(4, { window: 5 });
  });
  after(() => locs?.dispose());

  const manifest = async () => JSON.parse((await locs.kv.get("revocations/compact/manifest")) ?? "null");

  test("a fresh location loads the chunked binary list, not snapshot/v1; a corrupt chunk fails closed", async () => {
    const oldUser = await locs.mint({ sub: "c-user", jti: "c-user-1" });
    await new Promise((r) => setTimeout(r, 1100)); // so the cut-off is after that token's iat
    assert.equal((await locs.admin(0, "POST", "/revocations", { jti: "c-old" })).status, 201);
    assert.equal((await locs.admin(0, "POST", "/revocations", { sub: "c-user" })).status, 201);
    // More changes than the window (5): a location can only learn c-old from the list in KV.
    for (let i = 0; i < 6; i++) {
      assert.equal((await locs.admin(0, "POST", "/revocations", { jti: `c-fill-${i}` })).status, 201);
    }
    const head = (await locs.stats(0)).snapshot.version;
    await waitFor(async () => (await manifest())?.version >= head, { timeoutMs: 6000, what: "the compact list at the head" });

    // The manifest names its chunks; the chunk is the documented binary form.
    const m = await manifest();
    assert.equal(m.chunks, 1);
    const key = `revocations/compact/${m.id}/0`;
    const bytes = Buffer.from(await locs.kv.get(key, "arrayBuffer"));
    assert.equal(bytes.length, m.bytes);
    assert.equal(bytes.subarray(0, 4).toString("latin1"), "PCRL");
    assert.equal(bytes.readUInt16LE(4), 1, "format 1");
    assert.equal(bytes.readBigUInt64LE(8), BigInt(m.version));
    const [digests, subjects, keys] = [bytes.readUInt32LE(24), bytes.readUInt32LE(28), bytes.readUInt32LE(32)];
    assert.deepEqual([digests, subjects, keys], [7, 1, 0], "jti digests, subject cut-offs, kids");
    assert.equal(bytes.length, 48 + 12 * digests + 20 * subjects);
    assert.ok(!bytes.includes(Buffer.from("c-old")), "targets are digests, not clear text");

    // Without snapshot/v1, a location that never loaded refuses what only the compact list holds.
    await locs.kv.delete("snapshot/v1");
    assert.equal(await locs.get(1, "/orders/1", await locs.mint({ jti: "c-old" })), 401);
    assert.equal(await locs.get(1, "/orders/1", oldUser), 401);
    assert.equal(await locs.get(1, "/orders/1", await locs.mint({ jti: "c-fresh" })), 200);
    const s1 = await locs.stats(1);
    assert.ok(s1.kv.reads >= 2, `manifest and chunk read (${s1.kv.reads} reads)`);
    assert.equal(s1.snapshot.version, head);

    // One flipped byte in the chunk: a location with no copy refuses to decide (503), never
    // reads the damaged list as a shorter one.
    const bad = Buffer.from(bytes);
    bad[bad.length - 1] ^= 1;
    await locs.kv.put(key, bad.buffer.slice(bad.byteOffset, bad.byteOffset + bad.length));
    assert.equal(await locs.get(2, "/orders/1", await locs.mint({ jti: "c-fresh-2" })), 503);
    // The same bytes restored: the same location loads and decides (the flip was the cause).
    await locs.kv.put(key, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    assert.equal(await locs.get(2, "/orders/1", await locs.mint({ jti: "c-fresh-2" })), 200);
    assert.equal(await locs.get(2, "/orders/1", await locs.mint({ jti: "c-old" })), 401);

    // Right after an upgrade KV may hold only the previous release's snapshot/v1. The gate
    // no longer reads that form: a location with no copy has no list yet and fails closed
    // (503), never decides with an empty list. (The writer publishes the compact list when
    // it starts: the migration test above finds it there at once.)
    const previous = { v: 1, version: head, built_at: nowS(), jti: [["c-old", nowS(), nowS() + 3600]], sub: [], kid: [] };
    await locs.kv.put("snapshot/v1", JSON.stringify(previous));
    await locs.kv.delete("revocations/compact/manifest");
    assert.equal(await locs.get(3, "/orders/1", await locs.mint({ jti: "c-fresh-3" })), 503);
  });
});
