#!/usr/bin/env node
// The compact revocation list loaded by the REAL gate (build/) in workerd, 10^3..10^6 entries.
//   node bench/js/revocation-load.mjs [--samples 9] [--sizes 1000,10000,100000,1000000]
//        [--lists bench/out/revocation-lists]                        JSON on stdout
//
// The lists are the ones the native bench wrote (revocation_scale --write-lists): each is put
// into its own gate's KV exactly as the writer publishes it (2 MiB chunks + manifest). One
// gate (one Miniflare, one workerd process) per size plus one with no list, all alive at once
// (tests/e2e/revocation-fixtures.mjs's startGate). Their writer is made unreachable and
// PORTCULLIS_REVOCATION_MAX_AGE_S is 1, so every request made more than a second after the
// last one reloads the whole list from KV before deciding (manifest, chunks, decode), in a
// warm isolate. Load in workerd = that request's wall time from Node minus the same request
// at the gate with no list (which makes the same failed writer call and one KV miss); the
// gates are sampled in rotating order, once a round. Memory: the workerd process's RSS after
// the first load minus before it, minus the same at the gate with no list (wasm linear memory,
// which never shrinks, plus V8's transient ArrayBuffers for the chunks).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startLocations } from "../../tests/e2e/locations.mjs";
import { startGate } from "../../tests/e2e/revocation-fixtures.mjs";

const { values: opts } = parseArgs({
  options: {
    samples: { type: "string", default: "9" },
    sizes: { type: "string", default: "1000,10000,100000,1000000" },
    lists: { type: "string", default: "bench/out/revocation-lists" },
  },
});
const rounds = Number(opts.samples);
const sizes = [0, ...opts.sizes.split(",").map(Number)];
const CHUNK = 2 << 20;
const log = (...a) => console.error(...a);
const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The workerd processes this Node process started: pid -> RSS bytes. */
function workerds() {
  const out = execFileSync("ps", ["-o", "pid=,comm=", "--ppid", String(process.pid)], { encoding: "utf8" });
  const found = new Map();
  for (const line of out.trim().split("\n")) {
    const [pid, comm] = line.trim().split(/\s+/);
    if (!comm?.startsWith("workerd")) continue;
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    found.set(pid, Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024);
  }
  return found;
}

async function startSized(n) {
  const known = new Set(workerds().keys());
  const writer = { broken: true };
  const gate = await startGate({ refreshS: 1, maxAgeS: 1, writer });
  const pid = [...workerds().keys()].find((p) => !known.has(p));
  if (!pid) throw new Error("no new workerd process");
  if (n > 0) {
    const bytes = readFileSync(`${opts.lists}/${n}.bin`);
    const id = `bench-${n}`;
    let chunks = 0;
    for (let at = 0; at < bytes.length; at += CHUNK, chunks++) {
      const piece = bytes.subarray(at, Math.min(at + CHUNK, bytes.length));
      await gate.kv.put(`revocations/compact/${id}/${chunks}`, piece.buffer.slice(piece.byteOffset, piece.byteOffset + piece.length));
    }
    await gate.kv.put("revocations/compact/manifest", JSON.stringify({ v: 1, version: n, id, bytes: bytes.length, chunks }));
  }
  const token = await gate.mint({ jti: "bench-not-revoked" });
  const get = async () => {
    const res = await gate.get("/orders/1", token);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`n=${n}: ${res.status}`);
  };
  await sleep(200);
  const rss0 = workerds().get(pid);
  await get();
  const rssDelta = workerds().get(pid) - rss0;
  const stats = await (await gate.admin("GET", "/stats")).json();
  if (stats.snapshot.entries !== n) throw new Error(`loaded ${stats.snapshot.entries} entries, wanted ${n}`);
  return { n, gate, get, rssDelta, times: [] };
}

const gates = [];
try {
  for (const n of sizes) gates.push(await startSized(n));
  for (let r = 0; r < rounds; r++) {
    await sleep(1100); // past max age at every gate: the next request reloads
    for (let k = 0; k < gates.length; k++) {
      const g = gates[(r + k) % gates.length];
      const t0 = performance.now();
      await g.get();
      g.times.push(performance.now() - t0);
    }
    log(`round ${r + 1}: ${gates.map((g) => `${g.n}: ${g.times.at(-1).toFixed(1)} ms`).join(", ")}`);
  }
} finally {
  await Promise.all(gates.map((g) => g.gate.dispose()));
}
const samples = Object.fromEntries(gates.map((g) => [g.n, g]));
const base = samples[0];
const baseFirst = median(base.times);
const baseRss = base.rssDelta;
const out = {
  source: "bench/js/revocation-load.mjs",
  rounds,
  chunk_bytes: CHUNK,
  memory: "the workerd process RSS delta over the first load, minus the same with no list",
  empty: { reload_request_ms: baseFirst, rss_delta_bytes: baseRss },
  sizes: sizes.filter((n) => n > 0).map((n) => ({
    entries: n,
    reload_request_ms: median(samples[n].times),
    load_ms: median(samples[n].times.map((t, i) => t - base.times[i])),
    rss_delta_bytes: samples[n].rssDelta - baseRss,
  })),
};

// Part two: what gating costs in KV and writer requests, counted over a run and scaled to a
// million gated requests. One location with the defaults (R 2 s, T 2 s), a steady request
// rate q, no admin writes: per the README's formula, writer requests per million gated
// requests = 10^6 / (q T) per location, KV reads = (1 + chunks) per isolate load only, KV
// writes = 0 (the writer writes per publication, not per request).
const costSeconds = Number(process.env.REVOCATION_COST_S ?? 20);
const locs = await startLocations(1, { refreshS: 2, feedTtlS: 2 });
let gated = 0;
let cost;
try {
  const token = await locs.mint({ jti: "cost-run" });
  const before = await locs.stats(0);
  const t0 = performance.now();
  // About 100 requests a second from one client: one every 10 ms.
  while (performance.now() - t0 < costSeconds * 1000) {
    const t = performance.now();
    if ((await locs.get(0, "/orders/1", token)) !== 200) throw new Error("gated request refused");
    gated++;
    const wait = 10 - (performance.now() - t);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const seconds = (performance.now() - t0) / 1000;
  const after = await locs.stats(0);
  const d = (k) => after.kv[k] - before.kv[k];
  const writer = after.writer_requests - before.writer_requests;
  const perM = (x) => (x * 1e6) / gated;
  cost = {
    seconds,
    gated,
    rate_per_s: gated / seconds,
    refresh_s: 2,
    feed_ttl_s: 2,
    measured: { kv_reads: d("reads"), kv_writes: d("writes"), writer_requests: writer },
    per_million: { kv_reads: perM(d("reads")), kv_writes: perM(d("writes")), writer_requests: perM(writer) },
    formula_writer_per_million: 1e6 / ((gated / seconds) * 2),
  };
  log(`cost run: ${gated} gated requests in ${seconds.toFixed(1)} s: ${JSON.stringify(cost.measured)}`);
} finally {
  await locs.dispose();
}
out.cost = cost;
console.log(JSON.stringify(out));
