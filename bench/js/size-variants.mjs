#!/usr/bin/env node
// The size/speed table for release-profile variants built by bench/build-variants.sh: for
// every variant and wasm-opt level, the gate's wasm size (raw, gzip -9, with and without the
// name section; scripts/build.sh ships it without) and, from the same variant's bench wasm,
// the core's whole per-request path (bench/gate-path `all`) and the verify alone, looped
// inside wasm in workerd and in Node, by the CPU time of the process that ran each batch;
// all variants alternated in one run.
//   node bench/js/size-variants.mjs [--rounds 7] [--levels="-O3,..."] [--batch-ms 150]
//       [--baseline core-z] [--flag-trials="-O3,..."]   JSON on stdout
// (a level may hold several wasm-opt flags; comma-separated levels are each measured, on every
// variant with --levels, on the baseline variant only with --flag-trials)
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { bundleVerifyWorker, OUT } from "./build.mjs";
import { log, median, mintToken, round } from "./common.mjs";
import { alternate, nodeRunner, workerdRunner } from "./verify-bench.mjs";

// The wasm-opt flags the gate ships with (crates/portcullis-worker/Cargo.toml's wasm-pack metadata).
const SHIPPED = "-O1 -s 2 --dae-optimizing --duplicate-function-elimination -O1";
const { values: opts } = parseArgs({ options: { rounds: { type: "string", default: "7" }, levels: { type: "string", default: SHIPPED }, "batch-ms": { type: "string", default: "150" }, baseline: { type: "string", default: "core-z" }, "flag-trials": { type: "string", default: "" } } });
const WASM_OPT = process.env.WASM_OPT_BIN || join(OUT, "..", "..", "node_modules", ".bin", "wasm-opt");
const root = join(OUT, "variants");
const FEATURES = ["mutable-globals", "sign-ext", "nontrapping-float-to-int", "bulk-memory", "multivalue", "reference-types", "exception-handling"].map((x) => `--enable-${x}`);
const variants = readdirSync(root).filter((v) => existsSync(join(root, v, "gate.wasm")) && existsSync(join(root, v, "bench"))).sort();
const size = (f) => { const b = readFileSync(f); return { raw: b.length, gzip: gzipSync(b, { level: 9 }).length }; };

const rows = [];
for (const v of variants) {
  // --flag-trials: other wasm-opt lines, tried on the baseline variant only.
  const trials = v === opts.baseline ? opts["flag-trials"].split(",").filter(Boolean) : [];
  for (const level of [...opts.levels.split(","), ...trials]) {
    const dir = join(root, v, `opt${level.replace(/[ -]/g, "")}`);
    const gate = join(dir, "gate.wasm");
    if (!existsSync(gate) || statSync(gate).mtimeMs < statSync(join(root, v, "gate.wasm")).mtimeMs) {
      log(`wasm-opt ${level} ${v}`);
      cpSync(join(root, v, "bench"), join(dir, "pkg"), { recursive: true });
      // The same invocation worker-build 0.8.7 makes: the level (the crate's wasm-pack
      // metadata), its explicit feature list, and --debuginfo (it keeps the name section).
      execFileSync(WASM_OPT, [...level.split(" "), ...FEATURES, "--debuginfo", join(root, v, "gate.wasm"), "-o", gate]);
      // What ships: scripts/build.sh strips the name section.
      execFileSync(WASM_OPT, ["--strip-debug", ...FEATURES, gate, "-o", join(dir, "gate-stripped.wasm")]);
      const bw = join(dir, "pkg", "portcullis_bench_wasm_bg.wasm");
      execFileSync(WASM_OPT, [...level.split(" "), ...FEATURES, "--debuginfo", join(root, v, "bench", "portcullis_bench_wasm_bg.wasm"), "-o", bw]);
      await bundleVerifyWorker(join(dir, "pkg"), join(dir, "worker"));
    }
    rows.push({ variant: v, wasm_opt: level, gate: size(gate), stripped: size(join(dir, "gate-stripped.wasm")), dir, build_seconds: Number(readFileSync(join(root, v, "build_seconds"), "utf8")) });
  }
}

const token = await mintToken();
const runners = [];
try {
  const pairs = [];
  for (const row of rows) {
    const label = `${row.variant} ${row.wasm_opt}`;
    const wd = await workerdRunner(token, join(row.dir, "worker"));
    const nd = await nodeRunner(token, join(row.dir, "worker"));
    runners.push(wd, nd);
    pairs.push([`${label} workerd path`, wd, "gate:all"], [`${label} workerd verify`, wd, "gate:verify"], [`${label} node path`, nd, "gate:all"]);
  }
  log(`${rows.length} variants, ${opts.rounds} rounds`);
  const m = await alternate(pairs, { rounds: Number(opts.rounds), batchMs: Number(opts["batch-ms"]) });
  const baseRow = rows.find((r) => r.variant === opts.baseline && r.wasm_opt === SHIPPED) ?? rows[0];
  const base = `${baseRow.variant} ${baseRow.wasm_opt}`;
  // CPU time of the process that ran each batch: a loaded machine stretches wall time.
  const cpu = (label, what) => m[`${label} ${what}`].cpu;
  const vs = (label, what) => round(median(cpu(label, what).map((x, i) => x / cpu(base, what)[i])));
  const table = rows.map((row) => {
    const label = `${row.variant} ${row.wasm_opt}`;
    return {
      variant: row.variant,
      wasm_opt: row.wasm_opt,
      wasm_raw: row.gate.raw,
      wasm_gzip_with_names: row.gate.gzip,
      stripped_raw: row.stripped.raw,
      stripped_gzip: row.stripped.gzip,
      us_per_path_workerd: round(median(cpu(label, "workerd path"))),
      us_per_path_node: round(median(cpu(label, "node path"))),
      us_per_verify_workerd: round(median(cpu(label, "workerd verify"))),
      us_per_path_workerd_wall: round(median(m[`${label} workerd path`].us)),
      path_workerd_vs_baseline: vs(label, "workerd path"),
      path_node_vs_baseline: vs(label, "node path"),
      verify_workerd_vs_baseline: vs(label, "workerd verify"),
      rounds_path_workerd: cpu(label, "workerd path").map((x) => round(x)),
      build_seconds: row.build_seconds,
    };
  });
  console.log(JSON.stringify({ baseline: base, rounds: Number(opts.rounds), batch_ms: Number(opts["batch-ms"]), table }, null, 2));
} finally {
  for (const r of runners) await r.dispose();
}
