#!/usr/bin/env node
// Which wasm functions a fresh gate isolate runs on its first request, and how many bytes of
// code that is: what V8 must compile then (workerd compiles wasm lazily, a function on its
// first call; a perf profile of workerd puts that at about a third of the first request).
// Needs a build with names (PORTCULLIS_KEEP_WASM_NAMES=1 scripts/build.sh crates/portcullis-worker DIR).
// It copies it, instruments the copy (wasm-opt --log-execution: a call to an import at each
// function's entry and loop head), records the ids each phase runs in the glue (module start,
// first request, second request), and starts the copy as portcullis-deployed is started.
//   node bench/js/first-request-functions.mjs DIR [--top 40]     JSON on stdout
// Diagnostic, not part of `make bench`; the copy goes to bench/out/ab/trace-<basename of DIR>.
import { execFileSync } from "node:child_process";
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { mintToken } from "./common.mjs";
import { startContender, startOrigin } from "./gates.mjs";
import { functionName, readWasmModule } from "./wasm-module.mjs";

const { values: opts, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: "string", default: "40" } } });
const src = resolve(positionals[0] ?? "build");
const ROOT = resolve(import.meta.dirname, "..", "..");
const OPT = join(ROOT, "node_modules", ".bin", "wasm-opt");
const DIS = join(ROOT, "node_modules", ".bin", "wasm-dis");
const FEATURES = ["mutable-globals", "sign-ext", "nontrapping-float-to-int", "bulk-memory", "multivalue", "reference-types", "exception-handling"].map((f) => `--enable-${f}`);
const dir = join(ROOT, "bench", "out", "ab", `trace-${basename(src)}`);
rmSync(dir, { recursive: true, force: true });
cpSync(src, dir, { recursive: true });
const wasm = join(dir, "index_bg.wasm");

// Function body sizes and names of the original build, by defined-function ordinal.
function bodies(file) {
  const m = readWasmModule(file);
  if (!m.names.size) throw new Error(`${file} has no name section: build it with PORTCULLIS_KEEP_WASM_NAMES=1`);
  return m.bodies.map((bytes, i) => ({ name: functionName(m, i), bytes }));
}
const fns = bodies(join(src, "index_bg.wasm"));

execFileSync(OPT, ["--log-execution", ...FEATURES, "-g", wasm, "-o", wasm]);
// Instrumentation id -> defined-function ordinal, from the text form (the k-th `(func` is the
// k-th defined function, as in the original: instrumenting adds an import, no function).
const wat = execFileSync(DIS, [wasm], { maxBuffer: 1 << 30 }).toString().split("\n");
const logImport = /^ \(import "[^"]+" "log_execution" \(func (\$\S+)/;
let logFn = null, ordinal = -1;
const idFn = new Map();
for (let i = 0; i < wat.length; i++) {
  const m = logImport.exec(wat[i]); if (m) logFn = m[1];
  if (wat[i].startsWith(" (func ")) ordinal++;
  if (logFn && wat[i].trimStart() === `(call ${logFn}`) idFn.set(Number(/i32\.const (\d+)/.exec(wat[i + 1])[1]), ordinal);
}
if (!idFn.size) throw new Error("no log_execution calls found in the instrumented wasm");

// The glue: the import, and GET /__seen answering the ids per phase (0 start, 1 first, 2 later).
const js = join(dir, "index.js");
let glue = readFileSync(js, "utf8");
const imports = '"./index_bg.js":{__proto__:null,';
const handler = /(\w+)\.prototype\.fetch=function\((\w+)\)\{return/;
if (!glue.includes(imports) || !handler.test(glue)) throw new Error("the glue's shape changed: update first-request-functions.mjs");
glue = glue.replace(imports, imports + "log_execution:function(id){(globalThis.__seen??=[new Set,new Set,new Set])[globalThis.__phase??0].add(id)},");
glue = glue.replace(handler, (_, cls, req) => `${cls}.prototype.fetch=function(${req}){if(${req}.url.endsWith("/__seen"))return new Response(JSON.stringify((globalThis.__seen??[]).map(x=>[...x])));globalThis.__phase=Math.min((globalThis.__phase??0)+1,2);return`);
writeFileSync(js, glue);

process.env.PORTCULLIS_BASE_BUILD = dir;
const token = await mintToken({ scope: "orders:read" });
const origin = await startOrigin();
let seen;
try {
  const c = await startContender("portcullis-base-deployed", origin.url, token);
  try {
    await (await fetch(`${c.url}/orders/1`, { headers: { authorization: `Bearer ${token}` } })).text();
    seen = await (await fetch(`${c.url}/__seen`)).json();
  } finally { await c.dispose(); }
} finally { await origin.close(); }

const phase = (ids) => new Set(ids.map((id) => idFn.get(id)));
const [start, first, second] = seen.map(phase);
const firstOnly = [...first].filter((o) => !start.has(o)).map((o) => fns[o]).sort((a, b) => b.bytes - a.bytes);
const sum = (list) => list.reduce((a, f) => a + f.bytes, 0);
console.log(JSON.stringify({
  build: src, functions: fns.length, code_bytes: sum(fns),
  at_start: { functions: start.size, bytes: sum([...start].map((o) => fns[o])) },
  first_request_new: { functions: firstOnly.length, bytes: sum(firstOnly) },
  second_request: { functions: second.size, bytes: sum([...second].map((o) => fns[o])) },
  largest_first_request: firstOnly.slice(0, Number(opts.top)).map((f) => ({ name: f.name.slice(0, 140), bytes: f.bytes })),
}, null, 2));
