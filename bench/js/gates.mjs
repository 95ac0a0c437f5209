// Start the throughput contenders, each in its own workerd (one Miniflare each), in front
// of one origin. Shared by the throughput and freshness runs.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { buildModules, compatibilityDate, objectsWorker, viaObjects } from "../../tests/e2e/harness.mjs";
import { AUDIENCE, ISSUER, JWKS, MAX_TTL } from "./common.mjs";
import { threadsCpuMs, workerdPids } from "./load.mjs";

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

/** The gate's settings (bindings) in front of `originUrl`, for the gate and its objects. */
function gateSettings(originUrl, refreshS, extra = {}) {
  return {
    PORTCULLIS_KEYS: JSON.stringify(JWKS),
    PORTCULLIS_ORIGIN_KEY: JSON.stringify(ORIGIN_JWK),
    ORIGIN_URL: originUrl,
    PORTCULLIS_AUDIENCE: AUDIENCE,
    PORTCULLIS_ISSUER: ISSUER,
    PORTCULLIS_MAX_TTL_S: String(MAX_TTL),
    PORTCULLIS_REVOCATION_REFRESH_S: String(refreshS),
    PORTCULLIS_ROUTES: JSON.stringify([{ match: "GET /health", public: true }, { match: "GET /orders/*", scopes: ["orders:read"] }]),
    ...extra,
  };
}

/**
 * The objects script (build-objects/) alone in its own workerd, as a deployment runs it: in
 * its own isolates, already running when a gate isolate starts (the writer serves every
 * location). Its writer is woken by one feed request before this returns. A gate started
 * with `{ objects }` (the portcullis-deployed contender) reaches it through Miniflare's dev
 * registry (a file per worker in `registry`; calls go over workerd's debug port, across
 * processes) and shares its KV store on disk (`persist`), as the two scripts share the
 * REVOCATIONS namespace. Returns { registry, persist, wake_ms, dispose }.
 */
export async function startObjects(originUrl, { refreshS = 10 } = {}) {
  const registry = mkdtempSync(join(tmpdir(), "portcullis-registry-"));
  const persist = mkdtempSync(join(tmpdir(), "portcullis-kv-"));
  const mf = new Miniflare({
    handleRuntimeStdio: (out, err) => { out.resume(); err.resume(); },
    host: "127.0.0.1", port: 0, unsafeDevRegistryPath: registry, kvPersist: persist,
    ...objectsWorker({ bindings: gateSettings(originUrl, refreshS) }),
  });
  const t0 = performance.now();
  await mf.ready;
  const namespace = await mf.getDurableObjectNamespace("REVOCATION_WRITER");
  const writer = namespace.get(namespace.idFromName("revocations"));
  const res = await writer.fetch("https://writer/feed");
  const body = await res.text();
  if (res.status !== 200) throw new Error(`objects: the writer's feed answered ${res.status}: ${body.slice(0, 200)}`);
  return {
    registry, persist, wake_ms: performance.now() - t0,
    dispose: async () => {
      await mf.dispose();
      rmSync(registry, { recursive: true, force: true });
      rmSync(persist, { recursive: true, force: true });
    },
  };
}

/** The contenders whose gate starts alone, the objects script already running elsewhere. */
export const isDeployed = (name) => name === "portcullis-deployed" || name === "portcullis-base-deployed" || name === "first-load-deployed" || name === "floor-first-load-deployed" || name.startsWith("vd-");

/** The directory of build variant `v` (PORTCULLIS_VARIANTS="name=dir,..."), or undefined. */
const variantDir = (v) => (process.env.PORTCULLIS_VARIANTS ?? "").split(",").map((e) => e.split("=")).find(([n]) => n === v)?.[1];

/**
 * The bindings of a burn contender (gate-workers.mjs, MODE burn), or null for any other name:
 * burn-<N> is passthrough-log with N rounds of arithmetic a request; burn-gate-<N>,
 * burn-nostore-<N>, burn-nostoreonly-<N> and burn-copy-<N> the same, forwarding with the
 * gate's subrequest options or parts of them (FETCH_AS).
 */
