#!/usr/bin/env node
// Verify inside V8: Portcullis (wasm) vs jose vs @tsndr/cloudflare-worker-jwt vs bare
// crypto.subtle.verify, in workerd (Miniflare) and in Node, contenders alternated per round.
//   node bench/js/verify-bench.mjs [--rounds 5] [--batch-ms 200]   JSON on stdout
//
// Timing: the driver times each batch from Node (one dispatchFetch per batch) and subtracts
// the median time of an empty batch (the request's own cost). Inside workerd the clock is
// frozen during execution and only moves at I/O, so the worker also reads performance.now()
// before the batch and after an awaited setTimeout(0) that follows it; that in-worker figure
// is reported beside the driver's as a cross-check.
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Miniflare } from "miniflare";
import { OUT, bundleVerifyWorker } from "./build.mjs";
import { AUDIENCE, ISSUER, JWKS, MAX_TTL, log, median, mintToken, round } from "./common.mjs";
import { makeContenders, runBatch, runLoop, selfCheck } from "./contenders.mjs";
import { threadsCpuMs, workerdPids } from "./load.mjs";

export const NAMES = ["portcullis", "portcullis-loop", "jose", "tsndr", "subtle"];
// bench/wasm's VERIFY_STEPS, the verify's pieces (--steps).
export const STEPS = ["split", "header", "tag", "hmac", "claims", "payload_b64", "claims_json", "alloc5", "check", "all"];

// CPU time as well as wall time: on this shared 2-core machine a batch's wall time grows
// with whatever else runs (several times over at a load average of 8), while the CPU time
// the batch's own process spends on it does not (load.mjs, threadsCpuMs).
const nodeCpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

/** A runner over a bundled verify worker in workerd: run(name, n) -> { ok, wall_ms, cpu_ms, inner_ms }. */
export async function workerdRunner(token, dir = OUT) {
  const had = workerdPids();
  const mf = new Miniflare({
    modules: true,
    scriptPath: join(dir, "verify-worker.js"),
    modulesRules: [{ type: "ESModule", include: ["**/*.js"] }, { type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: "2026-04-26",
    bindings: { JWKS: JSON.stringify(JWKS), ISSUER, AUDIENCE, MAX_TTL: String(MAX_TTL) },
  });
  await mf.ready;
  const pids = [...workerdPids()].filter((p) => !had.has(p));
  const run = async (name, n) => {
    const c0 = threadsCpuMs(pids);
    const t0 = performance.now();
    const res = await mf.dispatchFetch(`http://bench/run?c=${name}&n=${n}`, { headers: { "x-token": token } });
    const body = await res.json();
    if (res.status !== 200) throw new Error(`workerd: ${JSON.stringify(body)}`);
    return { ...body, wall_ms: performance.now() - t0, cpu_ms: threadsCpuMs(pids) - c0 };
  };
  return { run, dispose: () => mf.dispose() };
}

/** The same over the bench wasm in this Node process (`dir`: a bundled verify worker's). */
export async function nodeRunner(token, dir = OUT) {
  const wasmModule = new WebAssembly.Module(readFileSync(join(dir, "portcullis_bench_wasm_bg.wasm")));
  const made = await makeContenders({ wasmModule, jwks: JWKS, issuer: ISSUER, audience: AUDIENCE, maxTtl: MAX_TTL });
  await selfCheck(made.contenders, token);
  const run = async (name, n) => {
    const c0 = nodeCpuMs();
    const t0 = performance.now();
    const ok = runLoop(made, name, token, n) ?? (await runBatch(made.contenders[name], token, n));
    const ms = performance.now() - t0;
    return { ok, wall_ms: ms, inner_ms: ms, cpu_ms: nodeCpuMs() - c0 };
  };
  return { run, dispose: async () => {} };
}

/**
 * Alternated measurement over `pairs` = [[label, runner, contenderName], ...]: each round
 * runs every pair once, the starting pair rotating. Returns { label: { us: [...], inner: [...],
 * cpu: [...] } }: µs per call by the wall clock, by the worker's own clock, and by the CPU
 * time of the process that ran it (each minus the median of three empty batches).
 */
export async function alternate(pairs, { rounds, batchMs }) {
  const batch = new Map();
  for (const [label, runner, name] of pairs) {
    await runner.run(name, 200); // warm-up: JIT, wasm tier-up
    await runner.run(name, 1000);
    const r = await runner.run(name, 1000);
    batch.set(label, Math.max(500, Math.round((1000 * batchMs) / Math.max(r.wall_ms, 1))));
  }
  const out = Object.fromEntries(pairs.map(([label]) => [label, { us: [], inner: [], cpu: [], n: batch.get(label) }]));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < pairs.length; k++) {
      const [label, runner, name] = pairs[(r + k) % pairs.length];
      const empty = [], emptyCpu = [];
      for (let e = 0; e < 3; e++) {
        const r0 = await runner.run(name, 0);
        empty.push(r0.wall_ms);
        emptyCpu.push(r0.cpu_ms ?? NaN);
      }
      const n = batch.get(label);
      const res = await runner.run(name, n);
      if (res.ok !== n) throw new Error(`${label}: ${res.ok}/${n} accepted`);
      out[label].us.push((Math.max(0, res.wall_ms - median(empty)) * 1000) / n);
      out[label].inner.push((res.inner_ms * 1000) / n);
      out[label].cpu.push((Math.max(0, (res.cpu_ms ?? NaN) - median(emptyCpu)) * 1000) / n);
    }
  }
  return out;
}

