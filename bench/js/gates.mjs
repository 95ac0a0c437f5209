// Start the throughput contenders, each in its own workerd (one Miniflare each), in front
// of one origin. Shared by the throughput and freshness runs.
import { readFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { compatibilityDate, objectsWorker, viaObjects } from "../../tests/e2e/harness.mjs";
import { AUDIENCE, ISSUER, JWKS, MAX_TTL } from "./common.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = join(here, "..", "..");
const RULES = [{ type: "ESModule", include: ["**/*.js"] }, { type: "CompiledWasm", include: ["**/*.wasm"] }];
export const ORIGIN_JWK = { kty: "oct", alg: "HS256", kid: "origin-1", k: Buffer.from("portcullis-bench-origin-key-32-by").toString("base64url") };

/** The origin (bench/js/origin.mjs) in a child process: { url, close }. */
export async function startOrigin() {
  const child = spawn(process.execPath, [join(here, "origin.mjs")], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise((resolve, reject) => {
    child.stdout.once("data", (d) => resolve(String(d).trim()));
    child.once("exit", (code) => reject(new Error(`origin exited ${code}`)));
  });
  return { url, close: () => new Promise((r) => { child.once("exit", r); child.kill("SIGTERM"); }) };
}

/** fetch, retried once: undici may reuse a keep-alive socket workerd has just closed. */
export async function fetchRetry(url, init) {
  try {
    return await fetch(url, init);
  } catch {
    return fetch(url, init);
  }
}

/** Miniflare options for one contender. */
export function contenderOptions(name, originUrl, { refreshS = 10 } = {}) {
  const common = {
    // Drain workerd's stdout/stderr (the gate's audit lines): logging stays on, as deployed,
    // but the lines don't mix with the bench's JSON.
    handleRuntimeStdio: (out, err) => { out.resume(); err.resume(); },
    modules: true, modulesRules: RULES, compatibilityDate: compatibilityDate(), host: "127.0.0.1", port: 0, kvNamespaces: ["REVOCATIONS"] };
  if (name === "portcullis" || name === "portcullis-base" || name === "portcullis-denials-only" || name.startsWith("v-")) {
    // portcullis-base: another build of the gate (PORTCULLIS_BASE_BUILD, a copy of an earlier
    // build/) to A/B a change in one run; v-<name>: a build from PORTCULLIS_VARIANTS
    // ("name=dir,..."); portcullis-denials-only: this build, allowed requests not logged.
    const variant = (process.env.PORTCULLIS_VARIANTS ?? "").split(",").map((v) => v.split("=")).find(([v]) => `v-${v}` === name);
    const dir = name === "portcullis-base" ? process.env.PORTCULLIS_BASE_BUILD : variant ? variant[1] : join(ROOT, "build");
    if (!dir) throw new Error("portcullis-base needs PORTCULLIS_BASE_BUILD (a copy of an earlier build/)");
    // Miniflare's options shared by every worker, and the gate worker's own.
    const { handleRuntimeStdio, host, port, ...rest } = common;
    const shared = { handleRuntimeStdio, host, port, unsafeTriggerHandlers: true };
    const gate = {
      ...rest,
      scriptPath: join(dir, "index.js"),
      // Module names relative to the build, wherever it is (workerd refuses "../" names).
      modulesRoot: dir,
      bindings: {
        PORTCULLIS_KEYS: JSON.stringify(JWKS),
        PORTCULLIS_ORIGIN_KEY: JSON.stringify(ORIGIN_JWK),
        ORIGIN_URL: originUrl,
        PORTCULLIS_AUDIENCE: AUDIENCE,
        PORTCULLIS_ISSUER: ISSUER,
        PORTCULLIS_MAX_TTL_S: String(MAX_TTL),
        PORTCULLIS_REVOCATION_REFRESH_S: String(refreshS),
        PORTCULLIS_ROUTES: JSON.stringify([{ match: "GET /health", public: true }, { match: "GET /orders/*", scopes: ["orders:read"] }]),
        ...(name === "portcullis-denials-only" ? { PORTCULLIS_AUDIT_ALLOWED_ONE_IN: "0" } : {}),
      },
    };
    // A build from before the split exports the revocation writer itself: one worker, as its
    // wrangler.toml bound it. Otherwise the gate reaches it in the objects script
    // (build-objects/, wrangler.objects.toml), a second worker with the same settings.
    if (readFileSync(join(dir, "index.js"), "utf8").includes("RevocationWriter")) {
      return { ...shared, ...gate, durableObjects: { REVOCATION_WRITER: { className: "RevocationWriter", useSQLite: true } } };
    }
    const objects = objectsWorker({ bindings: gate.bindings });
    return {
      ...shared,
      workers: [
        { name: "portcullis", ...gate, durableObjects: viaObjects({ REVOCATION_WRITER: { className: "RevocationWriter" } }) },
        objects,
      ],
    };
  }
  if (name === "floor" || name === "floor-log") {
    // The floor (bench/floor, built by bench/floor/build.sh): a workers-rs Worker with the
    // gate's glue that only forwards; floor-log also writes the audit line.
    return {
      ...common,
      scriptPath: join(ROOT, "bench", "out", "floor", "index.js"),
      bindings: { ORIGIN_URL: originUrl, ...(name === "floor-log" ? { FLOOR_LOG: "1" } : {}) },
    };
  }
  return {
    ...common,
    scriptPath: join(here, "..", "out", "gate-workers.js"),
    bindings: { MODE: name, ORIGIN_URL: originUrl, JWKS: JSON.stringify(JWKS), ISSUER, AUDIENCE, MAX_TTL: String(MAX_TTL) },
  };
}

/**
 * Start one contender and time it: from `new Miniflare` to the first answered request
 * (`GET /orders/1` with `token`, which must be 200). Returns { mf, url, startup_ms, ready_ms }.
 */
export async function startContender(name, originUrl, token, opts) {
  const t0 = performance.now();
  const mf = new Miniflare(contenderOptions(name, originUrl, opts));
  const url = (await mf.ready).href.replace(/\/$/, "");
  // Ready: workerd spawned and listening, the module loaded (and its wasm compiled). The rest,
  // to the first answer, is the first request: instantiation work left lazy and first-request
  // init (settings, key ring, routes, the first revocation snapshot) plus one origin fetch.
  const ready_ms = performance.now() - t0;
  const res = await fetchRetry(`${url}/orders/1`, { headers: { authorization: `Bearer ${token}` } });
  const body = await res.text();
  const startup_ms = performance.now() - t0;
  if (res.status !== 200) {
    await mf.dispose();
    throw new Error(`${name}: first request answered ${res.status}: ${body.slice(0, 300)}`);
  }
  return { mf, url, startup_ms, ready_ms };
}
