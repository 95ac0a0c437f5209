#!/usr/bin/env node
// The latency tail at a fixed offered rate (open loop), contenders alternated per round.
// wrk's closed loop at saturation (throughput-bench.mjs) mostly measures queueing behind CPU:
// its p99 follows each contender's CPU per request. Here every contender gets the same request
// rate, well below the slowest one's capacity, on a fixed schedule (bench/js/open-loop.mjs, in
// its own process): what is left in the tail is stalls, not queueing. Latency is counted from
// each request's intended send time, so a stall also counts against the requests queued
// behind it (no coordinated omission).
//   node bench/js/fixed-rate.mjs [--rounds 5] [--seconds 6] [--rate 250] [--connections 32]
//     [--only portcullis,jose]   (passthrough is always run; burn-<N> adds a passthrough-log
//                                 with N rounds of arithmetic a request)
// Contenders as in throughput-bench.mjs (gates.mjs), plus PORTCULLIS_VARIANTS builds (v-name)
// and portcullis-refresh-300s (the same build, its revocation copy refreshed every 300 s: no
// background refresh within a round) and portcullis-deployed (the gate alone in its workerd,
// the objects script, with the revocation writer, in another: as deployed; its CPU counts both).
// Output: JSON on stdout { rate, rounds, seconds, contenders: { name: { per-round medians,
// ratios to pass-through paired per round, percentiles of all rounds' requests pooled } } }.
import { execFile } from "node:child_process";
import { promisify, parseArgs } from "node:util";
import { existsSync } from "node:fs";
import { log, median, mintToken, round } from "./common.mjs";
import { burnBindings, startContender, startOrigin } from "./gates.mjs";
import { cpuTicks, startCounted, TICK_US } from "./load.mjs";

const { values: opts } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    seconds: { type: "string", default: "6" },
    rate: { type: "string", default: "250" },
    connections: { type: "string", default: "32" },
    only: { type: "string" },
  },
});
const ROUNDS = Number(opts.rounds), SECONDS = Number(opts.seconds), RATE = Number(opts.rate);
const VARIANTS = (process.env.PORTCULLIS_VARIANTS ?? "").split(",").filter(Boolean).map((v) => `v-${v.split("=")[0]}`);
const FLOOR = existsSync(new URL("../out/floor/index.js", import.meta.url)) ? ["floor-log"] : [];
const DEFAULT = ["passthrough", ...FLOOR, "portcullis", "jose", "tsndr"];
const ALL = ["passthrough", "passthrough-log", "floor", "floor-log", "portcullis", "portcullis-refresh-300s", "portcullis-deployed", "portcullis-denials-only", "jose", "tsndr", ...VARIANTS];
const NAMES = opts.only ? ["passthrough", ...opts.only.split(",").filter((n) => n !== "passthrough")] : DEFAULT;
// burn-…: a pass-through with more CPU a request (gates.mjs, burnBindings).
for (const n of NAMES) if (!ALL.includes(n) && !burnBindings(n)) throw new Error(`--only: unknown contender ${n}`);
const KIND = { "portcullis-refresh-300s": ["portcullis", { refreshS: 300 }] };

const token = await mintToken({ scope: "orders:read" });
const origin = await startOrigin();
const generator = new URL("./open-loop.mjs", import.meta.url).pathname;

