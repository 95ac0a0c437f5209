#!/usr/bin/env node
// Revocation freshness across simulated locations, on the real build (build/, from
// `make build`) in workerd via Miniflare (tests/e2e/locations.mjs: N workers sharing no
// memory, each with its own Cache API cache, one KV namespace, one writer Durable Object).
//
//   node scripts/freshness.mjs [--locations 4] [--refresh-s 2] [--feed-ttl-s 2] [--runs 10]
//                              [--poll-ms 20] [--idle-s 20]
//
// Each run: every location holds a copy (a request each), a random phase of the refresh
// cycle passes, an admin revokes a fresh jti at one location (round robin), and every
// location is polled until it refuses the token. The sample is the time from the admin's
// 201 to each location's first refusal.
//
// Stated bound (README): F <= R + T after the admin's 201, with R the refresh interval and T
// the feed's cache TTL (the location's cached feed may be up to T old when an isolate reads
// it, and an isolate reads it every R), plus one feed fetch and one request.
//
// Then, with every location idle but for one request per 100 ms, it counts each location's
// requests to the writer (GET /stats, `writer_requests`) for --idle-s seconds: about 60/T
// per location per minute expected, whatever the traffic.
//
// Prints one line per run, a summary, and finally ONE JSON line (for `make bench`).
import { parseArgs } from "node:util";
import { startLocations } from "../tests/e2e/locations.mjs";

const { values: opts } = parseArgs({
  options: {
    locations: { type: "string", default: "4" },
    "refresh-s": { type: "string", default: "2" },
    "feed-ttl-s": { type: "string", default: "2" },
    runs: { type: "string", default: "10" },
    "poll-ms": { type: "string", default: "20" },
    "idle-s": { type: "string", default: "20" },
  },
});
const n = Number(opts.locations);
const refreshS = Number(opts["refresh-s"]);
const feedTtlS = Number(opts["feed-ttl-s"]);
const runs = Number(opts.runs);
const pollMs = Number(opts["poll-ms"]);
const idleS = Number(opts["idle-s"]);
if (!(n >= 2) || !(refreshS >= 1) || !(feedTtlS >= 1) || !(runs >= 1) || !(pollMs >= 0) || !(idleS >= 0)) {
  console.error("usage: freshness.mjs [--locations N>=2] [--refresh-s N>=1] [--feed-ttl-s N>=1] [--runs N] [--poll-ms MS] [--idle-s S]");
  process.exit(2);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const boundMs = (refreshS + feedTtlS) * 1000;
const locs = await startLocations(n, { refreshS, feedTtlS, maxAgeS: Math.max(300, refreshS) });
const samples = [];
let writerPerMinute = null;
try {
  const all = [...Array(n).keys()];
  for (let run = 0; run < runs; run++) {
    const jti = `fresh-${run}-${Date.now()}`;
    const token = await locs.mint({ sub: "freshness", jti });
    for (const i of all) if ((await locs.get(i, "/orders/1", token)) !== 200) throw new Error(`warm-up at ${i}`);
    await sleep(Math.random() * refreshS * 1000);
    const at = run % n;
    const res = await locs.admin(at, "POST", "/revocations", { jti });
    await res.arrayBuffer();
    if (res.status !== 201) throw new Error(`revoke answered ${res.status}`);
    const t0 = performance.now();
    const times = await Promise.all(
      all.map(async (i) => {
        for (;;) {
          const status = await locs.get(i, "/orders/1", token);
          if (status === 401) return performance.now() - t0;
          if (status !== 200) throw new Error(`location ${i}: unexpected ${status}`);
          if (performance.now() - t0 > boundMs + 10_000) throw new Error(`location ${i}: not refused`);
          if (pollMs > 0) await sleep(pollMs);
        }
      }),
    );
    samples.push(...times);
    console.log(`run ${run + 1}/${runs} (revoked at ${at}): ${times.map((t) => t.toFixed(0)).join(", ")} ms`);
  }

  if (idleS > 0) {
    const token = await locs.mint({ sub: "idle", jti: `idle-${Date.now()}` });
    const before = await Promise.all(all.map(async (i) => (await locs.stats(i)).writer_requests));
    const t0 = performance.now();
    while (performance.now() - t0 < idleS * 1000) {
      await Promise.all(all.map((i) => locs.get(i, "/orders/1", token)));
      await sleep(100);
    }
    const minutes = (performance.now() - t0) / 60_000;
    const after = await Promise.all(all.map(async (i) => (await locs.stats(i)).writer_requests));
    // The /stats call itself is no writer request; each location's delta is its feed fills.
    writerPerMinute = all.map((i) => Math.round((after[i] - before[i]) / minutes));
    console.log(`writer requests per location per minute (idle ${idleS} s): ${writerPerMinute.join(", ")}`);
  }
} finally {
  await locs.dispose();
}

const sorted = [...samples].sort((a, b) => a - b);
const pct = (p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const round = (x) => Math.round(x);
const summary = {
  metric: "revocation_freshness_ms",
  locations: n,
  refresh_s: refreshS,
  feed_ttl_s: feedTtlS,
  runs,
  samples: sorted.length,
  poll_ms: pollMs,
  min_ms: round(sorted[0]),
  p50_ms: round(pct(50)),
  p99_ms: round(pct(99)),
  max_ms: round(sorted.at(-1)),
  bound_ms: boundMs,
  writer_requests_per_location_per_minute: writerPerMinute,
};
console.log(
  `freshness (${n} locations, R ${refreshS} s, T ${feedTtlS} s, ${sorted.length} samples): p50 ${summary.p50_ms} ms, ` +
    `p99 ${summary.p99_ms} ms, max ${summary.max_ms} ms; stated bound R + T = ${boundMs} ms`,
);
console.log(JSON.stringify(summary));
