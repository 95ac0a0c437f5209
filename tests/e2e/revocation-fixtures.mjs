// Fixtures for the revocation tests and scripts/freshness.mjs: a configured gate (the REAL
// build in workerd via Miniflare) in front of a recording origin, with its KV namespace
// reachable three ways:
//   - `kv`: the raw namespace, for writes "another isolate" makes (entry keys + snapshot);
//   - the gate's own REVOCATIONS binding, which is either that namespace seen through a
//     counting wrapper (every get/put/list/delete the gate makes is counted here in Node,
//     independently of the gate's own /stats), or a wrapper whose every call fails.
//
//   const gate = await startGate({ refreshS: 1 });
//   const token = await gate.mint({ sub: "alice", jti: "t1" });
//   await gate.get("/orders/1", token);             // 200 via the origin
//   await gate.admin("POST", "/revocations", { jti: "t1" });
//   gate.kvCalls;                                   // { get, put, list, delete, getWithMetadata }
//   await gate.dispose();
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { SignJWT } from "jose";
import { FAIL, OK, kvFaultWorker, objectFaultWorker } from "./faults.mjs";
import { GRANT_OBJECTS, ROOT, WRITER_BINDING, WRITER_CLASS, startOrigin, startWorker } from "./harness.mjs";

const run = promisify(execFile);

/**
 * The `portcullis` CLI: PORTCULLIS_BIN, or the debug build (built here first). Returns
 * `(args, env) => Promise<{ code, stdout, stderr }>`; the child sees only PATH and `env`.
 */
