#!/usr/bin/env node
// Throughput through workerd in front of one local origin, contenders alternated in one run
// with wrk: pass-through (the limit), the Portcullis gate (build/), a jose gate and a
// @tsndr/cloudflare-worker-jwt gate (verify + KV get of the jti + forward). Also: start to
// first answered request, and KV reads per 1,000 requests.
//   node bench/js/throughput-bench.mjs [--rounds 3] [--seconds 10] [--connections 4]
//     [--only portcullis,portcullis-public]   (a subset; passthrough is always run)
//     [--startup-runs 3]   (starts per contender; --rounds 0 measures starts alone)
//   With PORTCULLIS_BASE_BUILD=<copy of an earlier build/>, --only may name portcullis-base
//   (that build, same config, same route as portcullis) to A/B a change in one run.
import { existsSync, readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { parseArgs } from "node:util";
import { log, median, mintToken, round } from "./common.mjs";
import { fetchRetry, startContender, startOrigin } from "./gates.mjs";
import { measured, startCounted, wrk as runWrk } from "./load.mjs";

const { values: opts } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "10" },
    connections: { type: "string", default: "4" },
    "startup-runs": { type: "string", default: "3" },
    only: { type: "string" },
  },
});
const ROUNDS = Number(opts.rounds), SECONDS = Number(opts.seconds), CONNS = Number(opts.connections);
// portcullis-public: the same gate instance on a public route (no token check, no identity
// headers or assertion): what the glue, logging and forwarding cost without verification.
// portcullis-denials-only: another instance of the same build with
// PORTCULLIS_AUDIT_ALLOWED_ONE_IN=0 (denials and security events only): what the allowed
// requests' audit lines cost. PORTCULLIS_VARIANTS="name=dir,..." adds builds (v-name), each
// its own instance with the gate's config, for differential profiles (one part disabled).
const VARIANTS = (process.env.PORTCULLIS_VARIANTS ?? "").split(",").filter(Boolean).map((v) => `v-${v.split("=")[0]}`);
// floor, floor-log: a workers-rs Worker with the gate's glue that only forwards (and writes
// the audit line): what any Rust Worker costs here (bench/floor; run when it is built).
const FLOOR = existsSync(new URL("../out/floor/index.js", import.meta.url)) ? ["floor", "floor-log"] : [];
// portcullis-deployed: start-up only, the gate's start as a deployment pays it: the objects
// script (the writer) already running in its own workerd, the gate started alone and reaching
// it across processes (gates.mjs, startObjects). portcullis-base-deployed: the same with
// PORTCULLIS_BASE_BUILD. Every other contender's start loads what `make dev` loads.
// first-load-deployed: start-up only, a JS pass-through wired as portcullis-deployed whose
// first request makes the platform calls of the gate's first revocation load (gate-workers.mjs).
// vd-<name>: start-up only, a PORTCULLIS_VARIANTS build started as portcullis-deployed is.
const DEPLOYED_VARIANTS = VARIANTS.map((v) => v.replace(/^v-/, "vd-"));
const STARTUP_ONLY = ["portcullis-deployed", "portcullis-base-deployed", "first-load-deployed", ...DEPLOYED_VARIANTS];
const ALL = ["passthrough", "passthrough-log", ...FLOOR, "portcullis", "portcullis-deployed", "first-load-deployed", "portcullis-public", "portcullis-denials-only", "jose", "tsndr", "portcullis-base", "portcullis-base-deployed", ...VARIANTS, ...DEPLOYED_VARIANTS];
const ONLY = opts.only ? new Set(["passthrough", ...opts.only.split(",")]) : null;
for (const n of ONLY ?? []) if (!ALL.includes(n)) throw new Error(`--only: unknown contender ${n}`);
const CHOSEN = ONLY ? ALL.filter((n) => ONLY.has(n)) : ALL.filter((n) => !n.startsWith("portcullis-base") && !n.startsWith("v-") && !n.startsWith("vd-"));
const NAMES = CHOSEN.filter((n) => !STARTUP_ONLY.includes(n));
// portcullis-public needs the gate's instance (it shares it).
const STARTUP = ALL.filter((n) => n !== "portcullis-public" && (CHOSEN.includes(n) || (n === "portcullis" && NAMES.includes("portcullis-public"))));
const STARTED = STARTUP.filter((n) => !STARTUP_ONLY.includes(n));
const PATH = { "portcullis-public": "/health" };

const token = await mintToken({ scope: "orders:read" });
const admin = await mintToken({ scope: "portcullis:admin", jti: "bench-admin" });
const origin = await startOrigin();

const wrk = (url, path = "/orders/1") =>
  runWrk({ url: `${url}${path}`, seconds: SECONDS, connections: CONNS, headers: [`Authorization: Bearer ${token}`] });

