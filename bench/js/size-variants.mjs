#!/usr/bin/env node
// The size/speed table for release-profile variants built by bench/build-variants.sh:
// for every variant and wasm-opt level, the Worker's wasm size (raw, gzip -9) and the
// per-call verify time of the same variant's bench wasm in workerd, all variants measured
// alternately in one run, each also against crypto.subtle.verify in its own isolate.
//   node bench/js/size-variants.mjs [--rounds 7] [--levels="-O,-O1 -s 2"]   JSON on stdout (a level may hold several wasm-opt flags)
// (-Oz was measured once: no smaller than worker-build's -O after gzip, so -O is the default.)
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { bundleVerifyWorker, OUT } from "./build.mjs";
import { log, median, mintToken, round } from "./common.mjs";
import { alternate, workerdRunner } from "./verify-bench.mjs";

const { values: opts } = parseArgs({ options: { rounds: { type: "string", default: "7" }, levels: { type: "string", default: "-O" }, "batch-ms": { type: "string", default: "150" } } });
const WASM_OPT = process.env.WASM_OPT_BIN || join(OUT, "..", "..", "node_modules", ".bin", "wasm-opt");
const root = join(OUT, "variants");
const FEATURES = ["mutable-globals", "sign-ext", "nontrapping-float-to-int", "bulk-memory", "multivalue", "reference-types", "exception-handling"].map((x) => `--enable-${x}`);
const variants = readdirSync(root).filter((v) => existsSync(join(root, v, "gate.wasm")) && existsSync(join(root, v, "bench")));
const size = (f) => { const b = readFileSync(f); return { raw: b.length, gzip: gzipSync(b, { level: 9 }).length }; };

const rows = [];
for (const v of variants) {
  for (const level of opts.levels.split(",")) {
    const dir = join(root, v, `opt${level}`);
    const gate = join(dir, "gate.wasm");
    if (!existsSync(gate) || statSync(gate).mtimeMs < statSync(join(root, v, "gate.wasm")).mtimeMs) {
      log(`wasm-opt ${level} ${v}`);
      cpSync(join(root, v, "bench"), join(dir, "pkg"), { recursive: true });
      // The same invocation worker-build 0.8.7 makes: the level (-O by default), its
      // explicit feature list, and --debuginfo (it keeps the name section).
      execFileSync(WASM_OPT, [...level.split(" "), ...FEATURES, "--debuginfo", join(root, v, "gate.wasm"), "-o", gate]);
      // What the Worker would weigh without the name section (function names in traces).
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
    const runner = await workerdRunner(token, join(row.dir, "worker"));
    runners.push(runner);
    const label = `${row.variant} ${row.wasm_opt}`;
    pairs.push([label, runner, "portcullis"], [`${label} subtle`, runner, "subtle"]);
  }
  const m = await alternate(pairs, { rounds: Number(opts.rounds), batchMs: Number(opts["batch-ms"]) });
  const baseRow = rows.find((r) => r.variant === "o3" && r.wasm_opt === "-O") ?? rows[0];
  const baseLabel = `${baseRow.variant} ${baseRow.wasm_opt}`;
  const table = rows.map((row) => {
    const label = `${row.variant} ${row.wasm_opt}`;
    return {
      variant: row.variant,
      wasm_opt: row.wasm_opt,
      wasm_raw: row.gate.raw,
      wasm_gzip: row.gate.gzip,
      stripped_raw: row.stripped.raw,
      stripped_gzip: row.stripped.gzip,
      us_per_verify: round(median(m[label].us)),
      time_vs_baseline: round(median(m[label].us.map((x, i) => x / m[baseLabel].us[i]))),
      time_vs_subtle: round(median(m[label].us.map((x, i) => x / m[`${label} subtle`].us[i]))),
      build_seconds: row.build_seconds,
    };
  });
  console.log(JSON.stringify({ baseline: baseLabel, rounds: Number(opts.rounds), table }, null, 2));
} finally {
  for (const r of runners) await r.dispose();
}
