#!/usr/bin/env node
// Where a contender's CPU goes inside workerd: a V8 CPU profile through the inspector
// (Miniflare's inspectorPort), taken while wrk loads it, then self time summed per function
// and per bucket (wasm, the JS glue, console.log, fetch, ...), as µs per request.
//   node bench/js/cpu-profile.mjs [--contenders portcullis,passthrough-log,passthrough]
//     [--seconds 8] [--connections 4] [--interval-us 50]
// Output: JSON on stdout { contenders: { name: { requests, profiled_us_per_req, buckets, top } } }.
// The sampling profiler costs throughput of its own, so only compare contenders with each
// other within one run; the throughput bench gives the unprofiled figures.
import { execFile } from "node:child_process";
import { promisify, parseArgs } from "node:util";
import { Miniflare } from "miniflare";
import { attach } from "./inspector.mjs";
import { log, mintToken, round } from "./common.mjs";
import { contenderOptions, fetchRetry, startOrigin } from "./gates.mjs";

const { values: opts } = parseArgs({
  options: {
    contenders: { type: "string", default: "portcullis,passthrough-log,passthrough" },
    seconds: { type: "string", default: "8" },
    connections: { type: "string", default: "4" },
    "interval-us": { type: "string", default: "50" },
    top: { type: "string", default: "25" },
    bindings: { type: "string" }, // extra bindings for portcullis, JSON
  },
});
const token = await mintToken({ scope: "orders:read" });
const origin = await startOrigin();

// Function -> bucket. Wasm frames have url "wasm://..."; the wasm-bindgen glue is build/index.js
// (or the bench bundle); workerd's own APIs show as native frames of the builtin's name.
// wasm-bindgen's imports are named __wbg_<js name>_<hash>, so a crossing is named by the API
// it calls.
function bucket(frame) {
  const { functionName: f, url } = frame;
  const wbg = /^__wbg_(.+)_[0-9a-f]{8,}$/.exec(f)?.[1];
  const api = wbg ?? (url ? null : f);
  if (f === "(garbage collector)") return "GC";
  if (f === "(program)" || f === "(idle)" || f === "(root)") return f;
  if (url.startsWith("wasm://") || /\.wasm/.test(url) || f.startsWith("js-to-wasm") || f === "wasm-to-js") return "wasm: the Rust code, and the calls in and out";
  if (/^(log|warn|error|info)$/.test(api ?? "") || /internal_inspect|validators/.test(url)) return "console.log";
  if (api === "fetch") return "fetch (subrequest)";
  // "timeout": AbortSignal.timeout, the origin timeout since bench/ab run 6.
  if (/^(setTimeout|clearTimeout|AbortController|signal|abort|timeout)$/.test(api ?? "")) return "origin timeout (timer, AbortController)";
  if (/^(queueMicrotask|then|resolve|call|cb_unref)$/.test(api ?? "") || f.startsWith("__wbindgen_generic")) return "async glue (promises, microtasks, callbacks)";
  if (/^(set|get|delete|keys|headers|Headers|join|from|next|append)$/.test(api ?? "")) return "headers (read, copy, plan, set)";
  if (/^(Response|new_with_opt_readable_stream_and_init|body|status)$/.test(api ?? "")) return "response (private copy, status)";
  if (api === "decode" || api === "encode" || api === "encodeInto") return "strings across the boundary (TextDecoder/Encoder)";
  if (/^(Request|URL|url|method)$/.test(api ?? "")) return "request, URL";
  if (!url) return `other native: ${f || "(anonymous)"}`;
  return "other JS (worker module, glue)";
}

async function profile(name) {
  const port = 9300 + Math.floor(Math.random() * 500);
  const o = contenderOptions(name, origin.url);
  // The gate's bindings (its worker's, when the objects script runs beside it).
  const gateBindings = o.workers?.[0].bindings ?? o.bindings;
  if (gateBindings.PORTCULLIS_KEYS && opts.bindings) Object.assign(gateBindings, JSON.parse(opts.bindings));
  const mf = new Miniflare({ ...o, inspectorPort: port });
  const url = (await mf.ready).href.replace(/\/$/, "");
  const first = await fetchRetry(`${url}/orders/1`, { headers: { authorization: `Bearer ${token}` } });
  if (first.status !== 200) throw new Error(`${name}: ${first.status}`);
  await first.text();
  const inspector = await attach(port);
  const { send } = inspector;
  const wrk = (s) => promisify(execFile)("wrk", ["-t1", `-c${opts.connections}`, `-d${s}s`, "-H", `Authorization: Bearer ${token}`, `${url}/orders/1`], { encoding: "utf8" });
  await wrk(3); // warm-up
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: Number(opts["interval-us"]) });
  await send("Profiler.start");
  const { stdout } = await wrk(Number(opts.seconds));
  const stopped = await send("Profiler.stop");
  inspector.close();
  await mf.dispose();
  const requests = Number(/(\d+) requests in/.exec(stdout)[1]);
  const p = stopped.result?.profile;
  if (!p) throw new Error(`${name}: no profile: ${JSON.stringify(stopped).slice(0, 300)}`);
  // Self time per node: samples x the interval between them (timeDeltas).
  const self = new Map();
  p.samples.forEach((nodeId, i) => self.set(nodeId, (self.get(nodeId) ?? 0) + (p.timeDeltas[i + 1] ?? 0)));
  const byBucket = {}, byFn = {};
  for (const n of p.nodes) {
    const us = self.get(n.id) ?? 0;
    if (!us) continue;
    const b = bucket(n.callFrame);
    byBucket[b] = (byBucket[b] ?? 0) + us;
    const f = `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url ? n.callFrame.url.split("/").pop() : "native"}`;
    byFn[f] = (byFn[f] ?? 0) + us;
  }
  const perReq = (o) => Object.fromEntries(Object.entries(o).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, round(v / requests, 2)]));
  const busy = Object.entries(byBucket).filter(([k]) => k !== "(idle)").reduce((a, [, v]) => a + v, 0);
  return {
    requests,
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)[1]),
    profiled_us_per_req: round(busy / requests, 1),
    buckets: perReq(byBucket),
    top: Object.fromEntries(Object.entries(perReq(byFn)).slice(0, Number(opts.top))),
  };
}

const out = { seconds: Number(opts.seconds), interval_us: Number(opts["interval-us"]), contenders: {} };
try {
  for (const name of opts.contenders.split(",")) {
    log(`profile: ${name}`);
    out.contenders[name] = await profile(name);
  }
} finally {
  await origin.close();
}
console.log(JSON.stringify(out, null, 2));
