#!/usr/bin/env node
// Where the gate's per-request CPU goes in workerd, by repetition (slope), not by sampling.
// The bench-only build (feature bench-repeat, bench/out/slope-build; see bench_repeat.rs) does
// one piece of the gate's per-request work k extra times when a request carries
// `x-bench-repeat: <piece>=<k>`. Every piece runs at k = N in the same workerd as k = 0,
// contenders alternated per round (order rotated), and
//   cost(piece) = (CPU per request at k = N - CPU per request at k = 0, same round) / N,
// the median over rounds, with the spread. The shipped gate (build/), floor-log and
// passthrough-log run in the same rounds, so the pieces can be set against the gate's measured
// cost over floor-log.
//   node bench/js/slope.mjs [--rounds 3] [--seconds 3] [--connections 4] [--only core,log]
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { log, median, mintToken, round } from "./common.mjs";
import { startContender, startOrigin } from "./gates.mjs";
import { measured, startCounted } from "./load.mjs";

const { values: opts } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "3" },
    connections: { type: "string", default: "4" },
    only: { type: "string" },
  },
});
const ROUNDS = Number(opts.rounds), SECONDS = Number(opts.seconds), CONNS = Number(opts.connections);

// Each piece with its N (chosen so N repetitions add a few hundred µs, well above the noise
// of one round) and how many times the shipped gate does it per allowed, logged request.
// `part_of` marks a piece already inside another (not added to the sum).
export const PIECES = {
  core: { n: 40, per_request: 1, kind: "gate", what: "the core path: route, verify + revocation + scopes, identity headers and assertion, hop marker, header plan, private-response plan, audit record and JSON line" },
  verify: { n: 100, per_request: 1, kind: "part of core", what: "http::authorize alone (verify, revocation, scopes)" },
  line: { n: 100, per_request: 1, kind: "part of core", what: "the audit record and its JSON line (serde_json)" },
  head: { n: 100, per_request: 1, kind: "gate", what: "interop::Head::read: method, URL and six headers in one crossing" },
  names: { n: 200, per_request: 1, kind: "gate", what: "interop::header_names: the incoming header names in one crossing" },
  plan: { n: 100, per_request: 1, kind: "part of core + names", what: "forward::outbound_plan: the names crossing and the plan as two strings" },
  headers: { n: 30, per_request: 1, kind: "gate", what: "fetch_origin's JS side without the fetch: new Headers(req.headers), deletes, sets" },
  "headers-pairs": { n: 30, per_request: 0, kind: "candidate", what: "candidate for headers: one list of pairs given to new Headers once" },
  init: { n: 100, per_request: 1, kind: "gate", what: "fetch_origin's init object without the signal" },
  signal: { n: 50, per_request: 1, kind: "gate", what: "the origin timeout: AbortSignal.timeout" },
  private: { n: 40, per_request: 1, kind: "gate", what: "the private copy of the response: caching headers read, new Response(body, response), two sets" },
  "private-pairs": { n: 40, per_request: 0, kind: "candidate", what: "candidate for private: new Response(body, {status, statusText, headers: pairs})" },
  log: { n: 100, per_request: 1, kind: "gate", what: "one console.log of the audit line" },
  analytics: { n: 200, per_request: 1, kind: "gate", what: "the analytics dataset lookup on env (Reflect::get)" },
  now: { n: 400, per_request: 4, kind: "gate", what: "Date::now (the gate's now_s, the audit time, the snapshot's age twice)" },
  crossing: { n: 1000, per_request: 0, kind: "unit", what: "an empty call into JS (the unit of a crossing)" },
  await: { n: 50, per_request: 0, kind: "unit", what: "one await of a resolved JS promise (wasm-bindgen-futures glue)" },
  "fetch-gate": { n: 3, per_request: 0, kind: "unit", what: "a whole subrequest as the gate makes it (headers copy and plan, init, signal), answer read" },
  "fetch-floor": { n: 3, per_request: 0, kind: "unit", what: "a whole subrequest as the floor makes it (new Request(target, req)), answer read" },
};
const BUILD = new URL("../out/slope-build/index.js", import.meta.url);
if (!existsSync(BUILD)) throw new Error("bench/out/slope-build is not built (scripts/bench.sh builds it: worker-build --features bench-repeat)");
// By default every piece but the two whole subrequests: at N = 3 their noise is as large as
// the difference they are there to show (--only fetch-gate,fetch-floor runs them).
const ONLY = opts.only ? opts.only.split(",") : Object.keys(PIECES).filter((p) => !p.startsWith("fetch-"));
for (const p of ONLY) if (!PIECES[p]) throw new Error(`--only: unknown piece ${p}`);
const FLOOR = existsSync(new URL("../out/floor/index.js", import.meta.url));

