// Soak: mixed traffic with injected faults against the REAL build in workerd (Miniflare), a
// recording origin on 127.0.0.1, and a check of every single decision.
//
//   make soak                          (builds first; SOAK_SECONDS=60 by default)
//   SOAK_SECONDS=120 SOAK_CONCURRENCY=6 node scripts/soak.mjs
//   SOAK_BASELINE=passthrough node scripts/soak.mjs   (the same load on a JS pass-through)
//   SOAK_HEAP_EVERY_S=15 node scripts/soak.mjs        (also the JS heap and RSS after a forced GC)
//
// Traffic classes, each with the decision it must get: valid (200 from the origin), expired,
// tampered, revoked, wrong scope, garbage credentials, no token, an oversized (~16 KiB)
// Authorization header, public /health, a valid token on a `fail_open` route, and slow request
// bodies (a valid upload streamed in pieces). Phases, in order: normal, KV slow, KV failing,
// recovery, writer unreachable, writer unreachable and KV failing, recovery, origin down,
// origin slow (beyond PORTCULLIS_ORIGIN_TIMEOUT_MS), origin resetting connections, normal.
//
// Faults: REVOCATIONS (KV) and REVOCATION_WRITER (the single writer, a Durable Object) are
// Miniflare wrapped bindings, JS modules in front of a real in-memory KV namespace and the
// real RevocationWriter, that ask this script per operation whether to throw (or, for KV,
// delay). What the gate does under each, as README's Revocation section documents it:
// - KV slow or failing alone: nothing a client sees. An isolate syncs its copy from the
//   location's feed (Cache API, filled by the writer); KV is read only for a first load or
//   a copy behind the feed's window, neither of which happens here.
// - Writer unreachable: syncs reload the KV snapshot instead (`revocation_writer_unreachable`
//   in the log), decisions unchanged.
// - Both: no sync succeeds once the cached feed expires, and once the copy is older than
//   PORTCULLIS_REVOCATION_MAX_AGE_S a fail-closed route answers 503 and the `fail_open`
//   route forwards without a list (its assertion has no `rev_ver`; `revocation_fail_open`).
// - Origin down or resetting: 502; slower than the timeout: 504. Requests the gate denies
//   never depend on the origin.
//
// The origin verifies every forwarded request's X-Portcullis-Assertion with the origin key
// (node:crypto HMAC) and checks it matches a request the script sent with a valid token.
// Loopback only. Exits 1 on any wrong decision, unverifiable forward, or gate 5xx outside
// a fault phase.
import { createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, request as httpRequest } from "node:http";
import { Miniflare } from "miniflare";
import WebSocket from "ws";
import { FAIL, OK, kvFaultWorker, objectFaultWorker, slow } from "../tests/e2e/faults.mjs";
import { WRITER_BINDING, WRITER_CLASS, compatibilityDate, gateWorker, objectsWorker } from "../tests/e2e/harness.mjs";

const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
// SOAK_BASELINE=passthrough: the same traffic, phases and RSS sampling against a JavaScript
// pass-through Worker (forwards everything, one console.log line per request like the gate's
// audit line) instead of the gate, decisions not checked: whether workerd's memory grows the
// same way without the gate.
const BASELINE = process.env.SOAK_BASELINE === "passthrough";
const PASSTHROUGH = `export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const response = await fetch(new Request(env.ORIGIN_URL + url.pathname + url.search, request));
    console.log(JSON.stringify({ event: "gate", time_ms: Date.now(), method: request.method, path: url.pathname, decision: "allow", status: response.status }));
    return response;
  },
};`;
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 4);
const REFRESH_S = 1;
const MAX_AGE_S = 2;
const FEED_TTL_S = 1;
const ORIGIN_TIMEOUT_MS = 1500;
// After a fault starts or stops, decisions may lag by up to this long (the cached feed's TTL,
// snapshot ages, keep-alive connections): both the old and the new expectation are accepted
// meanwhile.
const GRACE_MS = (FEED_TTL_S + MAX_AGE_S + REFRESH_S) * 1000 + ORIGIN_TIMEOUT_MS + 500;

