#!/usr/bin/env node
// What stalls a contender's isolate at a fixed offered rate: a V8 CPU profile through the
// inspector while bench/js/open-loop.mjs sends at a fixed rate, read as a timeline instead of
// as totals: each garbage-collector pause (a run of consecutive "(garbage collector)" samples)
// and each busy stretch (a run of consecutive samples that are not "(idle)": the isolate's
// thread holding every request behind it), with what the longest ones were doing. Then V8's
// sampling heap profiler over a second run at the same rate, keeping the objects the GC has
// already collected: the JS bytes a request allocates, by function (the garbage it leaves).
//   node bench/js/stall-profile.mjs [--contenders portcullis,floor-log,jose,passthrough]
//     [--seconds 6] [--rate 250] [--interval-us 100]
// Output: JSON on stdout { contenders: { name: { gc, busy, allocated } } }. The profiler costs
// time of its own: compare contenders with each other within one run, not with fixed-rate.mjs.
import { execFile } from "node:child_process";
import { promisify, parseArgs } from "node:util";
import { Miniflare } from "miniflare";
import { attach } from "./inspector.mjs";
import { log, mintToken, round } from "./common.mjs";
import { contenderOptions, fetchRetry, startOrigin } from "./gates.mjs";

const { values: opts } = parseArgs({
  options: {
    contenders: { type: "string", default: "portcullis,floor-log,jose,passthrough" },
    seconds: { type: "string", default: "6" },
    rate: { type: "string", default: "250" },
    "interval-us": { type: "string", default: "100" },
  },
});
const SECONDS = Number(opts.seconds), RATE = Number(opts.rate);
const token = await mintToken({ scope: "orders:read" });
const origin = await startOrigin();
const generator = new URL("./open-loop.mjs", import.meta.url).pathname;
const KIND = { "portcullis-refresh-300s": ["portcullis", { refreshS: 300 }] };

const load = async (url, seconds) => JSON.parse((await promisify(execFile)(process.execPath,
  [generator, "--url", `${url}/orders/1`, "--rate", String(RATE), "--seconds", String(seconds), "--header", `Authorization: Bearer ${token}`],
  { encoding: "utf8" })).stdout);

const frameName = (f) => `${f.functionName || "(anonymous)"} ${f.url ? f.url.split("/").pop() : "native"}`;
const sortedDesc = (xs) => [...xs].sort((a, b) => b - a);
const q = (xsDesc, p) => xsDesc.length ? xsDesc[Math.floor((1 - p / 100) * (xsDesc.length - 1))] : 0;

/**
 * Runs of consecutive samples matching `is`, each { us, from, to }. Sample i lasts until the
 * next one (timeDeltas[i + 1]), but V8 takes no sample while the thread is outside the isolate
 * (workerd waiting on I/O): a gap longer than `gapUs` is idle, and ends the run.
 */
function runs(p, is, gapUs) {
  const out = [];
  let cur = null;
  p.samples.forEach((node, i) => {
    const delta = p.timeDeltas[i + 1] ?? 0;
    const us = Math.min(delta, gapUs);
    if (is(node)) {
      if (!cur) { cur = { us: 0, from: i, to: i }; out.push(cur); }
      cur.us += us;
      cur.to = i;
      if (delta > gapUs) cur = null;
    } else cur = null;
  });
  return out;
}

