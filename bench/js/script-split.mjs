#!/usr/bin/env node
// What the split into two scripts buys the gate (issue 12 item 5): the gate's wasm (build/,
// no Durable Object class) beside the objects script's (build-objects/: the classes, no
// request handler) and, with PORTCULLIS_BASE_BUILD=<a build/ from before the split>, the one
// script both were, side by side.
//   node bench/js/script-split.mjs [--rounds 15] [--copies 8]   JSON on stdout
//
// - size: raw and gzip -9 of each wasm (gzip is what ships and what the budget counts);
// - load: from `new Miniflare(...)` to the first answer of a worker whose module imports the
//   wasm --copies times (workerd decodes and validates each when it loads the script, before
//   any request) and answers with their export count; an "empty" worker (no wasm) gives workerd's own start.
//   Contenders alternated per round; medians, and each one's load above empty. This is the
//   part of a cold isolate's start that depends on the script's size; the first request's own
//   work (settings, key ring, the revocation snapshot) is measured by the throughput bench.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Miniflare } from "miniflare";
import { ROOT, compatibilityDate } from "../../tests/e2e/harness.mjs";
import { log, median, round } from "./common.mjs";

const { values: opts } = parseArgs({ options: { rounds: { type: "string", default: "15" }, copies: { type: "string", default: "8" } } });
const ROUNDS = Number(opts.rounds);
const BASE = process.env.PORTCULLIS_BASE_BUILD;
const WASM = {
  gate: join(ROOT, "build", "index_bg.wasm"),
  objects: join(ROOT, "build-objects", "index_bg.wasm"),
  ...(BASE ? { "one-script": join(BASE, "index_bg.wasm") } : {}),
};

const size = Object.fromEntries(
  Object.entries(WASM).map(([name, file]) => {
    const bytes = readFileSync(file);
    // The gzip CLI, as scripts/size.sh and the README count (zlib's level 9 differs by ~0.5%).
    return [name, { raw: bytes.length, gzip: execFileSync("gzip", ["-9", "-c", file], { maxBuffer: 1 << 26 }).length }];
  }),
);

// Each worker imports COPIES copies of the wasm (module names differ, so workerd compiles
// each): the load cost times COPIES stands out of workerd's own start, which on a shared
// machine varies by more than one wasm's load.
const COPIES = Number(opts.copies);
const SCRIPT = (withWasm) =>
  withWasm
    ? `${Array.from({ length: COPIES }, (_, i) => `import w${i} from "./w${i}.wasm";`).join(" ")}
       export default { fetch() { return new Response(String([${Array.from({ length: COPIES }, (_, i) => `w${i}`).join(", ")}].reduce((n, m) => n + WebAssembly.Module.exports(m).length, 0))); } };`
    : 'export default { fetch() { return new Response("0"); } };';

async function load(name) {
  const modules = [{ type: "ESModule", path: "index.mjs", contents: SCRIPT(name !== "empty") }];
  if (name !== "empty") {
    const bytes = readFileSync(WASM[name]);
    for (let i = 0; i < COPIES; i++) modules.push({ type: "CompiledWasm", path: `w${i}.wasm`, contents: bytes });
  }
  const t0 = performance.now();
  const mf = new Miniflare({ modules, compatibilityDate: compatibilityDate(), host: "127.0.0.1", port: 0 });
  try {
    const res = await mf.dispatchFetch("http://localhost/");
    const exports = Number(await res.text());
    if (res.status !== 200 || (name !== "empty" && !(exports > 0))) throw new Error(`${name}: answered ${res.status} ${exports}`);
    return performance.now() - t0;
  } finally {
    await mf.dispose();
  }
}

const names = ["empty", ...Object.keys(WASM)];
const ms = Object.fromEntries(names.map((n) => [n, []]));
await load("empty"); // warm the disk cache and Node's own modules before timing
for (let r = 0; r < ROUNDS; r++) {
  // Alternated, each round starting with a different contender.
  for (let i = 0; i < names.length; i++) {
    const name = names[(r + i) % names.length];
    ms[name].push(await load(name));
  }
  log(`script-split: round ${r + 1}/${ROUNDS}`, Object.fromEntries(names.map((n) => [n, round(ms[n].at(-1), 1)])));
}
const med = Object.fromEntries(names.map((n) => [n, median(ms[n])]));
const above = (n) => med[n] - med.empty;
const loaded = names.filter((n) => n !== "empty");
console.log(
  JSON.stringify(
    {
      rounds: ROUNDS,
      copies: COPIES,
      base: BASE ?? null,
      size,
      load_ms_median: Object.fromEntries(names.map((n) => [n, round(med[n], 1)])),
      load_above_empty_ms: Object.fromEntries(loaded.map((n) => [n, round(above(n), 1)])),
      // Per copy: what one load of that wasm costs.
      load_per_copy_ms: Object.fromEntries(loaded.map((n) => [n, round(above(n) / COPIES, 1)])),
      runs_ms: Object.fromEntries(names.map((n) => [n, ms[n].map((x) => round(x, 1))])),
    },
    null,
    2,
  ),
);
