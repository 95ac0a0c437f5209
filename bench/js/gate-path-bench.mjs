#!/usr/bin/env node
// The gate's per-request core path inside V8: the steps of bench/gate-path (route, verify,
// authorize with the revocation lookup, identity headers and origin assertion, hop marker,
// header plan, audit line, and all of them in a row) looped inside the bench wasm, in workerd
// (Miniflare) and in Node, steps alternated per round, timed from Node per batch exactly as
// verify-bench.mjs times verify_loop (minus the median of three empty batches), by the CPU
// time of the process that ran the batch as well as by the wall clock.
//   node bench/js/gate-path-bench.mjs [--rounds 5] [--batch-ms 150]   JSON on stdout
// The native figures of the same steps come from bench/native's gate_path (scripts/bench.sh
// writes both; bench/js/report.mjs puts them side by side).
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { log, median, mintToken, round } from "./common.mjs";
import { alternate, nodeRunner, workerdRunner } from "./verify-bench.mjs";

export const STEPS = ["route", "verify", "authorize", "identity", "hop_marker", "header_plan", "audit_line", "all"];

/**
 * µs per run of each step on one runner: { step: { cpu_us, us, inner_us, rounds_cpu } }:
 * by the CPU time of the process that ran the batch (workerd's threads, or Node), by the
 * wall clock, and by the worker's own clock.
 */
export async function measureSteps(runner, steps, opts) {
  const m = await alternate(steps.map((s) => [s, runner, `gate:${s}`]), opts);
  return Object.fromEntries(steps.map((s) => [s, {
    cpu_us: round(median(m[s].cpu), 3),
    us: round(median(m[s].us), 3),
    inner_us: round(median(m[s].inner), 3),
    batch: m[s].n,
    rounds_cpu: m[s].cpu.map((x) => round(x, 3)),
    rounds: m[s].us.map((x) => round(x, 3)),
  }]));
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values: opts } = parseArgs({ options: { rounds: { type: "string", default: "5" }, "batch-ms": { type: "string", default: "150" } } });
  const cfg = { rounds: Number(opts.rounds), batchMs: Number(opts["batch-ms"]) };
  const token = await mintToken();
  const hosts = {};
  for (const [host, make] of [["workerd", workerdRunner], ["node", nodeRunner]]) {
    log(`gate path in ${host}: ${cfg.rounds} rounds, ~${cfg.batchMs} ms batches`);
    const runner = await make(token);
    try {
      hosts[host] = await measureSteps(runner, STEPS, cfg);
    } finally {
      await runner.dispose();
    }
  }
  console.log(JSON.stringify({ rounds: cfg.rounds, batch_ms: cfg.batchMs, steps: STEPS, hosts }, null, 2));
}