async function measureHost(host, runner, opts, others = [], steps = []) {
  // Other builds of the bench wasm (--base name=DIR,...), each timed per call and looped
  // inside wasm, alternated with these: contenders <name> and <name>-loop.
  const pairs = NAMES.map((n) => [n, runner, n]);
  for (const [label, other] of others) pairs.push([label, other, "portcullis"], [`${label}-loop`, other, "portcullis-loop"]);
  for (const step of steps) pairs.push([`verify:${step}`, runner, `verify:${step}`]);
  const names = pairs.map(([label]) => label);
  const m = await alternate(pairs, opts);
  const perRound = (a, b) => median(m[a].us.map((x, i) => x / m[b].us[i]));
  const result = { host, contenders: {} };
  for (const name of names) {
    result.contenders[name] = {
      us_per_verify: round(median(m[name].us)),
      us_per_verify_inner_clock: round(median(m[name].inner)),
      batch: m[name].n,
      rounds: m[name].us.map((x) => round(x)),
      time_vs_portcullis: round(perRound(name, "portcullis")),
    };
  }
  result.ratios = {
    jose_over_portcullis: round(perRound("jose", "portcullis")),
    tsndr_over_portcullis: round(perRound("tsndr", "portcullis")),
    subtle_over_portcullis: round(perRound("subtle", "portcullis")),
    portcullis_over_subtle: round(perRound("portcullis", "subtle")),
    portcullis_loop_over_subtle: round(perRound("portcullis-loop", "subtle")),
  };
  for (const [label] of others) {
    result.ratios[`${label}_over_subtle`] = round(perRound(label, "subtle"));
    result.ratios[`portcullis_over_${label}`] = round(perRound("portcullis", label));
    result.ratios[`portcullis_loop_over_${label}_loop`] = round(perRound("portcullis-loop", `${label}-loop`));
  }
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values: opts } = parseArgs({ options: {
    rounds: { type: "string", default: "5" }, "batch-ms": { type: "string", default: "200" },
    // Other bench wasm builds to time beside this one in workerd: name=PKG_DIR,... (each a
    // wasm-bindgen output dir, e.g. the build before a change).
    base: { type: "string" }, "workerd-only": { type: "boolean", default: false },
    // Also time the verify's pieces (bench/wasm VERIFY_STEPS) looped inside wasm, in workerd.
    steps: { type: "boolean", default: false },
  } });
  const cfg = { rounds: Number(opts.rounds), batchMs: Number(opts["batch-ms"]) };
  const token = await mintToken();
  const hosts = [];
  const hostList = [["workerd", workerdRunner], ["node", nodeRunner]].slice(0, opts["workerd-only"] ? 1 : 2);
  for (const [host, make] of hostList) {
    log(`verify in ${host}: ${cfg.rounds} rounds, ~${cfg.batchMs} ms batches`);
    const runner = await make(token);
    const others = [];
    for (const spec of host === "workerd" && opts.base ? opts.base.split(",") : []) {
      const [label, pkg] = spec.split("=");
      const dir = join(OUT, `verify-${label}`);
      await bundleVerifyWorker(resolve(pkg), dir);
      others.push([label, await workerdRunner(token, dir)]);
    }
    try {
      const steps = opts.steps && host === "workerd" ? STEPS : [];
      hosts.push(await measureHost(host, runner, cfg, others, steps));
    } finally {
      await runner.dispose();
      for (const [, other] of others) await other.dispose();
    }
  }
  console.log(JSON.stringify({ token_bytes: token.length, rounds: cfg.rounds, batch_ms: cfg.batchMs, base: opts.base ?? null, hosts }, null, 2));
}