const token = await mintToken({ scope: "orders:read" });
const origin = await startOrigin();
const result = { rounds: ROUNDS, seconds: SECONDS, connections: CONNS, pieces: {}, contenders: {} };
try {
  // The bench build, as the variant "slope" of the gate (same settings, same route).
  process.env.PORTCULLIS_VARIANTS = [process.env.PORTCULLIS_VARIANTS, "slope=" + new URL("../out/slope-build", import.meta.url).pathname].filter(Boolean).join(",");
  const servers = {};
  for (const name of ["passthrough-log", ...(FLOOR ? ["floor-log"] : []), "portcullis", "v-slope"]) {
    servers[name] = await startCounted(() => startContender(name, origin.url, token));
  }
  // A round: the three references back to back, then each piece at N next to its own run of
  // the bench build at k = 0 (which goes first alternates by round), pieces in rotated order.
  // Pairing each piece with an adjacent k = 0 keeps the load's drift over a round out of the
  // difference.
  const refs = Object.keys(servers).filter((s) => s !== "v-slope").map((s) => ({ name: s, server: s, headers: [] }));
  const k0 = { name: "k0", server: "v-slope", headers: ["x-bench-repeat: now=0"] };
  const pieces = ONLY.map((p) => ({ name: p, server: "v-slope", headers: [`x-bench-repeat: ${p}=${PIECES[p].n}`] }));
  const go = (r, seconds) => measured(servers[r.server], {
    url: `${servers[r.server].url}/orders/1`, seconds, connections: CONNS,
    headers: [`Authorization: Bearer ${token}`, ...r.headers],
  });
  for (const r of [...refs, k0, ...pieces]) {
    const w = await go(r, 1); // warm-up (JIT of the repeated path), not recorded
    if (w.non_2xx > 0) throw new Error(`${r.name}: ${w.non_2xx} non-2xx responses in the warm-up`);
  }
  const data = Object.fromEntries([...refs, ...pieces].map((r) => [r.name, []]));
  const base = Object.fromEntries(pieces.map((r) => [r.name, []]));
  const measure = async (r, round) => {
    log(`slope round ${round + 1}/${ROUNDS}: ${r.name}`);
    const w = await go(r, SECONDS);
    if (w.non_2xx > 0) throw new Error(`${r.name}: ${w.non_2xx} non-2xx responses`);
    return w;
  };
  for (let i = 0; i < ROUNDS; i++) {
    for (let j = 0; j < refs.length; j++) { const r = refs[(i + j) % refs.length]; data[r.name].push(await measure(r, i)); }
    for (let j = 0; j < pieces.length; j++) {
      const r = pieces[(i + j) % pieces.length];
      const pair = i % 2 ? [r, k0] : [k0, r];
      for (const x of pair) (x === k0 ? base[r.name] : data[r.name]).push(await measure(x, i));
    }
  }
  data.k0 = Object.values(base).flat();
  const cpu = (name) => data[name].map((w) => w.workerd_cpu_us_per_req);
  for (const name of Object.keys(data)) {
    result.contenders[name] = {
      workerd_cpu_us_per_req_median: round(median(cpu(name).filter(Number.isFinite)), 1),
      rps_median: round(median(data[name].map((w) => w.rps)), 0),
      p50_ms_median: round(median(data[name].map((w) => w.p50_ms))),
      p99_ms_median: round(median(data[name].map((w) => w.p99_ms))),
      p999_ms_median: round(median(data[name].map((w) => w.p999_ms))),
      rounds: data[name],
    };
  }
  // Differences within a round, then the median (and the range) over rounds.
  const paired = (a, b, scale = 1) => cpu(a).map((x, i) => (x - cpu(b)[i]) / scale);
  const overK0 = (p) => cpu(p).map((x, i) => (x - base[p][i].workerd_cpu_us_per_req) / PIECES[p].n);
  // A round in which wrk got no answer at all (the machine stalled for the whole run) has no
  // CPU per request: it is left out, and counted.
  const summary = (all) => {
    const xs = all.filter(Number.isFinite);
    return { median: round(median(xs), 2), min: round(Math.min(...xs), 2), max: round(Math.max(...xs), 2), rounds_left_out: all.length - xs.length };
  };
  for (const p of ONLY) {
    const per = overK0(p);
    const us = summary(per);
    result.pieces[p] = { ...PIECES[p], us_each: us, us_per_request: round(us.median * PIECES[p].per_request, 1), rounds_us_each: per.map((x) => round(x, 2)) };
  }
  // k = 0 against the shipped gate: medians over all k = 0 runs and all the gate's runs.
  result.k0_over_portcullis_us = round(median(cpu("k0").filter(Number.isFinite)) - median(cpu("portcullis").filter(Number.isFinite)), 1);
  if (FLOOR) result.portcullis_over_floor_log = summary(paired("portcullis", "floor-log"));
  result.portcullis_over_passthrough_log = summary(paired("portcullis", "passthrough-log"));
  if (FLOOR) result.floor_log_over_passthrough_log = summary(paired("floor-log", "passthrough-log"));
  for (const s of Object.values(servers)) await s.mf.dispose();
} finally {
  await origin.close();
}
console.log(JSON.stringify(result, null, 2));
