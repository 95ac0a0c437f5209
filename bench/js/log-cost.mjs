#!/usr/bin/env node
// What one console.log of the audit line costs inside workerd, by how the line is made:
//   object   console.log(obj): workerd formats a JS object
//   json     console.log(JSON.stringify(obj)): the JS pass-through-with-log's way
//   decoded  console.log(TextDecoder.decode(bytes)): a string made the way wasm-bindgen makes
//            one from wasm memory (the gate's way: web_sys::console::log_1(&JsValue::from_str))
//   wasm     console.log(JSON.stringify(obj)) called from inside a wasm function (the gate's
//            line is logged with wasm frames on the stack)
//   deep     the json line logged 40 JS frames deep
//   none     the JSON.stringify alone, no log (what producing the line costs)
// Timed from Node: one request logs N lines; minus the median of empty requests just before.
// Run with and without the V8 inspector attached (Miniflare's inspectorPort), because the
// CPU profile of section 3a is taken with it attached.
//   node bench/js/log-cost.mjs [--rounds 5] [--lines 2000]
import { parseArgs } from "node:util";
import { Miniflare } from "miniflare";
import WebSocket from "ws";
import { compatibilityDate } from "../../tests/e2e/harness.mjs";
import { median, round } from "./common.mjs";

const { values: opts } = parseArgs({ options: { rounds: { type: "string", default: "5" }, lines: { type: "string", default: "2000" } } });
const ROUNDS = Number(opts.rounds), LINES = Number(opts.lines);
const MODES = ["none", "json", "decoded", "object", "wasm", "deep"];
// (module (import "m" "log" (func)) (func (export "f") call 0)): a wasm frame under console.log.
const WASM = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 2, 9, 1, 1, 0x6d, 3, 0x6c, 0x6f, 0x67, 0, 0,
  3, 2, 1, 0, 7, 5, 1, 1, 0x66, 0, 1, 10, 6, 1, 4, 0, 0x10, 0, 0x0b]);

const script = `
import mod from "./log.wasm";
let line = "";
const inst = new WebAssembly.Instance(mod, { m: { log: () => console.log(line) } });
const deep = (d, s) => (d === 0 ? console.log(s) : deep(d - 1, s));
const dec = new TextDecoder("utf-8", { ignoreBOM: true }), enc = new TextEncoder();
const record = (i) => ({ event: "gate", time_ms: Date.now() + i, client_ip: "203.0.113.7", ray: "8f1e2d3c4b5a6978-LHR",
  method: "GET", path: "/orders/1", rule: 1, decision: "allow", reason: "authorized", status: 200,
  sub: "user-1234", jti: "0f8fad5b-d9cb-469f-a165-70867728950e", kid: "bench-1" });
export default { async fetch(req) {
  const u = new URL(req.url), n = Number(u.searchParams.get("n")), mode = u.searchParams.get("mode");
  let sink = 0;
  for (let i = 0; i < n; i++) {
    const r = record(i);
    if (mode === "object") console.log(r);
    else if (mode === "json") console.log(JSON.stringify(r));
    else if (mode === "wasm") { line = JSON.stringify(r); inst.exports.f(); }
    else if (mode === "deep") deep(40, JSON.stringify(r));
    else if (mode === "decoded") { const b = enc.encode(JSON.stringify(r)); console.log(dec.decode(b)); }
    else sink += JSON.stringify(r).length;
  }
  return new Response(String(sink));
} };`;

async function run(inspector) {
  const port = inspector ? 9800 + Math.floor(Math.random() * 150) : undefined;
  const mf = new Miniflare({ modules: [{ type: "ESModule", path: "index.mjs", contents: script }, { type: "CompiledWasm", path: "log.wasm", contents: WASM }], compatibilityDate: compatibilityDate(), host: "127.0.0.1", port: 0,
    handleRuntimeStdio: (out, err) => { out.resume(); err.resume(); }, ...(inspector ? { inspectorPort: port } : {}) });
  const url = (await mf.ready).href;
  let ws;
  if (inspector) {
    // Attach a client the way the CPU profile does, with the Runtime domain enabled (so
    // console messages are sent to it).
    const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
    const t = targets.find((x) => !/miniflare|loopback/i.test(x.title ?? "")) ?? targets[0];
    ws = new WebSocket(t.webSocketDebuggerUrl);
    await new Promise((r) => ws.once("open", r));
    ws.send(JSON.stringify({ id: 1, method: "Runtime.enable" }));
    ws.on("message", () => {});
  }
  const time = async (q) => { const t0 = performance.now(); await (await fetch(`${url}?${q}`)).text(); return performance.now() - t0; };
  for (const m of MODES) await time(`mode=${m}&n=${LINES}`); // warm-up
  const per = Object.fromEntries(MODES.map((m) => [m, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < MODES.length; k++) {
      const m = MODES[(r + k) % MODES.length];
      const empty = median([await time("mode=none&n=0"), await time("mode=none&n=0"), await time("mode=none&n=0")]);
      per[m].push(((await time(`mode=${m}&n=${LINES}`)) - empty) * 1000 / LINES);
    }
  }
  ws?.close();
  await mf.dispose();
  return Object.fromEntries(MODES.map((m) => [m, { us_per_line_median: round(median(per[m]), 2), runs: per[m].map((x) => round(x, 2)) }]));
}

const result = { lines: LINES, rounds: ROUNDS, without_inspector: await run(false), with_inspector: await run(true) };
console.log(JSON.stringify(result, null, 2));