export function burnBindings(name) {
  const m = /^burn-(?:(gate|nostore|nostoreonly|copy)-)?(\d+)$/.exec(name);
  if (!m) return null;
  return { BURN_ITERS: m[2], FETCH_AS: { gate: "gate", nostore: "no-store", nostoreonly: "no-store-only", copy: "copy" }[m[1]] ?? "" };
}

/**
 * Miniflare options for one contender. portcullis-deployed needs `objects` (startObjects):
 * the gate alone in its workerd, its Durable Object bindings reaching the objects' workerd.
 */
export function contenderOptions(name, originUrl, { refreshS = 10, objects } = {}) {
  const common = {
    // Drain workerd's stdout/stderr (the gate's audit lines): logging stays on, as deployed,
    // but the lines don't mix with the bench's JSON.
    handleRuntimeStdio: (out, err) => { out.resume(); err.resume(); },
    modules: true, modulesRules: RULES, compatibilityDate: compatibilityDate(), host: "127.0.0.1", port: 0, kvNamespaces: ["REVOCATIONS"],
    // PORTCULLIS_BENCH_NO_STRIP=1: subrequests go straight to workerd's network service, not
    // first through the worker Miniflare adds to strip CF-Connecting-IP (a local-only hop;
    // bench/ab run 19d).
    ...(process.env.PORTCULLIS_BENCH_NO_STRIP === "1" ? { stripCfConnectingIp: false } : {}) };
  // The first-load contenders, wired as portcullis-deployed is, each making only the gate's
  // first-load platform calls: a JS pass-through (gate-workers.mjs, MODE first-load) and the
  // floor (bench/floor, feature first-load, built into bench/out/floor-first-load/).
  const firstLoad = {
    "first-load-deployed": { scriptPath: join(here, "..", "out", "gate-workers.js"), bindings: { MODE: "first-load", ORIGIN_URL: originUrl } },
    "floor-first-load-deployed": { scriptPath: join(ROOT, "bench", "out", "floor-first-load", "index.js"), bindings: { ORIGIN_URL: originUrl } },
  }[name];
  if (firstLoad) {
    if (!objects) throw new Error(`${name} needs the objects script running (startObjects)`);
    return {
      ...common, unsafeDevRegistryPath: objects.registry, kvPersist: objects.persist, ...firstLoad,
      durableObjects: viaObjects({ REVOCATION_WRITER: { className: "RevocationWriter" } }),
    };
  }
  if (isDeployed(name)) {
    if (!objects) throw new Error(`${name} needs the objects script running (startObjects)`);
    // portcullis-base-deployed: the build in PORTCULLIS_BASE_BUILD, to A/B a change in one run;
    // vd-<name>: the deployed start of a PORTCULLIS_VARIANTS build.
    const dir = name === "portcullis-base-deployed" ? process.env.PORTCULLIS_BASE_BUILD
      : name.startsWith("vd-") ? variantDir(name.slice(3)) : join(ROOT, "build");
    if (!dir) throw new Error(`${name} needs PORTCULLIS_BASE_BUILD or PORTCULLIS_VARIANTS (a copy of an earlier build/)`);
    const { handleRuntimeStdio, host, port, ...rest } = common;
    return {
      handleRuntimeStdio, host, port,
      unsafeDevRegistryPath: objects.registry, kvPersist: objects.persist,
      name: "portcullis", ...buildModules(join(dir, "index.js")),
      kvNamespaces: rest.kvNamespaces,
      bindings: gateSettings(originUrl, refreshS),
      // No worker of this name here: Miniflare routes the binding through the dev registry.
      durableObjects: viaObjects({ REVOCATION_WRITER: { className: "RevocationWriter" } }),
    };
  }
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
      bindings: gateSettings(originUrl, refreshS, name === "portcullis-denials-only" ? { PORTCULLIS_AUDIT_ALLOWED_ONE_IN: "0" } : {}),
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
  const burn = burnBindings(name);
  return {
    ...common,
    scriptPath: join(here, "..", "out", "gate-workers.js"),
    bindings: { MODE: burn ? "burn" : name, ...burn, ORIGIN_URL: originUrl, JWKS: JSON.stringify(JWKS), ISSUER, AUDIENCE, MAX_TTL: String(MAX_TTL) },
  };
}