// ---------------------------------------------------------------------------------------
// Keys and tokens
// ---------------------------------------------------------------------------------------
const b64u = (buf) => Buffer.from(buf).toString("base64url");
const GATE_SECRET = Buffer.alloc(32, 0x11);
const ORIGIN_SECRET = Buffer.alloc(32, 0x22);
const KEYS = JSON.stringify({ keys: [{ kty: "oct", kid: "k1", alg: "HS256", k: b64u(GATE_SECRET) }] });
const ORIGIN_KEY = JSON.stringify({ kty: "oct", kid: "origin", alg: "HS256", k: b64u(ORIGIN_SECRET) });

function sign(payload, secret = GATE_SECRET, header = { alg: "HS256", kid: "k1", typ: "JWT" }) {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  return `${input}.${b64u(createHmac("sha256", secret).update(input).digest())}`;
}
const now = () => Math.floor(Date.now() / 1000);
let jtiCounter = 0;
function token(scope, extra = {}) {
  const t = now();
  return sign({ sub: "soak", scope, jti: `soak-${++jtiCounter}`, iat: t - 5, exp: t + 600, ...extra });
}

/** Verifies an identity assertion; returns its claims or a reason it is not valid. */
function checkAssertion(assertion, method, path) {
  if (typeof assertion !== "string") return { error: "no assertion" };
  const [h, p, s, extra] = assertion.split(".");
  if (!s || extra !== undefined) return { error: "assertion not a compact JWS" };
  const expected = createHmac("sha256", ORIGIN_SECRET).update(`${h}.${p}`).digest();
  const got = Buffer.from(s, "base64url");
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) return { error: "bad assertion MAC" };
  const header = JSON.parse(Buffer.from(h, "base64url"));
  const claims = JSON.parse(Buffer.from(p, "base64url"));
  if (header.alg !== "HS256") return { error: "assertion alg" };
  if (!(claims.exp >= now() - 1)) return { error: "assertion expired" };
  if (claims.htm !== method) return { error: "assertion htm mismatch" };
  if (!claims.htu || new URL(claims.htu).pathname !== path.split("?")[0]) return { error: "assertion htu mismatch" };
  return { claims };
}

// ---------------------------------------------------------------------------------------
// The origin: records, verifies, and misbehaves on demand.
// ---------------------------------------------------------------------------------------
const origin = {
  mode: "ok", // ok | slow | reset | down
  port: 0,
  server: null,
  sockets: new Set(),
  forwarded: 0,
  withoutList: 0, // fail-open forwards decided with no list
  violations: [],
  byId: new Map(), // soak id -> class, for the requests the script sent
};

function startOriginServer(port = 0) {
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      origin.forwarded++;
      const id = req.headers["x-soak-id"];
      const cls = origin.byId.get(id);
      const path = req.url;
      const body = Buffer.concat(chunks);
      if (path !== "/health") {
        const verdict = checkAssertion(req.headers["x-portcullis-assertion"], req.method, path);
        if (verdict.error) origin.violations.push(`${cls ?? "?"} ${req.method} ${path}: ${verdict.error}`);
        if (!["valid", "slow-body", "fail-open"].includes(cls)) origin.violations.push(`${cls ?? "unknown"} request reached the origin`);
        // Only a fail-open rule may forward without a revocation list (no rev_ver).
        if (verdict.claims && verdict.claims.rev_ver === undefined) {
          if (cls === "fail-open") origin.withoutList++;
          else origin.violations.push(`${cls} forwarded without a revocation list (no rev_ver)`);
        }
      }
      if (req.headers.authorization) origin.violations.push(`${cls}: Authorization forwarded`);
      if (cls === "slow-body" && body.length !== SLOW_BODY_BYTES) {
        origin.violations.push(`slow-body: origin got ${body.length} of ${SLOW_BODY_BYTES} bytes`);
      }
      const answer = () => {
        if (!res.destroyed) {
          res.writeHead(200, { "content-type": "text/plain", "x-origin": "yes" });
          res.end("origin ok");
        }
      };
      if (origin.mode === "reset") return req.socket.destroy();
      if (origin.mode === "slow") return setTimeout(answer, ORIGIN_TIMEOUT_MS * 3);
      answer();
    });
  });
  server.keepAliveTimeout = 1000;
  server.on("connection", (s) => {
    origin.sockets.add(s);
    s.on("close", () => origin.sockets.delete(s));
  });
  return new Promise((resolve) =>
    server.listen(port, "127.0.0.1", () => {
      origin.server = server;
      origin.port = server.address().port;
      resolve();
    }),
  );
}

