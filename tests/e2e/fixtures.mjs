// Fixtures for the gate's end-to-end tests: keys, tokens (jose and PyJWT), the standard
// bindings, a raw HTTP client, and the assertion checker.
//
//   const gate = await startGate({ bindings: { PORTCULLIS_COOKIE: "pc_token" } });
//   const token = await mint({ scope: "orders:read" });
//   const res = await rawRequest(gate.worker.url, { path: "//orders/1", headers: bearer(token) });
//   gate.origin.requests.at(-1).url;   // what the origin received
//   await gate.stop();
import { createHash, randomBytes } from "node:crypto";
import { spawn, spawnSync } from "node:child_process";
import { request } from "node:http";
import { join } from "node:path";
import { SignJWT } from "jose";
import { ROOT, startOrigin, startWorker } from "./harness.mjs";

export const AUDIENCE = "api";
export const REALM = "portcullis";

const b64url = (bytes) => Buffer.from(bytes).toString("base64url");

/** A fresh HS256 JWK with 32 random bytes: { kid, secret (Buffer), jwk }. */
export function hmacKey(kid, bytes = 32) {
  const secret = randomBytes(bytes);
  return { kid, secret, jwk: { kty: "oct", kid, alg: "HS256", use: "sig", k: b64url(secret) } };
}

/** Two verification keys (rotation: both verify) and the origin's assertion key. */
export const KEYS = {
  current: hmacKey("k-2025"),
  next: hmacKey("k-2026"),
  origin: hmacKey("origin-1"),
};

/**
 * The route table every suite uses: a public health check; orders readable with a scope and
 * preflight allowed; orders writable with another scope; an admin area without preflight;
 * an echo area any valid token may use with any method.
 */
export const ROUTES = [
  { match: "GET,HEAD /health", public: true },
  { match: "GET /orders/*", scopes: ["orders:read"], allow_preflight: true },
  { match: "POST,PUT /orders/**", scopes: ["orders:write"] },
  { match: "GET /reports/*", scopes: ["reports:read"] },
  { match: "* /echo/**", scopes: [] },
];

/** Bindings for a working gate in front of `originUrl`; `overrides` replace or add. */
export function standardBindings(originUrl, overrides = {}) {
  return {
    PORTCULLIS_KEYS: JSON.stringify({ keys: [KEYS.current.jwk, KEYS.next.jwk] }),
    PORTCULLIS_ORIGIN_KEY: JSON.stringify(KEYS.origin.jwk),
    PORTCULLIS_ROUTES: JSON.stringify(ROUTES),
    PORTCULLIS_AUDIENCE: AUDIENCE,
    ORIGIN_URL: originUrl,
    ...overrides,
  };
}

/** The standard bindings for a gate that mints (grants, API keys): the current key signs. */
export function mintingBindings(originUrl, overrides = {}) {
  const signer = { ...KEYS.current.jwk, key_ops: ["sign", "verify"] };
  const verifier = { ...KEYS.next.jwk, key_ops: ["verify"] };
  return standardBindings(originUrl, { PORTCULLIS_KEYS: JSON.stringify({ keys: [signer, verifier] }), ...overrides });
}

/**
 * A recording origin and the built Worker in front of it, with the standard bindings.
 * `logs()` returns everything the Worker wrote to stdout and stderr so far (audit lines);
 * `during(fn)` runs `fn` and returns `{ result, received }`, the origin requests it caused.
 */
export async function startGate({ bindings = {} } = {}) {
  const origin = await startOrigin();
  const output = [];
  const handleRuntimeStdio = (stdout, stderr) => {
    for (const stream of [stdout, stderr]) stream.on("data", (c) => output.push(c.toString()));
  };
  try {
    const worker = await startWorker({ bindings: standardBindings(origin.url, bindings), options: { handleRuntimeStdio } });
    const logs = () => output.join("");
    // Runs `fn` and returns its result and the origin requests it caused.
    const during = async (fn) => {
      const start = origin.requests.length;
      const result = await fn();
      return { result, received: origin.requests.slice(start) };
    };
    return { origin, worker, logs, during, stop: async () => Promise.all([worker.dispose(), origin.close()]) };
  } catch (e) {
    await origin.close();
    throw e;
  }
}

export const nowS = () => Math.floor(Date.now() / 1000);

/** Claims of a token the standard gate accepts, with `overrides` merged in. */
export function claims(overrides = {}) {
  const now = nowS();
  return { sub: "alice", aud: AUDIENCE, iat: now, exp: now + 300, jti: `jti-${randomBytes(6).toString("hex")}`, ...overrides };
}