/**
 * Start one contender and time it: from `new Miniflare` to the first answered request
 * (`GET /orders/1` with `token`, which must be 200). portcullis-deployed first starts the
 * objects script and wakes its writer (startObjects, not timed), then times the gate alone.
 * Returns { mf, url, startup_ms, ready_ms, ready_cpu_ms, ready_node_cpu_ms, first_request_cpu_ms, dispose }.
 */
export async function startContender(name, originUrl, token, opts = {}) {
  const objects = isDeployed(name) ? await startObjects(originUrl, opts) : null;
  const had = workerdPids();
  const node0 = process.cpuUsage();
  const t0 = performance.now();
  const mf = new Miniflare(contenderOptions(name, originUrl, { ...opts, objects }));
  const dispose = async () => { await mf.dispose(); await objects?.dispose(); };
  const url = (await mf.ready).href.replace(/\/$/, "");
  // Ready: workerd spawned and listening, the module loaded (and its wasm compiled). The rest,
  // to the first answer, is the first request: instantiation work left lazy and first-request
  // init (settings, key ring, routes, the first revocation snapshot) plus one origin fetch.
  const ready_ms = performance.now() - t0;
  // The CPU this contender's own workerd spent (not the objects script's, started before):
  // to ready, and on the first request. Steadier than wall time on a loaded machine.
  const own = [...workerdPids()].filter((p) => !had.has(p));
  const ready_cpu_ms = threadsCpuMs(own);
  // Miniflare's own share of ready, in this Node process (locating the modules, writing
  // workerd's config with the script and wasm in it): a local cost, not the Worker's.
  const node1 = process.cpuUsage(node0);
  const ready_node_cpu_ms = (node1.user + node1.system) / 1000;
  const res = await fetchRetry(`${url}/orders/1`, { headers: { authorization: `Bearer ${token}` } });
  const body = await res.text();
  const startup_ms = performance.now() - t0;
  const first_request_cpu_ms = threadsCpuMs(own) - ready_cpu_ms;
  if (res.status !== 200) {
    await dispose();
    throw new Error(`${name}: first request answered ${res.status}: ${body.slice(0, 300)}`);
  }
  if (name === "floor-first-load-deployed") await checkFloorFirstLoad(name, mf, url, dispose);
  return { mf, url, startup_ms, ready_ms, ready_cpu_ms, ready_node_cpu_ms, first_request_cpu_ms, dispose };
}

/**
 * After the timed first request of floor-first-load-deployed: check it really made the calls.
 * The floor's own record (GET /_bench/first-load) must say the feed came from the writer (the
 * cache missed; the writer answered 200 with JSON) and the manifest was read, and the feed
 * must be in this workerd's Cache API, read from Node through Miniflare (the put, made after
 * the answer, is waited for up to 2 s).
 */
async function checkFloorFirstLoad(name, mf, url, dispose) {
  const FEED_URL = "https://revocations.portcullis.internal/feed";
  const cache = await (await mf.getCaches()).open("portcullis-revocations");
  let seen, cached;
  for (let i = 0; i < 40; i++) {
    seen = await (await fetchRetry(`${url}/_bench/first-load`)).json();
    cached = await cache.match(FEED_URL);
    if (seen.put && cached) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const text = cached ? await cached.text() : "";
  if (seen.feed_from !== "writer" || !seen.manifest || !seen.put || !cached || text.length !== seen.feed_bytes) {
    await dispose();
    throw new Error(`${name}: the first load did not make its calls: ${JSON.stringify(seen)}, cached ${cached ? text.length : "none"}`);
  }
}