async function originDown() {
  await new Promise((resolve) => {
    origin.server.close(() => resolve());
    for (const s of origin.sockets) s.destroy();
  });
}

// ---------------------------------------------------------------------------------------
// Faults: KV and the single writer behind tests/e2e/faults.mjs's wrappers (the e2e
// revocation fixtures' too), which ask these functions before every operation. KV is slow
// or throws as the phase says; the writer throws while "down", as an unreachable Durable
// Object would.
// ---------------------------------------------------------------------------------------
// The compact list's manifest key (crates/portcullis/src/revocation/compact/chunks.rs).
const MANIFEST_KEY = "revocations/compact/manifest";
const kvFault = { mode: "ok", delayMs: 400, ops: 0, failed: 0 };
const writerFault = { mode: "ok", calls: 0, failed: 0 };

function kvControl() {
  kvFault.ops++;
  if (kvFault.mode === "error") kvFault.failed++;
  return { ok: OK, error: FAIL, slow: slow(kvFault.delayMs) }[kvFault.mode];
}

function writerControl() {
  writerFault.calls++;
  if (writerFault.mode === "down") writerFault.failed++;
  return writerFault.mode === "down" ? FAIL : OK;
}

// ---------------------------------------------------------------------------------------
// Phases and expectations
// ---------------------------------------------------------------------------------------
const PHASES = [
  { name: "normal", share: 2 },
  { name: "kv-slow", share: 1, kv: "slow" },
  { name: "kv-error", share: 1.5, kv: "error" },
  { name: "kv-recovered", share: 1 },
  { name: "writer-down", share: 1.5, writer: "down" },
  { name: "writer-kv-down", share: 1.5, writer: "down", kv: "error" },
  { name: "recovered", share: 1 },
  { name: "origin-down", share: 1, origin: "down" },
  { name: "origin-slow", share: 1, origin: "slow" },
  { name: "origin-reset", share: 1, origin: "reset" },
  { name: "normal-again", share: 1 },
];

/** Statuses acceptable for a class in a phase (without grace). */
function expected(cls, phase) {
  const originFault = { down: 502, slow: 504, reset: 502 }[phase.origin];
  const forwardedOk = originFault ? [originFault] : [200];
  // No list to decide with: only when neither the writer's feed nor the KV snapshot can be
  // read (either one alone keeps the copy current).
  const noList = phase.kv === "error" && phase.writer === "down";
  switch (cls) {
    case "valid":
    case "slow-body":
      return noList ? [503] : forwardedOk;
    case "public":
      return forwardedOk; // no token, no snapshot needed
    case "fail-open":
      return forwardedOk; // fail_open: forwarded without the list when there is none
    case "expired":
    case "tampered":
    case "garbage-jws":
    case "oversized":
      return [401]; // rejected before the revocation list is consulted
    case "revoked":
      return noList ? [503] : [401];
    case "wrong-scope":
      return noList ? [503] : [403]; // the list is consulted before the scopes
    case "garbage-header":
      return [400];
    case "no-token":
      return [401];
    default:
      throw new Error(cls);
  }
}

const SLOW_BODY_BYTES = 6 * 1024;
let revokedToken;
let adminToken;

