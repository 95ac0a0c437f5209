#!/usr/bin/env node
// Minimal revocation-freshness measurement (used while scripts/freshness.mjs from the
// `revoke` branch is not merged): the time from a revocation to the first refused request.
// The revocation is written as another isolate's would reach this one: a raw KV put of the
// entry key (entry JSON as value and metadata), then the cron's snapshot rebuild fired at
// once; the gate sees it only when its isolate refreshes its snapshot copy. Each run waits a
// random fraction of the refresh interval first, so the write lands at a random phase.
//   node bench/js/freshness-min.mjs [--refresh-s 1,5] [--runs 5] [--poll-ms 10]   JSON out
import { parseArgs } from "node:util";
import { log, median, mintToken, round } from "./common.mjs";
import { fetchRetry, startContender, startOrigin } from "./gates.mjs";

const { values: opts } = parseArgs({ options: { "refresh-s": { type: "string", default: "1,5" }, runs: { type: "string", default: "5" }, "poll-ms": { type: "string", default: "10" } } });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const POLL = Number(opts["poll-ms"]);
const origin = await startOrigin();
const out = { source: "bench/js/freshness-min.mjs", method: "raw KV put of rev/jti/<id> + cron fired at once; poll every " + POLL + " ms", runs: Number(opts.runs), refresh: {} };
try {
  for (const refreshS of opts["refresh-s"].split(",").map(Number)) {
    const warmTok = await mintToken({ scope: "orders:read", jti: `warm-${refreshS}` });
    const gate = await startContender("portcullis", origin.url, warmTok, { refreshS });
    const kv = await gate.mf.getKVNamespace("REVOCATIONS");
    const samples = [];
    try {
      for (let i = 0; i < Number(opts.runs); i++) {
        const jti = `fresh-${refreshS}-${i}-${Date.now()}`;
        const token = await mintToken({ scope: "orders:read", jti });
        const get = () => fetchRetry(`${gate.url}/orders/1`, { headers: { authorization: `Bearer ${token}` } }).then(async (r) => (await r.arrayBuffer(), r.status));
        if ((await get()) !== 200) throw new Error("fresh token refused before revocation");
        await sleep(Math.random() * refreshS * 1000);
        const now = Math.floor(Date.now() / 1000);
        const entry = { v: 1, kind: "jti", jti, at: now, exp: now + 900 };
        const t0 = performance.now();
        await kv.put(`rev/jti/${Buffer.from(jti).toString("base64url")}`, JSON.stringify(entry), { metadata: entry });
        const cron = await gate.mf.dispatchFetch("http://localhost/cdn-cgi/mf/scheduled");
        await cron.arrayBuffer();
        let status;
        while ((status = await get()) === 200) {
          if (performance.now() - t0 > refreshS * 1000 + 10_000) throw new Error("never refused");
          await sleep(POLL);
        }
        samples.push(performance.now() - t0);
        log(`freshness refresh=${refreshS}s run ${i + 1}: ${round(samples.at(-1), 0)} ms (status ${status})`);
      }
    } finally {
      await gate.mf.dispose();
    }
    out.refresh[`${refreshS}s`] = {
      refresh_s: refreshS, min_ms: round(Math.min(...samples), 0), median_ms: round(median(samples), 0), max_ms: round(Math.max(...samples), 0),
      samples_ms: samples.map((x) => round(x, 0)),
    };
  }
} finally {
  await origin.close();
}
console.log(JSON.stringify(out, null, 2));