/** Every token the fixtures minted, so a test can look for any of them in logs. */
export const MINTED = new Set();

/** An HS256 token signed by jose with `key` (default: the current key), kid from the key. */
export async function mint(overrides = {}, { key = KEYS.current, kid = key.kid } = {}) {
  const header = { alg: "HS256", typ: "JWT" };
  if (kid !== undefined) header.kid = kid;
  const token = await new SignJWT(claims(overrides)).setProtectedHeader(header).sign(key.secret);
  MINTED.add(token);
  return token;
}

/** An unsecured token (`alg: none`, empty signature), which no gate may accept. */
export function mintUnsecured(overrides = {}, kid = KEYS.current.kid) {
  const part = (o) => b64url(JSON.stringify(o));
  const token = `${part({ alg: "none", kid })}.${part(claims(overrides))}.`;
  MINTED.add(token);
  return token;
}

/** `{ authorization: "Bearer <token>" }`. */
export const bearer = (token) => ({ authorization: `Bearer ${token}` });

/**
 * One HTTP/1.1 request with the request target sent exactly as given (no client-side URL
 * normalization). Resolves to { status, headers, body (Buffer), text }; rejects after
 * `timeoutMs` without an answer, so a wedged Worker fails the test instead of hanging it.
 */
export function rawRequest(baseUrl, { method = "GET", path = "/", headers = {}, body, timeoutMs = 20_000 } = {}) {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path, headers, agent: false }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const bytes = Buffer.concat(chunks);
        resolve({ status: res.statusCode, headers: res.headers, body: bytes, text: bytes.toString("utf8") });
      });
      res.on("error", reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer to ${method} ${path} in ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

export const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

// ---- Python / PyJWT --------------------------------------------------------------------

function python(args, input, timeout = 30_000) {
  return spawnSync("python3", args, { input, encoding: "utf8", timeout });
}

/** python3 without blocking the event loop (the Worker and origin keep serving). */
function pythonAsync(args, input) {
  return new Promise((resolve, reject) => {
    const child = spawn("python3", args, { stdio: ["pipe", "pipe", "pipe"], timeout: 30_000 });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** Makes sure PyJWT >= 2.8 is importable, installing it with pip if not. */
export function ensurePyJWT() {
  const probe = "import jwt,sys; v=tuple(int(x) for x in jwt.__version__.split('.')[:2]); sys.exit(0 if v>=(2,8) else 1)";
  if (python(["-c", probe]).status === 0) return;
  const pip = python(["-m", "pip", "install", "-q", "PyJWT>=2.8"], undefined, 180_000);
  if (pip.status !== 0 || python(["-c", probe]).status !== 0) {
    throw new Error(`PyJWT >= 2.8 is needed and could not be installed: ${pip.stderr}`);
  }
}

/** A token minted by PyJWT (`jwt.encode`, HS256) with `key`; the secret goes over stdin. */
export async function mintWithPyJWT(claimSet, key = KEYS.current) {
  const script = [
    "import json, sys, base64, jwt",
    "d = json.load(sys.stdin)",
    "secret = base64.urlsafe_b64decode(d['k'] + '=' * (-len(d['k']) % 4))",
    "print(jwt.encode(d['claims'], secret, algorithm='HS256', headers={'kid': d['kid']}))",
  ].join("\n");
  const out = await pythonAsync(["-c", script], JSON.stringify({ k: key.jwk.k, kid: key.kid, claims: claimSet }));
  if (out.status !== 0) throw new Error(`PyJWT mint failed: ${out.stderr}`);
  const token = out.stdout.trim();
  MINTED.add(token);
  return token;
}

/**
 * Runs tests/e2e/check_assertion.py: PyJWT verifies `assertion` with the origin key as the
 * origin example (examples/python/origin.py) does and checks it binds `expect` ({ htm, htu, sub, scope, jti }; a claim
 * left undefined or null must be absent). Resolves to { ok, out }.
 */
export async function checkAssertion(assertion, expect, jwk = KEYS.origin.jwk) {
  const args = [join(ROOT, "tests", "e2e", "check_assertion.py")];
  const want = Object.fromEntries(["htm", "htu", "sub", "scope", "jti"].map((k) => [k, expect[k] ?? null]));
  const out = await pythonAsync(args, JSON.stringify({ jwk, assertion, expect: want }));
  return { ok: out.status === 0, out: `${out.stdout}${out.stderr}`.trim() };
}