function requestFor(cls, id) {
  const headers = { "x-soak-id": id };
  let method = "GET";
  let path = `/orders/${id}`;
  switch (cls) {
    case "valid":
      headers.authorization = `Bearer ${token("orders:read")}`;
      break;
    case "expired":
      headers.authorization = `Bearer ${token("orders:read", { iat: now() - 700, exp: now() - 100 })}`;
      break;
    case "tampered": {
      const t = token("orders:read");
      const i = t.lastIndexOf(".") + 5;
      headers.authorization = `Bearer ${t.slice(0, i)}${t[i] === "A" ? "B" : "A"}${t.slice(i + 1)}`;
      break;
    }
    case "revoked":
      headers.authorization = `Bearer ${revokedToken}`;
      break;
    case "wrong-scope":
      headers.authorization = `Bearer ${token("orders:write")}`;
      break;
    case "garbage-header":
      headers.authorization = `Bearer ${["{}", "a b", "\u00e9t\u00e9", "<script>"][id % 4]}`.replace(/[^\x20-\x7e]/g, "?");
      break;
    case "garbage-jws":
      headers.authorization = `Bearer ${b64u(Buffer.from(`junk-${id}`))}.${b64u("x")}.${b64u("y")}`;
      break;
    case "no-token":
      break;
    case "oversized":
      // ~16 KiB of credential: the gate must refuse it by length, unparsed.
      headers.authorization = `Bearer ${token("orders:read")}${"A".repeat(16 * 1024)}`;
      break;
    case "public":
      path = "/health";
      break;
    case "fail-open":
      headers.authorization = `Bearer ${token("orders:read")}`;
      path = `/open/${id}`;
      break;
  }
  return { method, path, headers };
}

const CLASSES = [
  ["valid", 6], ["expired", 1], ["tampered", 1], ["revoked", 1], ["wrong-scope", 1],
  ["garbage-header", 1], ["garbage-jws", 1], ["no-token", 1], ["oversized", 1], ["public", 1],
  ["fail-open", 1], ["slow-body", 0.3],
];
const WEIGHT = CLASSES.reduce((a, [, w]) => a + w, 0);
function pickClass(n) {
  // Deterministic spread: golden-ratio sequence over the weights.
  let x = ((n * 0.6180339887) % 1) * WEIGHT;
  for (const [cls, w] of CLASSES) if ((x -= w) < 0) return cls;
  return "valid";
}

/** A valid upload whose body arrives in 1 KiB pieces over ~0.5 s, over a real socket. The
 * gate's origin timeout runs while the body is still being sent, so the upload must finish
 * well within ORIGIN_TIMEOUT_MS (see the report: a slower upload would get 504). */
