#!/usr/bin/env node
// Where a wasm's code bytes go: reads the code section's function body sizes and the
// "name" section (rustc keeps symbol names unless stripped) and sums them by crate.
//   node bench/js/wasm-profile.mjs FILE.wasm [--top 15]   JSON on stdout
// (A dependency-free stand-in for `twiggy top`, so `make bench` needs no extra install.)
import { functionName, readWasmModule } from "./wasm-module.mjs";

const file = process.argv[2];
const top = Number(process.argv[process.argv.indexOf("--top") + 1] || 15);
const wasm = readWasmModule(file);
const { bodies, names, importedFuncs, sections } = wasm;
// Crate of a Rust symbol, legacy (_ZN<len><ident>...) or v0 (_R...) mangling: the first
// path segment, looking through `<T as Trait>` to T's crate.
const crateOf = (name) => {
  if (!name) return "(unnamed)";
  if (name.startsWith("_R")) {
    const m = /C(?:s[0-9a-zA-Z]*_)?(\d+)([A-Za-z_][A-Za-z0-9_]*)/.exec(name);
    return m ? m[2].slice(0, Number(m[1])) : "(rust v0)";
  }
  if (name.startsWith("_ZN")) {
    const m = /^_ZN(\d+)/.exec(name);
    let ident = name.slice(m[0].length, m[0].length + Number(m[1]));
    ident = ident.replace(/^_?\$LT\$/, "").replace(/^\$RF\$/, "").replace(/^mut\$u20\$/, "").replace(/^dyn\$u20\$/, "");
    return /^[A-Za-z_][A-Za-z0-9_]*/.exec(ident)?.[0] ?? "(other)";
  }
  const m = /^<?(?:&(?:mut )?)?(?:dyn )?([A-Za-z_][A-Za-z0-9_]*)/.exec(name);
  return m ? m[1] : "(other)";
};
const byCrate = {};
let code = 0;
bodies.forEach((s, i) => { code += s; const c = crateOf(names.get(i + importedFuncs)); byCrate[c] = (byCrate[c] ?? 0) + s; });
const functions = bodies.map((s, i) => [functionName(wasm, i), s]).sort((a, b) => b[1] - a[1]);
console.log(JSON.stringify({
  file, bytes: wasm.bytes, code_bytes: code, functions: bodies.length, named: names.size,
  sections,
  by_crate: Object.fromEntries(Object.entries(byCrate).sort((a, b) => b[1] - a[1]).slice(0, top)),
  largest_functions: functions.slice(0, top).map(([n, s]) => ({ name: n.slice(0, 140), bytes: s })),
}, null, 2));