async function profile(name) {
  const port = 9300 + Math.floor(Math.random() * 500);
  const [kind, o] = KIND[name] ?? [name, {}];
  const mf = new Miniflare({ ...contenderOptions(kind, origin.url, o), inspectorPort: port });
  try {
    const url = (await mf.ready).href.replace(/\/$/, "");
    const first = await fetchRetry(`${url}/orders/1`, { headers: { authorization: `Bearer ${token}` } });
    if (first.status !== 200) throw new Error(`${name}: ${first.status}`);
    await first.text();
    const inspector = await attach(port);
    const send = inspector.send;
    await load(url, 2); // warm-up

    // 1. The timeline: GC pauses and busy stretches.
    await send("Profiler.enable");
    await send("Profiler.setSamplingInterval", { interval: Number(opts["interval-us"]) });
    await send("Profiler.start");
    const lat = await load(url, SECONDS);
    const p = (await send("Profiler.stop")).result?.profile;
    if (!p) throw new Error(`${name}: no profile`);
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const gcNode = new Set(p.nodes.filter((n) => n.callFrame.functionName === "(garbage collector)").map((n) => n.id));
    const idle = new Set(p.nodes.filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id));
    const requests = lat.sent + RATE; // the generator's warm-up second runs inside the profile too
    const gapUs = 3 * Number(opts["interval-us"]);
    const gc = runs(p, (n) => gcNode.has(n), gapUs);
    const gcDesc = sortedDesc(gc.map((r) => r.us));
    const busy = runs(p, (n) => !idle.has(n), gapUs);
    const busyDesc = [...busy].sort((a, b) => b.us - a.us);
    const what = (r) => {
      const self = {};
      for (let i = r.from; i <= r.to; i++) {
        const f = frameName(byId.get(p.samples[i]).callFrame);
        self[f] = (self[f] ?? 0) + Math.min(p.timeDeltas[i + 1] ?? 0, gapUs);
      }
      return Object.entries(self).sort((a, b) => b[1] - a[1]).slice(0, 4).map(([f, us]) => `${f}: ${round(us / 1000, 2)} ms`);
    };
    const busyUs = busyDesc.map((r) => r.us);
    const program = new Set(p.nodes.filter((n) => n.callFrame.functionName === "(program)").map((n) => n.id));
    const out = {
      requests,
      // How the sampler saw the thread: samples, the gaps between them longer than gapUs (the
      // thread outside the isolate), and the samples V8 marked idle or "(program)".
      samples: { n: p.samples.length, gaps: p.timeDeltas.filter((d) => d > gapUs).length,
        idle: p.samples.filter((n) => idle.has(n)).length, program: p.samples.filter((n) => program.has(n)).length },
      latency_ms: lat.corrected_ms,
      gc: {
        pauses_per_1000_req: round((1000 * gc.length) / requests, 1),
        us_per_req: round(gcDesc.reduce((a, b) => a + b, 0) / requests, 1),
        pause_ms: { p50: round(q(gcDesc, 50) / 1000), p99: round(q(gcDesc, 99) / 1000), max: round((gcDesc[0] ?? 0) / 1000) },
        pauses_over_1ms: gcDesc.filter((x) => x >= 1000).length,
      },
      busy: {
        stretches_per_1000_req: round((1000 * busy.length) / requests, 1),
        stretch_ms: { p50: round(q(busyUs, 50) / 1000), p99: round(q(busyUs, 99) / 1000), max: round((busyUs[0] ?? 0) / 1000) },
        over_5ms: busyUs.filter((x) => x >= 5000).length,
        over_10ms: busyUs.filter((x) => x >= 10000).length,
        longest: busyDesc.slice(0, 3).map((r) => ({ ms: round(r.us / 1000, 2), doing: what(r) })),
      },
    };
    await send("Profiler.disable");

    // 2. The garbage: every sampled allocation, whether the GC has collected it yet or not.
    const started = await send("HeapProfiler.startSampling", { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    if (started.error) out.allocated = { error: started.error.message };
    else {
      const heapLat = await load(url, SECONDS);
      const hp = (await send("HeapProfiler.stopSampling")).result?.profile;
      const byFn = {};
      let total = 0;
      const walk = (n) => {
        if (n.selfSize) {
          const f = frameName(n.callFrame);
          byFn[f] = (byFn[f] ?? 0) + n.selfSize;
          total += n.selfSize;
        }
        for (const c of n.children ?? []) walk(c);
      };
      walk(hp.head);
      const reqs = heapLat.sent + RATE;
      out.allocated = {
        bytes_per_req: Math.round(total / reqs),
        top: Object.fromEntries(Object.entries(byFn).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([f, b]) => [f, Math.round(b / reqs)])),
      };
    }
    inspector.close();
    return out;
  } finally {
    await mf.dispose();
  }
}

const result = { rate: RATE, seconds: SECONDS, interval_us: Number(opts["interval-us"]), contenders: {} };
try {
  for (const name of opts.contenders.split(",")) {
    log(`stall profile: ${name}`);
    result.contenders[name] = await profile(name);
  }
} finally {
  await origin.close();
}
console.log(JSON.stringify(result, null, 2));
