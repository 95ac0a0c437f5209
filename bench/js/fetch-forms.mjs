#!/usr/bin/env node
// Bench only: copies of a gate build whose origin fetch (interop.rs fetch_origin, bundled into
// index.js) is rewritten to another form of the same subrequest, the wasm unchanged, so a
// fixed-rate run can pair the forms against the build they came from (bench/ab run 19).
//   node bench/js/fetch-forms.mjs build bench/out/ab/forms   -> bench/out/ab/forms/<form>/
// Prints PORTCULLIS_VARIANTS ("form=dir,...") for bench/js/fixed-rate.mjs. Every form keeps
// what the gate must do: the plan applied (credential stripped, Host dropped), manual
// redirects, cache: no-store, the origin timeout's signal, the body only when withBody.
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

// The function's body, by form; the parameters are the helper's own names.
const PLAN = `const h = out.headers;
  if (remove) for (const name of remove.split("\\n")) h.delete(name);
  const pairs = set.split("\\n");
  for (let i = 0; i + 1 < pairs.length; i += 2) h.set(pairs[i], pairs[i + 1]);`;
const CATCH = `.catch((e) => (e !== null && typeof e === "object" && e.name === "TimeoutError" ? 1 : 0))`;
const FORMS = {
  // A Request built from an init dict carrying everything; fetched as it is.
  dict: `const out = new Request(target, { method, headers: req.headers, body: withBody ? req.body : null, redirect: "manual", cache: "no-store", signal: AbortSignal.timeout(timeoutMs) });
  ${PLAN}
  return fetch(out)${CATCH};`,
  // The same Request without the options, which the fetch's own init gives.
  fetchinit: `const out = new Request(target, { method, headers: req.headers, body: withBody ? req.body : null });
  ${PLAN}
  return fetch(out, { redirect: "manual", cache: "no-store", signal: AbortSignal.timeout(timeoutMs) })${CATCH};`,
  // fetchinit with the incoming request's cf object, which the req form carries over.
  dictcf: `const out = new Request(target, { method, headers: req.headers, body: withBody ? req.body : null, cf: req.cf });
  ${PLAN}
  return fetch(out, { redirect: "manual", cache: "no-store", signal: AbortSignal.timeout(timeoutMs) })${CATCH};`,
  // fetchinit with an empty cf object of its own: whether any cf does what the incoming one does.
  cfempty: `const out = new Request(target, { method, headers: req.headers, body: withBody ? req.body : null, cf: {} });
  ${PLAN}
  return fetch(out, { redirect: "manual", cache: "no-store", signal: AbortSignal.timeout(timeoutMs) })${CATCH};`,
  // The incoming Request itself as the init (run 18's plain form), the options in fetch's init.
  req: `const out = new Request(target, withBody ? req : { method, headers: req.headers });
  ${PLAN}
  return fetch(out, { redirect: "manual", cache: "no-store", signal: AbortSignal.timeout(timeoutMs) })${CATCH};`,
};

const [from, to] = process.argv.slice(2).map((p) => resolve(p));
if (!from || !to) throw new Error("usage: fetch-forms.mjs BUILD_DIR OUT_ROOT");
const js = readFileSync(join(from, "index.js"), "utf8");
// esbuild's minified helper: the one function that copies the headers and calls fetch with
// the timeout signal. Its name and parameter names change from build to build.
const m = /function (\w+)\((\w+),(\w+),(\w+),(\w+),(\w+),(\w+),(\w+)\)\{let \w+=new Headers\(\2\.headers\);.*?AbortSignal\.timeout\(\8\)\};return .*?\.catch\(\w+=>.*?\?1:0\)\}/s.exec(js);
if (!m) throw new Error(`${from}/index.js: the origin fetch helper was not found (its form changed?)`);
const [whole, name] = m;
const out = [];
for (const [form, body] of Object.entries(FORMS)) {
  const dir = join(to, form);
  cpSync(from, dir, { recursive: true });
  // Positional parameters: the helper's readable names serve as well as the minified ones.
  const fn = `function ${name}(req, target, method, remove, set, withBody, timeoutMs) {
  ${body}
}`;
  writeFileSync(join(dir, "index.js"), js.replace(whole, () => fn));
  out.push(`${form}=${dir}`);
}
console.log(out.join(","));
