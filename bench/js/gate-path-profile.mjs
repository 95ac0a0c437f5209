#!/usr/bin/env node
// Where the core's per-request path goes inside V8: loops one bench/gate-path step in the
// bench wasm (names kept: scripts/bench.sh runs wasm-opt with --debuginfo) under Node's
// sampling profiler, and prints self time per wasm function, heaviest first.
//   node bench/js/gate-path-profile.mjs [--step all] [--seconds 3] [--top 25] [--wasm FILE]   JSON on stdout
// (--wasm: another build of the bench wasm, e.g. a profile variant's; default bench/out's)
import { readFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { OUT } from "./build.mjs";
import { AUDIENCE, ISSUER, JWKS, MAX_TTL } from "./common.mjs";
import { makeContenders } from "./contenders.mjs";

const { values: opts } = parseArgs({ options: { step: { type: "string", default: "all" }, seconds: { type: "string", default: "3" }, top: { type: "string", default: "25" }, wasm: { type: "string", default: join(OUT, "portcullis_bench_wasm_bg.wasm") } } });
const wasmModule = new WebAssembly.Module(readFileSync(opts.wasm));
const made = await makeContenders({ wasmModule, jwks: JWKS, issuer: ISSUER, audience: AUDIENCE, maxTtl: MAX_TTL });
made.gateLoop(opts.step, 2000); // warm-up: tier-up to optimized wasm

const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.setSamplingInterval", { interval: 50 });
await session.post("Profiler.start");
let runs = 0;
const until = performance.now() + 1000 * Number(opts.seconds);
while (performance.now() < until) runs += made.gateLoop(opts.step, 500);
const { profile } = await session.post("Profiler.stop");
session.disconnect();

// Self time per function: samples x interval, by node id.
const dt = new Map();
for (let i = 0; i < profile.samples.length; i++) dt.set(profile.samples[i], (dt.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
const self = new Map();
for (const node of profile.nodes) {
  const name = node.callFrame.functionName || "(anonymous)";
  self.set(name, (self.get(name) ?? 0) + (dt.get(node.id) ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(opts.top))
  .map(([name, us]) => ({ name, us_per_run: Math.round((100 * us) / runs) / 100, share: Math.round((1000 * us) / total) / 1000 }));
console.log(JSON.stringify({ step: opts.step, runs, us_per_run: Math.round((100 * total) / runs) / 100, top }, null, 2));
