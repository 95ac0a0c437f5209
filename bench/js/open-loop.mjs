#!/usr/bin/env node
// An open-loop load generator: requests sent at a fixed rate on a fixed schedule, whatever
// the answers do, so a stall shows as latency instead of as a pause in the sending (wrk's
// closed loop sends the next request only after the last answer: "coordinated omission").
// Runs in its own process (fixed-rate.mjs spawns one per measured run), so the driver's and
// Miniflare's event loop never delays a send.
//   node bench/js/open-loop.mjs --url URL --rate 300 --seconds 8 [--connections 32]
//     [--header "Name: value"]... [--raw]
// Prints one JSON line: sent, answered, non_2xx, errors, the achieved rate, the send lag
// (how late the generator itself sent, its own noise floor), and latency percentiles in ms
// measured two ways: from the request's *intended* send time (corrected for coordinated
// omission: a request queued behind a stalled one counts its wait) and from when it was
// actually written (what wrk reports). --raw adds every corrected latency, for pooling.
import { parseArgs } from "node:util";
import { Pool } from "undici";

const { values: opts } = parseArgs({
  options: {
    url: { type: "string" },
    rate: { type: "string", default: "300" },
    seconds: { type: "string", default: "8" },
    // At the same rate before the measured part, not recorded: the pool's connections open
    // and the contender's code is hot before the first recorded request.
    "warmup-s": { type: "string", default: "1" },
    connections: { type: "string", default: "32" },
    header: { type: "string", multiple: true, default: [] },
    raw: { type: "boolean", default: false },
  },
});
const RATE = Number(opts.rate), SECONDS = Number(opts.seconds);
const url = new URL(opts.url);
const headers = Object.fromEntries(opts.header.map((h) => {
  const i = h.indexOf(":");
  return [h.slice(0, i).trim().toLowerCase(), h.slice(i + 1).trim()];
}));
// Enough connections that a request never waits for one at this rate unless the server
// stalls (then the pool queues it, and the corrected latency counts the wait).
const pool = new Pool(url.origin, { connections: Number(opts.connections), pipelining: 1, keepAliveTimeout: 30_000 });

const warm = Math.round(RATE * Number(opts["warmup-s"]));
const n = warm + Math.round(RATE * SECONDS);
const period = 1000 / RATE;
const corrected = new Float64Array(n);
const actual = new Float64Array(n);
const lag = new Float64Array(n);
let answered = 0, non2xx = 0, errors = 0, sent = 0;

function fire(i, intended) {
  const t = performance.now();
  lag[i] = t - intended;
  pool.request({ path: url.pathname + url.search, method: "GET", headers }).then(async (res) => {
    await res.body.dump();
    const end = performance.now();
    corrected[i] = end - intended;
    actual[i] = end - t;
    if (res.statusCode < 200 || res.statusCode >= 300) non2xx++;
    answered++;
  }, () => { corrected[i] = actual[i] = NaN; errors++; answered++; });
}

const t0 = performance.now() + 20;
await new Promise((done) => {
  const tick = () => {
    const now = performance.now();
    // Every request whose slot has come is sent now, at its slot's time as its intended one.
    while (sent < n && t0 + sent * period <= now) { fire(sent, t0 + sent * period); sent++; }
    if (sent < n) setTimeout(tick, Math.max(0, t0 + sent * period - performance.now()));
    else done();
  };
  setTimeout(tick, 20);
});
// Wait for the last answers (bounded: a request still out after 30 s counts as an error).
const deadline = performance.now() + 30_000;
while (answered < n && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
const elapsed_s = (performance.now() - t0) / 1000 - warm * period / 1000;
await pool.close().catch(() => {});

const pct = (all, p) => {
  const s = Float64Array.from(all.subarray(warm).filter((x) => Number.isFinite(x))).sort();
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const r3 = (x) => Math.round(x * 1000) / 1000;
const summary = (xs) => ({ p50: r3(pct(xs, 50)), p90: r3(pct(xs, 90)), p99: r3(pct(xs, 99)), p999: r3(pct(xs, 99.9)), max: r3(pct(xs, 100)) });
const out = {
  rate: RATE, seconds: SECONDS, sent: sent - warm, answered: answered - warm, non_2xx: non2xx, errors: errors + (n - answered),
  achieved_rps: r3((answered - warm) / elapsed_s),
  send_lag_ms: { p50: r3(pct(lag, 50)), p99: r3(pct(lag, 99)), max: r3(pct(lag, 100)) },
  corrected_ms: summary(corrected),
  uncorrected_ms: summary(actual),
};
if (opts.raw) out.raw = Array.from(corrected.subarray(warm), r3);
console.log(JSON.stringify(out));