const result = { rounds: ROUNDS, seconds: SECONDS, connections: CONNS, startup: {}, contenders: {} };
// The floor's wasm size, for the startup table (the gate's is in size.txt).
if (FLOOR.length) result.floor_wasm_gzip = gzipSync(readFileSync(new URL("../out/floor/index_bg.wasm", import.meta.url)), { level: 9 }).length;
try {
  // 1. Start to first answered request, alternated, each instance disposed before the next.
  const startup = Object.fromEntries(STARTUP.map((n) => [n, []]));
  const ready = Object.fromEntries(STARTUP.map((n) => [n, []]));
  const cpu = Object.fromEntries(STARTUP.map((n) => [n, { ready: [], node: [], first: [] }]));
  for (let r = 0; r < Number(opts["startup-runs"]); r++) {
    for (let k = 0; k < STARTUP.length; k++) {
      const name = STARTUP[(r + k) % STARTUP.length];
      const c = await startContender(name, origin.url, token);
      startup[name].push(c.startup_ms);
      ready[name].push(c.ready_ms);
      cpu[name].ready.push(c.ready_cpu_ms);
      cpu[name].node.push(c.ready_node_cpu_ms);
      cpu[name].first.push(c.first_request_cpu_ms);
      await c.dispose();
    }
  }
  for (const n of STARTUP) {
    result.startup[n] = { ms_median: round(median(startup[n]), 1), runs: startup[n].map((x) => round(x, 1)),
      ready_ms_median: round(median(ready[n]), 1), first_request_ms_median: round(median(startup[n].map((s, i) => s - ready[n][i])), 1),
      first_request_runs: startup[n].map((s, i) => round(s - ready[n][i], 1)),
      // CPU of the contender's own workerd (all threads): to ready, and on the first request.
      ready_cpu_ms_median: round(median(cpu[n].ready), 1), ready_node_cpu_ms_median: round(median(cpu[n].node), 1), first_request_cpu_ms_median: round(median(cpu[n].first), 1),
      first_request_cpu_runs: cpu[n].first.map((x) => round(x, 1)) };
  }
  if (ROUNDS === 0) {
    // --rounds 0: the starts alone.
    await origin.close();
    console.log(JSON.stringify(result, null, 2));
    process.exit(0);
  }

  // 2. Throughput: all four up at once, wrk against each in turn, order rotated per round.
  const live = {};
  for (const n of STARTED) {
    live[n] = await startCounted(() => startContender(n, origin.url, token));
  }
  if (live.portcullis) live["portcullis-public"] = live.portcullis;
  const runs = Object.fromEntries(NAMES.map((n) => [n, []]));
  for (const n of NAMES) await wrk(live[n].url, PATH[n]); // warm-up (JIT), not recorded
  // (reset by reading the counters after warm-up)
  const before = {};
  const stats = async (n) => {
    if (n === "portcullis" || n === "portcullis-base" || n === "portcullis-denials-only" || n.startsWith("v-")) {
      const res = await fetchRetry(`${live[n].url}/_portcullis/stats`, { headers: { authorization: `Bearer ${admin}` } });
      if (res.status !== 200) throw new Error(`stats: ${res.status} ${await res.text()}`);
      return { kv_reads: (await res.json()).kv.reads };
    }
    if (n === "floor" || n === "floor-log") return { kv_reads: 0 };
    return (await fetchRetry(`${live[n].url}/_bench/stats`)).json();
  };
  for (const n of STARTED) before[n] = await stats(n);
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < NAMES.length; k++) {
      const name = NAMES[(r + k) % NAMES.length];
      log(`round ${r + 1}/${ROUNDS}: ${name}`);
      const w = await measured(live[name], { url: `${live[name].url}${PATH[name] ?? "/orders/1"}`, seconds: SECONDS, connections: CONNS, headers: [`Authorization: Bearer ${token}`] });
      if (w.non_2xx > 0) throw new Error(`${name}: ${w.non_2xx} non-2xx responses`);
      runs[name].push(w);
    }
  }
  const after = {};
  for (const n of STARTED) after[n] = await stats(n);
  const total = (n) => (runs[n] ?? []).reduce((a, w) => a + w.requests, 0);
  const pass = runs.passthrough;
  for (const n of NAMES) {
    // The public-route runs hit the same isolate: its KV reads are shared with portcullis's.
    const gate = n === "portcullis" || n === "portcullis-public";
    const requests = gate ? total("portcullis") + (runs["portcullis-public"]?.length ? total("portcullis-public") : 0) : total(n);
    const reads = gate ? after.portcullis.kv_reads - before.portcullis.kv_reads : after[n]?.kv_reads - before[n]?.kv_reads;
    result.contenders[n] = {
      rps_median: round(median(runs[n].map((w) => w.rps)), 0),
      p50_ms_median: round(median(runs[n].map((w) => w.p50_ms))),
      p99_ms_median: round(median(runs[n].map((w) => w.p99_ms))),
      p999_ms_median: round(median(runs[n].map((w) => w.p999_ms))),
      max_ms_max: round(Math.max(...runs[n].map((w) => w.max_ms))),
      // p99 as a ratio to pass-through's in the same round, then the median.
      p99_vs_passthrough: round(median(runs[n].map((w, i) => w.p99_ms / pass[i].p99_ms))),
      // Ratios within a round (the two ran back to back), then the median.
      rps_vs_passthrough: round(median(runs[n].map((w, i) => w.rps / pass[i].rps))),
      workerd_cpu_us_per_req_median: round(median(runs[n].map((w) => w.workerd_cpu_us_per_req)), 1),
      // CPU added over pass-through-with-log in the same round, then the median.
      cpu_us_over_passthrough_log: runs["passthrough-log"]
        ? round(median(runs[n].map((w, i) => w.workerd_cpu_us_per_req - runs["passthrough-log"][i].workerd_cpu_us_per_req)), 1) : null,
      rps_vs_passthrough_log: runs["passthrough-log"] ? round(median(runs[n].map((w, i) => w.rps / runs["passthrough-log"][i].rps))) : null,
      requests: total(n),
      kv_reads: n === "passthrough" ? 0 : reads,
      kv_reads_per_1000: n === "passthrough" ? 0 : round((1000 * reads) / requests, 3),
      rounds: runs[n],
    };
  }
  for (const n of STARTED) await live[n].mf.dispose();
} finally {
  await origin.close();
}
console.log(JSON.stringify(result, null, 2));
