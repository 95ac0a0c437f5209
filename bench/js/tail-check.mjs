// Is the gate's p99 its CPU per request, or a stall? (bench/ab run 8; not a make bench step.)
// The same build with the revocation copy refreshed every 10 s (default) and every 300 s (no
// refresh within a round), denials-only, floor-log, jose and passthrough-log, alternated; p99
// per ms of workerd CPU per request for each.
//   node bench/js/tail-check.mjs [rounds 6] [seconds 3]     JSON on stdout
import { median, mintToken, round, log } from "./common.mjs";
import { startContender, startOrigin } from "./gates.mjs";
import { measured, startCounted } from "./load.mjs";
const ROUNDS = Number(process.argv[2] ?? 6), SECONDS = Number(process.argv[3] ?? 3);
const token = await mintToken({ scope: "orders:read" });
const origin = await startOrigin();
const defs = { "portcullis": ["portcullis", {}], "portcullis-refresh-300s": ["portcullis", { refreshS: 300 }], "portcullis-denials-only": ["portcullis-denials-only", {}], "floor-log": ["floor-log", {}], "jose": ["jose", {}], "passthrough-log": ["passthrough-log", {}] };
const s = {};
for (const [n, [kind, o]] of Object.entries(defs)) s[n] = await startCounted(() => startContender(kind, origin.url, token, o));
const names = Object.keys(defs);
const go = (n, sec) => measured(s[n], { url: `${s[n].url}/orders/1`, seconds: sec, connections: 4, headers: [`Authorization: Bearer ${token}`] });
for (const n of names) await go(n, 1);
const data = Object.fromEntries(names.map((n) => [n, []]));
for (let i = 0; i < ROUNDS; i++) for (let j = 0; j < names.length; j++) { const n = names[(i + j) % names.length]; log(`tail ${i + 1}: ${n}`); data[n].push(await go(n, SECONDS)); }
const out = {};
for (const n of names) {
  const r = data[n];
  out[n] = { cpu: round(median(r.map((w) => w.workerd_cpu_us_per_req)), 1), rps: round(median(r.map((w) => w.rps)), 0), p50: round(median(r.map((w) => w.p50_ms))), p99: round(median(r.map((w) => w.p99_ms))), p999: round(median(r.map((w) => w.p999_ms))), max: round(Math.max(...r.map((w) => w.max_ms))),
    p99_vs_portcullis: round(median(r.map((w, i) => w.p99_ms / data.portcullis[i].p99_ms))), p99_per_cpu_ms: round(median(r.map((w) => w.p99_ms / w.workerd_cpu_us_per_req)) * 1000, 2), rounds: r };
}
for (const x of Object.values(s)) await x.mf.dispose();
await origin.close();
console.log(JSON.stringify({ rounds: ROUNDS, seconds: SECONDS, contenders: out }, null, 2));