function slowUpload(baseUrl, id) {
  return new Promise((resolve) => {
    const url = new URL(`/upload/${id}`, baseUrl);
    const req = httpRequest(url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token("orders:read upload:write")}`,
        "x-soak-id": id,
        "content-type": "application/octet-stream",
        "content-length": SLOW_BODY_BYTES,
      },
    });
    req.on("response", (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode, via: res.headers["x-origin"] }));
    });
    req.on("error", (e) => resolve({ status: 0, error: e.code ?? e.message }));
    let sent = 0;
    const piece = () => {
      const n = Math.min(1024, SLOW_BODY_BYTES - sent);
      sent += n;
      req.write(Buffer.alloc(n, 0x61));
      if (sent < SLOW_BODY_BYTES) setTimeout(piece, 100);
      else req.end();
    };
    piece();
  });
}

// ---------------------------------------------------------------------------------------
// workerd memory
// ---------------------------------------------------------------------------------------
function workerdPids() {
  const pids = [];
  const walk = (pid) => {
    let children = [];
    try {
      children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
    } catch {}
    for (const c of children) {
      try {
        if (readFileSync(`/proc/${c}/cmdline`, "utf8").includes("workerd")) pids.push(Number(c));
      } catch {}
      walk(c);
    }
  };
  walk(process.pid);
  return pids;
}
// What is live, as against what workerd holds: every SOAK_HEAP_EVERY_S the soak connects to the
// gate's V8 inspector, forces a full GC (a heap snapshot), reads the JS heap's used size and the RSS right after,
// and disconnects (a client left attached would make every console.log capture a stack trace,
// BENCHMARKS.md 3d). RSS alone grows in steps whenever V8 chooses not to collect yet; the
// post-GC figures are what a leak (JS objects, or wasm linear memory, which never shrinks and
// is part of RSS) would make climb.
// Off unless SOAK_HEAP_EVERY_S is set: with an inspector port open, workerd runs the gate's
// wasm far slower (about a sixth of the requests per second here), so a soak that samples the
// heap is not the same load as one that does not.
const HEAP_EVERY_MS = Number(process.env.SOAK_HEAP_EVERY_S ?? 0) * 1000;
async function heapAfterGc(inspectorPort, workerName) {
  const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json();
  // By id first: "portcullis" is also a prefix of the objects script's name.
  const target = targets.find((t) => t.id === `core:user:${workerName}`)
    ?? targets.find((t) => t.webSocketDebuggerUrl && `${t.title} ${t.url}`.includes(workerName))
    ?? targets.find((t) => t.webSocketDebuggerUrl);
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((r, j) => { ws.once("open", r); ws.once("error", j); });
  let id = 0;
  const pending = new Map();
  ws.on("message", (d) => { const m = JSON.parse(d); if (m.id && pending.has(m.id)) { pending.get(m.id)(m); pending.delete(m.id); } });
  const send = (method, params = {}) => new Promise((r) => { const i = ++id; pending.set(i, r); ws.send(JSON.stringify({ id: i, method, params })); });
  try {
    // workerd does not answer HeapProfiler.collectGarbage; a heap snapshot always starts
    // with a full GC (its chunks are discarded here).
    await send("HeapProfiler.enable");
    await send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
    const usage = await send("Runtime.getHeapUsage");
    return { used: usage.result?.usedSize ?? NaN, backing: usage.result?.backingStorageSize ?? NaN };
  } finally {
    ws.close();
  }
}
const rssKiB = (pid) => {
  try {
    return Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)[1]);
  } catch {
    return NaN;
  }
};

/** The gate's settings (the objects script gets the same). */
const gateSettings = () => ({
  PORTCULLIS_KEYS: KEYS,
  PORTCULLIS_ORIGIN_KEY: ORIGIN_KEY,
  ORIGIN_URL: `http://127.0.0.1:${origin.port}`,
  PORTCULLIS_ROUTES: JSON.stringify([
    { match: "GET,HEAD /health", public: true },
    { match: "GET /orders/*", scopes: ["orders:read"] },
    { match: "POST /upload/*", scopes: ["upload:write"] },
    { match: "GET /open/*", scopes: ["orders:read"], fail_open: true },
  ]),
  PORTCULLIS_REVOCATION_REFRESH_S: String(REFRESH_S),
  PORTCULLIS_REVOCATION_MAX_AGE_S: String(MAX_AGE_S),
  PORTCULLIS_REVOCATION_FEED_TTL_S: String(FEED_TTL_S),
  PORTCULLIS_ORIGIN_TIMEOUT_MS: String(ORIGIN_TIMEOUT_MS),
});

// ---------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------
async function main() {
  await startOriginServer();
  const workerLogs = {};
  const eventsByPhase = {};
  const inspectorPort = HEAP_EVERY_MS ? 9800 + Math.floor(Math.random() * 1000) : undefined;
  const mf = new Miniflare({
    host: "127.0.0.1",
    ...(inspectorPort ? { inspectorPort } : {}),
    // Worker console output, counted by level instead of flooding the terminal.
    handleStructuredLogs: ({ level, message }) => {
      workerLogs[level] = (workerLogs[level] ?? 0) + 1;
      // Fault events, by phase: proof that a fault phase took the path it is meant to test.
      const event = level !== "log" && /"event":"([a-z_]+)"/.exec(String(message))?.[1];
      if (event) {
        const e = (eventsByPhase[PHASES[phaseIndex].name] ??= {});
        e[event] = (e[event] ?? 0) + 1;
      }
    },
    port: 0,
    workers: [
      // The gate reaches KV and the revocation writer (a Durable Object in the objects script)
      // only through the fault wrappers, as wrangler.toml's bindings would.
      BASELINE
        ? {
            name: "portcullis",
            modules: true,
            script: PASSTHROUGH,
            compatibilityDate: compatibilityDate(),
            bindings: gateSettings(),
            wrappedBindings: { REVOCATIONS: "kv-fault" },
          }
        : gateWorker({
            bindings: gateSettings(),
            kvNamespaces: [],
            durableObjects: { [WRITER_BINDING]: null },
            wrappedBindings: { REVOCATIONS: "kv-fault", [WRITER_BINDING]: "writer-fault" },
          }),
      // The objects script (the writer), with the gate's settings and its faulty REVOCATIONS.
      ...(BASELINE
        ? []
        : [
            objectsWorker({ bindings: gateSettings(), kvNamespaces: [], wrappedBindings: { REVOCATIONS: "kv-fault" } }),
            objectFaultWorker({ name: "writer-fault", className: WRITER_CLASS, control: writerControl }),
          ]),
      kvFaultWorker({ name: "kv-fault", namespace: "revocations", control: kvControl }),
    ],
  });
  const base = (await mf.ready).href;

  // Revoke one token through the admin API, as an operator would.
  adminToken = token("portcullis:admin");
  revokedToken = token("orders:read");
  const revokedJti = JSON.parse(Buffer.from(revokedToken.split(".")[1], "base64url")).jti;
  const rev = BASELINE ? new Response("") : await fetch(new URL("/_portcullis/revocations", base), {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ jti: revokedJti }),
  });
  const revBody = await rev.text();
  if (rev.status >= 300) throw new Error(`revocation setup failed: ${rev.status}`);
  // The writer publishes the list to KV debounced (about a second): wait until the compact
  // list's manifest names this revocation's version, so the writer-down phase's KV fallback
  // has the revocation to refuse with.
  if (!BASELINE) {
    const version = JSON.parse(revBody).version;
    const kv = await mf.getKVNamespace("KV", "kv-fault");
    const deadline = Date.now() + 10_000;
    while (!(JSON.parse((await kv.get(MANIFEST_KEY)) ?? "{}").version >= version)) {
      if (Date.now() > deadline) throw new Error(`revocation version ${version} not published to KV within 10 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  const pids = workerdPids();
  const rss = [];
  const sampleRss = () => rss.push(pids.reduce((a, p) => a + rssKiB(p), 0));
  sampleRss();
  const rssTimer = setInterval(sampleRss, 2000);
  // [seconds, JS heap used bytes, ArrayBuffer backing store bytes, RSS KiB], right after a
  // forced full GC.
  const afterGc = [];
  const sampleAfterGc = async () => {
    try {
      const { used, backing } = await heapAfterGc(inspectorPort, "portcullis");
      afterGc.push([Math.round((Date.now() - start) / 1000), used, backing, pids.reduce((a, p) => a + rssKiB(p), 0)]);
    } catch (e) {
      console.log(`heap sample failed: ${e.message}`);
    }
  };

  const totalShare = PHASES.reduce((a, p) => a + p.share, 0);
  const start = Date.now();
  const end = start + SECONDS * 1000;
  let phaseIndex = 0;
  let phaseStart = start;
  let previous = PHASES[0];
  const byClass = {};
  const byStatus = {};
  const byPhase = {};
  const wrong = [];
  let gate5xxOutsideFaults = 0;
  let sent = 0;

  const phaseAt = (t) => {
    let acc = start;
    for (let i = 0; i < PHASES.length; i++) {
      acc += (PHASES[i].share / totalShare) * SECONDS * 1000;
      if (t < acc) return i;
    }
    return PHASES.length - 1;
  };

  async function enterPhase(i) {
    const p = PHASES[i];
    previous = PHASES[phaseIndex];
    phaseIndex = i;
    phaseStart = Date.now();
    kvFault.mode = p.kv ?? "ok";
    writerFault.mode = p.writer ?? "ok";
    const want = p.origin ?? "ok";
    if (origin.mode === "down" && want !== "down") await startOriginServer(origin.port);
    if (want === "down" && origin.mode !== "down") await originDown();
    origin.mode = want;
    console.log(`[${((Date.now() - start) / 1000).toFixed(1)}s] phase ${p.name}`);
  }
  await enterPhase(0);
  if (HEAP_EVERY_MS) await sampleAfterGc();
  const gcTimer = HEAP_EVERY_MS ? setInterval(sampleAfterGc, HEAP_EVERY_MS) : undefined;

  // Revoking while the writer is unreachable: 503, and nothing recorded (checked after the
  // soak: the entry is not listed).
  let writeWhileDown;
  const downJti = "soak-while-writer-down";
  async function revokeWhileDown() {
    const res = await fetch(new URL("/_portcullis/revocations", base), {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ jti: downJti }),
    });
    await res.arrayBuffer();
    writeWhileDown = res.status;
    if (res.status !== 503) wrong.push(`writer-down admin revocation: got ${res.status}, want 503`);
  }

  async function one(n) {
    if (!BASELINE && writeWhileDown === undefined && PHASES[phaseIndex].writer === "down" && Date.now() - phaseStart > GRACE_MS) {
      writeWhileDown = 0;
      await revokeWhileDown();
    }
    const cls = pickClass(n);
    const id = String(n);
    origin.byId.set(id, cls);
    const phase = PHASES[phaseIndex];
    const inGrace = Date.now() - phaseStart < GRACE_MS;
    const sentAt = Date.now();
    let status;
    let detail = "";
    if (cls === "slow-body") {
      const r = await slowUpload(base, id);
      status = r.status;
      detail = r.error ?? "";
    } else {
      const { method, path, headers } = requestFor(cls, n);
      try {
        const res = await fetch(new URL(path, base), { method, headers, signal: AbortSignal.timeout(15000) });
        const body = await res.text();
        status = res.status;
        if (status === 200 && res.headers.get("x-origin") !== "yes") detail = "200 not from origin";
        if (status >= 400) {
          try {
            detail = JSON.parse(body).type ?? "";
          } catch {
            detail = `non-problem body: ${body.slice(0, 60)}`;
          }
        }
      } catch (e) {
        status = 0;
        detail = e.cause?.code ?? e.name;
      }
    }
    // A phase may have changed while the request was in flight: accept the expectation of
    // the phase it started in, the one it ended in, and (in grace) the one before.
    const endPhase = PHASES[phaseIndex];
    const ok = new Set([...expected(cls, phase), ...expected(cls, endPhase)]);
    if (inGrace || Date.now() - sentAt > 1000) for (const s of expected(cls, previous)) ok.add(s);
    byClass[cls] = (byClass[cls] ?? 0) + 1;
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    const ph = (byPhase[phase.name] ??= {});
    ph[status] = (ph[status] ?? 0) + 1;
    if (BASELINE) return;
    if (!ok.has(status)) wrong.push(`${phase.name} ${cls} #${n}: got ${status} ${detail}, want ${[...ok].join("|")}`);
    if (status >= 500 && !faulty(phase) && !faulty(endPhase) && !inGrace) gate5xxOutsideFaults++;
  }

  // A phase where a client may see a 5xx: the origin failing, or no revocation list.
  const faulty = (p) => Boolean(p.origin || (p.kv === "error" && p.writer === "down"));

  async function loop() {
    while (Date.now() < end) {
      const i = phaseAt(Date.now());
      if (i !== phaseIndex) await enterPhase(i);
      await one(++sent);
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  clearInterval(rssTimer);
  clearInterval(gcTimer);
  sampleRss();
  if (HEAP_EVERY_MS) await sampleAfterGc();
  if (origin.mode === "down") await startOriginServer(origin.port);

  // The admin API still answers and the revocation is still listed afterwards.
  if (!BASELINE) {
    const list = await fetch(new URL("/_portcullis/revocations", base), { headers: { authorization: `Bearer ${adminToken}` } });
    const listed = await list.text();
    if (list.status !== 200 || !listed.includes(revokedJti)) wrong.push(`revocation list after soak: ${list.status}`);
    if (listed.includes(downJti)) wrong.push("a revocation refused with 503 while the writer was down is listed");
    // Each fault phase must have taken the path it tests, or its expectations proved nothing.
    const ev = (phase, name) => eventsByPhase[phase]?.[name] ?? 0;
    const got = (phase, status) => byPhase[phase]?.[status] ?? 0;
    if (writeWhileDown === undefined) wrong.push("the writer-down phase was too short to try a revocation");
    if (!ev("writer-down", "revocation_writer_unreachable")) wrong.push("writer-down: no revocation_writer_unreachable logged");
    if (!got("writer-kv-down", 503) || !ev("writer-kv-down", "snapshot_unavailable")) wrong.push("writer-kv-down: no 503 for want of a list");
    if (!ev("writer-kv-down", "revocation_fail_open") || !origin.withoutList) wrong.push("writer-kv-down: the fail_open route never forwarded without a list");
  }

  await mf.dispose();
  await originDown();

  const secs = (Date.now() - start) / 1000;
  const kib = (k) => `${(k / 1024).toFixed(1)} MiB`;
  console.log(`\nsoak: ${sent} requests in ${secs.toFixed(1)} s (${(sent / secs).toFixed(0)} req/s), concurrency ${CONCURRENCY}`);
  console.log("by class: ", JSON.stringify(byClass));
  console.log("by status:", JSON.stringify(byStatus));
  for (const [name, s] of Object.entries(byPhase)) console.log(`  ${name.padEnd(13)} ${JSON.stringify(s)}`);
  console.log(`KV operations ${kvFault.ops} (${kvFault.failed} failed by injection); writer requests ${writerFault.calls} (${writerFault.failed} failed by injection)`);
  if (!BASELINE) console.log(`admin revocation while the writer was down: ${writeWhileDown}`);
  console.log(`origin: ${origin.forwarded} requests received, ${origin.violations.length} without a valid assertion, from a non-valid class, or without a list off the fail_open route; ${origin.withoutList} fail_open forwards without a list`);
  for (const [name, e] of Object.entries(eventsByPhase)) console.log(`  events ${name.padEnd(13)} ${JSON.stringify(e)}`);
  console.log(`worker log lines by level: ${JSON.stringify(workerLogs)}`);
  const warm = rss.slice(Math.floor(rss.length / 4));
  console.log(`workerd RSS after warm-up (last 3/4 of samples): min ${kib(Math.min(...warm))}, max ${kib(Math.max(...warm))}`);
  console.log(`workerd RSS series (MiB, every 2 s): ${rss.map((k) => (k / 1024).toFixed(0)).join(" ")}`);
  const mib = (b) => (b / 1048576).toFixed(1);
  if (HEAP_EVERY_MS) console.log(`after a forced full GC (s: JS heap MiB / ArrayBuffer backing stores MiB / RSS MiB): ${afterGc.map(([t, h, b, r]) => `${t}: ${mib(h)}/${mib(b)}/${mib(r * 1024)}`).join(", ")}`);
  console.log(`workerd RSS (${pids.length} process${pids.length === 1 ? "" : "es"}, ${rss.length} samples): first ${kib(rss[0])}, last ${kib(rss.at(-1))}, max ${kib(Math.max(...rss))}`);
  console.log(`wrong decisions: ${wrong.length}; gate 5xx outside fault phases: ${gate5xxOutsideFaults}`);
  for (const w of wrong.slice(0, 20)) console.log(`  WRONG ${w}`);
  if (!BASELINE) for (const v of origin.violations.slice(0, 20)) console.log(`  ORIGIN ${v}`);
  if (BASELINE) console.log("baseline: a JavaScript pass-through, not the gate; decisions and assertions not checked");
  const failed = BASELINE ? !pids.length : wrong.length > 0 || origin.violations.length > 0 || gate5xxOutsideFaults > 0 || !pids.length;
  console.log(failed ? "soak: FAILED" : "soak: ok");
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
