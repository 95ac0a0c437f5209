// A wasm binary's section sizes, function body sizes and function names (the "name" section
// rustc keeps unless stripped), read without a dependency: for wasm-profile.mjs (bytes by
// crate) and first-request-functions.mjs (bytes a first request reaches).
import { readFileSync } from "node:fs";

/** { bytes, sections: { id or "custom:<name>": bytes }, importedFuncs, bodies: [body bytes
 * per defined function], names: Map(function index -> name) } of the wasm file. */
export function readWasmModule(file) {
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
      // Imports: only imported functions are counted (they take the first function indices).
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
  return { bytes: buf.length, sections, importedFuncs, bodies, names };
}

/** The name of defined function `i` (its index after the imported ones), or `func[N]`. */
export const functionName = (m, i) => m.names.get(i + m.importedFuncs) ?? `func[${i + m.importedFuncs}]`;