export async function portcullisCli() {
  let bin = process.env.PORTCULLIS_BIN;
  if (!bin) {
    bin = join(process.env.CARGO_TARGET_DIR ?? join(ROOT, "target"), "debug", "portcullis");
    await run("cargo", ["build", "--quiet", "--bin", "portcullis"], { cwd: ROOT });
  }
  if (!existsSync(bin)) throw new Error(`${bin} missing`);
  return (args, env = {}) =>
    run(bin, args, { env: { PATH: process.env.PATH, ...env } }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (e) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
}

const b64url = (buf) => Buffer.from(buf).toString("base64url");

/** A fresh HS256 key: { kid, secret (bytes), jwk }. */
export function hsKey(kid, ops) {
  const secret = randomBytes(32);
  const jwk = { kty: "oct", alg: "HS256", kid, k: b64url(secret) };
  if (ops) jwk.key_ops = ops;
  return { kid, secret, jwk };
}

/** NumericDate now. */
export const nowS = () => Math.floor(Date.now() / 1000);

export const ADMIN_SCOPE = "portcullis:admin";

/** The routes every gate here runs: a public route, a gated route, and a fail-open one. */
export const ROUTES = [
  { match: "GET /health", public: true },
  { match: "GET /orders/*", scopes: ["orders:read"] },
  { match: "GET /open/*", scopes: ["orders:read"], fail_open: true },
];

/**
 * Starts a recording origin and a gate in front of it.
 * - `refreshS`, `maxAgeS`: PORTCULLIS_REVOCATION_REFRESH_S / _MAX_AGE_S.
 * - `kvBroken`: every KV call the gate makes fails (the raw `kv` still works); or, while
 *   running, set the returned `kvFault.broken`.
 * - `writer.broken`: set while running, every request to the single writer fails.
 * - `grants`: bind the grant objects and the API key store (Durable Objects on SQLite), and
 *   give the returned object `openGrant(sub)`, `createApiKey(sub)` and `tokenRequest(form)`.
 * - `options`: more Miniflare options for the gate (e.g. `ratelimits`).
 * Returns { worker, origin, kv, kvCalls, writerCalls, writer, keys, mint, adminToken, get,
 * getDirect, events, eventsArrived, admin, recorded, cron, dispose }.
 */
export async function startGate({ refreshS = 1, maxAgeS = 300, kvBroken = false, writer = {}, extra = {}, grants = false, options = {} } = {}) {
  const origin = await startOrigin();
  const k1 = hsKey("k1", ["sign", "verify"]);
  const k2 = hsKey("k2", ["verify"]);
  const originKey = hsKey("origin");
  const kvCalls = { get: 0, getWithMetadata: 0, put: 0, list: 0, delete: 0 };
  // `writer.broken` may be flipped while the gate runs: the writer becomes unreachable.
  const writerCalls = { count: 0 };
  const kvFault = { broken: kvBroken };
  const namespace = `rev-${randomBytes(6).toString("hex")}`;
  let worker;
  try {
    worker = await startWorker({
      captureLogs: true,
      bindings: {
        PORTCULLIS_KEYS: JSON.stringify({ keys: [k1.jwk, k2.jwk] }),
        PORTCULLIS_ORIGIN_KEY: JSON.stringify(originKey.jwk),
        PORTCULLIS_ROUTES: JSON.stringify(ROUTES),
        ORIGIN_URL: origin.url,
        PORTCULLIS_REVOCATION_REFRESH_S: String(refreshS),
        PORTCULLIS_REVOCATION_MAX_AGE_S: String(maxAgeS),
        ...extra,
      },
      options: {
        // The harness's plain in-memory REVOCATIONS is replaced by the wrapper; RAW_KV is the
        // same namespace (same id), for the test's own reads and writes.
        kvNamespaces: { RAW_KV: namespace },
        // The class is the objects script's (the harness starts it, with the same wrapped
        // REVOCATIONS); the gate reaches it only through the counting wrapper.
        durableObjects: {
          [WRITER_BINDING]: null,
          ...(grants ? GRANT_OBJECTS : {}),
        },
        wrappedBindings: { REVOCATIONS: "kv-wrapper", [WRITER_BINDING]: "writer-wrapper" },
        ...options,
      },
      extraWorkers: [
        // The gate's REVOCATIONS and writer bindings seen through counting fault wrappers
        // (faults.mjs): each call is counted here before it is made, and fails while broken.
        kvFaultWorker({
          name: "kv-wrapper",
          namespace,
          control(op) {
            kvCalls[op] = (kvCalls[op] ?? 0) + 1;
            return kvFault.broken ? FAIL : OK;
          },
        }),
        objectFaultWorker({
          name: "writer-wrapper",
          className: WRITER_CLASS,
          control() {
            writerCalls.count += 1;
            return writer.broken ? FAIL : OK;
          },
        }),
      ],
    });
  } catch (e) {
    await origin.close();
    throw e;
  }
  const kv = await worker.mf.getKVNamespace("RAW_KV");

  /** Mints a token with jose; `key` picks the signing key (default k1). */
  async function mint({ sub = "alice", scope = "orders:read", jti, kid, key = k1, iat, exp, ttl = 600 } = {}) {
    const issued = iat ?? nowS();
    const claims = { sub, scope };
    if (jti !== undefined) claims.jti = jti;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256", kid: kid ?? key.kid })
      .setIssuedAt(issued)
      .setExpirationTime(exp ?? issued + ttl)
      .sign(key.secret);
  }

  const adminToken = await mint({ sub: "root", scope: ADMIN_SCOPE, jti: "admin-1", ttl: 3000 });

  const get = (path, token) =>
    worker.fetch(path, token ? { headers: { authorization: `Bearer ${token}` } } : {});

  /** Like `get`, but over a real socket to workerd (faster than dispatchFetch for loops). */
  const getDirect = (path, token) =>
    fetch(new URL(path, worker.url), token ? { headers: { authorization: `Bearer ${token}` } } : {});

  /** Parsed JSON log lines the Worker wrote whose `event` is `name`. */
  const events = (name) =>
    worker.logs.flatMap((line) => {
      try {
        const parsed = JSON.parse(line.slice(line.indexOf("{")));
        return parsed.event === name ? [parsed] : [];
      } catch {
        return [];
      }
    });

  /**
   * The records of `events(name)` that match `pred`, waiting for the first to arrive: workerd's
   * stdout reaches the test after the response that caused the line.
   */
  const eventsArrived = async (name, pred, what) => {
    let found = [];
    await waitFor(() => (found = events(name).filter(pred)).length > 0, { timeoutMs: 3000, what });
    return found;
  };

  /** An admin API call; `body` objects are sent as JSON, strings as they are. */
  const admin = (method, endpoint, body, { token = adminToken, headers = {} } = {}) => {
    const h = { ...headers };
    if (token) h.authorization = `Bearer ${token}`;
    let payload;
    if (body !== undefined) {
      payload = typeof body === "string" ? body : JSON.stringify(body);
      h["content-type"] ??= "application/json";
    }
    return worker.fetch(`/_portcullis${endpoint}`, { method, headers: h, body: payload });
  };

  /** What the single writer holds, as `kind:target` strings sorted, via the admin listing. */
  const recorded = async () => {
    const res = await admin("GET", "/revocations");
    if (res.status !== 200) throw new Error(`listing: ${res.status}`);
    const { revocations } = await res.json();
    return revocations.map((e) => `${e.kind}:${e.target}`).sort();
  };

  /** Fires the Cron Trigger (the writer's tick) and waits for it to finish. */
  const cron = async () => {
    const res = await worker.fetch("/cdn-cgi/mf/scheduled");
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`cron: ${res.status}`);
  };

  /** Opens a grant (`grants: true`): the RFC 6749 answer, with its refresh token. */
  const openGrant = async (sub, scope = "orders:read") => {
    const issuer = await mint({ sub: "login-app", scope: "portcullis:issue", ttl: 3000 });
    const res = await admin("POST", "/grants", { sub, scope }, { token: issuer });
    if (res.status !== 200) throw new Error(`open grant: ${res.status} ${await res.text()}`);
    return res.json();
  };

  /** Creates an API key (`grants: true`): `{ id, key, ... }`. */
  const createApiKey = async (sub, scope = "orders:read") => {
    const res = await admin("POST", "/api-keys", { sub, scope });
    if (res.status !== 201) throw new Error(`create API key: ${res.status} ${await res.text()}`);
    return res.json();
  };

  /** `POST /_portcullis/token` with a form; returns { status, body }. */
  const tokenRequest = async (form, headers = {}) => {
    const res = await worker.fetch("/_portcullis/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(form).toString(),
    });
    return { status: res.status, headers: res.headers, body: await res.json() };
  };

  return {
    worker,
    origin,
    kv,
    kvCalls,
    kvFault,
    writerCalls,
    writer,
    keys: { k1, k2, originKey },
    mint,
    adminToken,
    openGrant,
    createApiKey,
    tokenRequest,
    get,
    getDirect,
    events,
    eventsArrived,
    admin,
    recorded,
    cron,
    dispose: async () => {
      await worker.dispose();
      await origin.close();
    },
  };
}

/**
 * Writes a revocation entry the way another isolate's admin write lands in KV: the entry key
 * with the entry as metadata (crates/portcullis/src/revocation/kv.rs: `rev/jti/<b64url>`), no snapshot. Fire the
 * cron afterwards to publish it.
 */
export async function putJtiEntry(kv, jti, { at = nowS(), exp = nowS() + 3600, expiration } = {}) {
  const entry = { v: 1, kind: "jti", jti, at, exp };
  const key = `rev/jti/${b64url(Buffer.from(jti, "utf8"))}`;
  const options = { metadata: entry };
  if (expiration !== undefined) options.expiration = expiration;
  await kv.put(key, JSON.stringify(entry), options);
  return key;
}

/** Polls `check` every `everyMs` until it returns truthy; returns the elapsed ms, or throws. */
export async function waitFor(check, { timeoutMs, everyMs = 50, what = "condition" }) {
  const t0 = performance.now();
  for (;;) {
    if (await check()) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Reads a response's problem document, asserting its content type. */
export async function problemOf(res) {
  const ct = res.headers.get("content-type");
  if (ct !== "application/problem+json") throw new Error(`expected a problem, got ${res.status} ${ct}`);
  return res.json();
}
