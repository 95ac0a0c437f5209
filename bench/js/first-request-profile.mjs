#!/usr/bin/env node
// Where a contender's first request goes (start to first answer, after workerd is ready):
// a V8 CPU profile through the inspector (Miniflare's inspectorPort) around the first
// request only, self time summed per function. Complements the startup split of the
// throughput bench (ready vs first request).
//   node bench/js/first-request-profile.mjs [--contenders portcullis,portcullis-deployed,floor] [--runs 3] [--top 12]
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Miniflare } from "miniflare";
import { attach } from "./inspector.mjs";
import { median, mintToken, round } from "./common.mjs";
import { contenderOptions, isDeployed, startObjects, startOrigin } from "./gates.mjs";

const { values: opts } = parseArgs({ options: { contenders: { type: "string", default: "portcullis,floor" }, runs: { type: "string", default: "3" }, top: { type: "string", default: "12" } } });
const token = await mintToken({ scope: "orders:read" });
const origin = await startOrigin();

async function once(name) {
  const port = 9500 + Math.floor(Math.random() * 400);
  // portcullis-deployed: the objects script already running in its own workerd (not profiled).
  const objects = isDeployed(name) ? await startObjects(origin.url) : null;
  const mf = new Miniflare({ ...contenderOptions(name, origin.url, { objects }), inspectorPort: port });
  const url = (await mf.ready).href;
  const inspector = await attach(port);
  const { send } = inspector;
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 100 });
  await send("Profiler.start");
  const t0 = performance.now();
  const res = await fetch(`${url}orders/1`, { headers: { authorization: `Bearer ${token}` } });
  await res.text();
  const ms = performance.now() - t0;
  const { result } = await send("Profiler.stop");
  inspector.close();
  await mf.dispose();
  await objects?.dispose();
  if (res.status !== 200) throw new Error(`${name}: ${res.status}`);
  // PROFILE_DIR=<dir>: keep each raw profile (.cpuprofile, for DevTools or a script).
  if (process.env.PROFILE_DIR) writeFileSync(join(process.env.PROFILE_DIR, `${name}-${Date.now()}.cpuprofile`), JSON.stringify(result.profile));
  const p = result.profile, self = new Map();
  p.samples.forEach((n, i) => self.set(n, (self.get(n) ?? 0) + (p.timeDeltas[i + 1] ?? 0)));
  const byFn = {};
  for (const n of p.nodes) {
    const us = self.get(n.id) ?? 0;
    if (!us || n.callFrame.functionName === "(idle)") continue;
    // Wasm frames by function name when the build kept them (PORTCULLIS_KEEP_WASM_NAMES=1).
    const wasm = n.callFrame.url.startsWith("wasm://") ? (process.env.BY_WASM_FUNCTION ? `wasm ${n.callFrame.functionName}` : "wasm code") : null;
    const k = wasm ?? `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url ? n.callFrame.url.split("/").pop() : "native"}`;
    byFn[k] = (byFn[k] ?? 0) + us / 1000;
  }
  return { ms, busy_ms: Object.values(byFn).reduce((a, b) => a + b, 0), byFn };
}

const out = {};
try {
  for (const name of opts.contenders.split(",")) {
    const runs = [];
    for (let i = 0; i < Number(opts.runs); i++) runs.push(await once(name));
    const fns = [...new Set(runs.flatMap((r) => Object.keys(r.byFn)))];
    const per = Object.fromEntries(fns.map((k) => [k, round(median(runs.map((r) => r.byFn[k] ?? 0)), 2)]).sort((a, b) => b[1] - a[1]).slice(0, Number(opts.top)));
    out[name] = { first_request_ms_median: round(median(runs.map((r) => r.ms)), 1), isolate_busy_ms_median: round(median(runs.map((r) => r.busy_ms)), 1), top_ms: per };
  }
} finally {
  await origin.close();
}
console.log(JSON.stringify(out, null, 2));