/** One open-loop run against `c` at RATE for `seconds`, with its workerd CPU per request. */
async function run(c, seconds, raw = false) {
  const t0 = c.pids.reduce((a, p) => a + cpuTicks(p), 0);
  const args = [generator, "--url", `${c.url}/orders/1`, "--rate", String(RATE), "--seconds", String(seconds),
    "--connections", opts.connections, "--header", `Authorization: Bearer ${token}`, ...(raw ? ["--raw"] : [])];
  const { stdout } = await promisify(execFile)(process.execPath, args, { encoding: "utf8", maxBuffer: 64 << 20 });
  const ticks = c.pids.reduce((a, p) => a + cpuTicks(p), 0) - t0;
  const r = JSON.parse(stdout);
  // CPU over the whole run, warm-up second included: per request sent in it.
  r.workerd_cpu_us_per_req = round((ticks * TICK_US) / (r.sent + RATE), 1);
  return r;
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
const result = { rate: RATE, rounds: ROUNDS, seconds: SECONDS, connections: Number(opts.connections), contenders: {} };
const live = {};
try {
  for (const n of NAMES) {
    const [kind, o] = KIND[n] ?? [n, {}];
    live[n] = await startCounted(() => startContender(kind, origin.url, token, o));
  }
  for (const n of NAMES) await run(live[n], 2); // warm-up (JIT), not recorded
  const runs = Object.fromEntries(NAMES.map((n) => [n, []]));
  const rerun = [];
  result.rerun = rerun;
  const pooled = Object.fromEntries(NAMES.map((n) => [n, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < NAMES.length; k++) {
      const name = NAMES[(r + k) % NAMES.length];
      log(`fixed rate ${RATE}/s, round ${r + 1}/${ROUNDS}: ${name}`);
      // A round with a failed request (a refused or reset connection, a non-2xx) is run again,
      // at most twice, and kept on record: one lost socket must not end a 20-minute bench, and
      // a contender that keeps failing still stops it.
      let w = await run(live[name], SECONDS, true);
      for (let again = 1; w.non_2xx > 0 || w.errors > 0; again++) {
        const failed = `${name}: ${w.non_2xx} non-2xx, ${w.errors} errors`;
        if (again > 2) throw new Error(failed);
        log(`fixed rate: round ${r + 1} run again (${failed})`);
        rerun.push({ contender: name, round: r + 1, non_2xx: w.non_2xx, errors: w.errors });
        w = await run(live[name], SECONDS, true);
      }
      for (const x of w.raw) pooled[name].push(x);
      delete w.raw;
      runs[name].push(w);
    }
  }
  const pass = runs.passthrough;
  const paired = (n, f) => runs[n].map((w, i) => f(w) / f(pass[i]));
  for (const n of NAMES) {
    const rs = runs[n];
    const all = Float64Array.from(pooled[n]).sort();
    const ratios = paired(n, (w) => w.corrected_ms.p99);
    result.contenders[n] = {
      requests: all.length,
      achieved_rps_median: round(median(rs.map((w) => w.achieved_rps)), 1),
      workerd_cpu_us_per_req_median: round(median(rs.map((w) => w.workerd_cpu_us_per_req)), 1),
      // Every round's requests together: p99.9 rests on (rounds x rate x seconds) / 1000 requests.
      pooled_ms: { p50: round(pct(all, 50)), p90: round(pct(all, 90)), p99: round(pct(all, 99)), p999: round(pct(all, 99.9)), max: round(all[all.length - 1]) },
      p50_ms_median: round(median(rs.map((w) => w.corrected_ms.p50))),
      p99_ms_median: round(median(rs.map((w) => w.corrected_ms.p99))),
      p999_ms_median: round(median(rs.map((w) => w.corrected_ms.p999))),
      uncorrected_p99_ms_median: round(median(rs.map((w) => w.uncorrected_ms.p99))),
      send_lag_p99_ms_median: round(median(rs.map((w) => w.send_lag_ms.p99))),
      // p99 over pass-through's in the same round, then the median and the range over rounds.
      p99_vs_passthrough: round(median(ratios)),
      p99_vs_passthrough_range: [round(Math.min(...ratios)), round(Math.max(...ratios))],
      p999_vs_passthrough: round(median(paired(n, (w) => w.corrected_ms.p999))),
      rounds: rs,
    };
  }
  // The gate against each JavaScript gate, paired per round (the goal: no worse than theirs).
  if (runs.portcullis) {
    result.portcullis_p99_vs = {};
    for (const js of ["jose", "tsndr", "floor-log", ...VARIANTS].filter((n) => runs[n])) {
      const rs = runs.portcullis.map((w, i) => w.corrected_ms.p99 / runs[js][i].corrected_ms.p99);
      result.portcullis_p99_vs[js] = { median: round(median(rs)), min: round(Math.min(...rs)), max: round(Math.max(...rs)) };
    }
  }
} finally {
  for (const c of Object.values(live)) await c.dispose();
  await origin.close();
}
console.log(JSON.stringify(result, null, 2));
