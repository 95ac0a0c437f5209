#!/usr/bin/env node
// Where a wasm's code bytes go: reads the code section's function body sizes and the
// "name" section (rustc keeps symbol names unless stripped) and sums them by crate.
//   node bench/js/wasm-profile.mjs FILE.wasm [--top 15]   JSON on stdout
// (A dependency-free stand-in for `twiggy top`, so `make bench` needs no extra install.)
import { readFileSync } from "node:fs";

const file = process.argv[2];
const top = Number(process.argv[process.argv.indexOf("--top") + 1] || 15);
const buf = readFileSync(file);
let p = 8;
const leb = () => { let r = 0, s = 0, b; do { b = buf[p++]; r |= (b & 0x7f) << s; s += 7; } while (b & 0x80); return r >>> 0; };
let importedFuncs = 0;
const bodies = [];
const names = new Map();
const sections = {};
while (p < buf.length) {
  const id = buf[p++];
  const size = leb();
  const end = p + size;
  let label = String(id);
  if (id === 0) {
    const n = leb();
    label = "custom:" + buf.subarray(p, p + n).toString("utf8");
    p += n;
    if (label === "custom:name") {
      while (p < end) {
        const sub = buf[p++], len = leb(), subEnd = p + len;
        if (sub === 1) {
          const count = leb();
          for (let i = 0; i < count; i++) { const idx = leb(), l = leb(); names.set(idx, buf.subarray(p, p + l).toString("utf8")); p += l; }
        }
        p = subEnd;
      }
    }
  } else if (id === 2) {
    const count = leb();
    for (let i = 0; i < count; i++) {
      for (let k = 0; k < 2; k++) { const l = leb(); p += l; }
      const kind = buf[p++];
      if (kind === 0) { importedFuncs++; leb(); }
      else if (kind === 1) { p++; const f = leb(); leb(); if (f & 1) leb(); }
      else if (kind === 2) { const f = leb(); leb(); if (f & 1) leb(); }
      else if (kind === 3) { p += 2; }
      else if (kind === 4) { p++; leb(); }
    }
  } else if (id === 10) {
    const count = leb();
    for (let i = 0; i < count; i++) { const s = leb(); bodies.push(s); p += s; }
  }
  sections[label] = (sections[label] ?? 0) + size;
  p = end;
}
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
const functions = bodies.map((s, i) => [names.get(i + importedFuncs) ?? `func[${i + importedFuncs}]`, s]).sort((a, b) => b[1] - a[1]);
console.log(JSON.stringify({
  file, bytes: buf.length, code_bytes: code, functions: bodies.length, named: names.size,
  sections,
  by_crate: Object.fromEntries(Object.entries(byCrate).sort((a, b) => b[1] - a[1]).slice(0, top)),
  largest_functions: functions.slice(0, top).map(([n, s]) => ({ name: n.slice(0, 140), bytes: s })),
}, null, 2));
