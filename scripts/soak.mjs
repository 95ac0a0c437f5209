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
import { Miniflare } from "miniflare";
import { workerdPids } from "../bench/js/load.mjs";
import { kvFaultWorker, objectFaultWorker } from "../tests/e2e/faults.mjs";
import { WRITER_BINDING, WRITER_CLASS, compatibilityDate, gateWorker, objectsWorker } from "../tests/e2e/harness.mjs";
import { KEYS, ORIGIN_KEY, token } from "./soak/credentials.mjs";
import { kvControl, kvFault, writerControl, writerFault } from "./soak/faults.mjs";
import { HEAP_EVERY_MS, heapAfterGc, rssKiB } from "./soak/memory.mjs";
import { origin, originDown, startOriginServer } from "./soak/origin.mjs";
import { FEED_TTL_S, GRACE_MS, MAX_AGE_S, ORIGIN_TIMEOUT_MS, PHASES, REFRESH_S, expected, pickClass, requestFor, slowUpload } from "./soak/traffic.mjs";

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
// The compact list's manifest key (crates/portcullis/src/revocation/compact/chunks.rs).
const MANIFEST_KEY = "revocations/compact/manifest";

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
  const adminToken = token("portcullis:admin");
  const revokedToken = token("orders:read");
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

  const pids = [...workerdPids()];
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
      const { method, path, headers } = requestFor(cls, n, revokedToken);
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
