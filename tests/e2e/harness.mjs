// Helpers for end-to-end tests: the REAL build output (build/, from `make build`) running in
// workerd through Miniflare, and a recording HTTP origin for the Worker to talk to.
//
//   const worker = await startWorker({ bindings: { PORTCULLIS_AUDIENCE: "api" } });
//   const res = await worker.fetch("/health");
//   await worker.mf.getKVNamespace("REVOCATIONS").then((kv) => kv.put("jti", "1"));
//   await worker.dispose();
//
//   const origin = await startOrigin();
//   origin.url;          // "http://127.0.0.1:<port>"
//   origin.requests;     // [{ method, url, headers, body }] received so far
//   origin.requests[0].bytes;  // the raw body as a Buffer (not enumerable: not echoed)
//   origin.delayMs = 2000;  // answer slowly from now on
//   await origin.close();   // origin down: later connections are refused
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Miniflare, PLUGINS } from "miniflare";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const ENTRY = join(ROOT, "build", "index.js");
/** The objects script (wrangler.objects.toml): the Durable Object classes, built apart. */
export const OBJECTS_ENTRY = join(ROOT, "build-objects", "index.js");
/** Its worker name, which the gate's Durable Object bindings give as script_name. */
export const OBJECTS_SCRIPT = "portcullis-objects";

/** The Durable Object binding and class of the revocation writer, as in wrangler.toml. */
export const WRITER_BINDING = "REVOCATION_WRITER";
export const WRITER_CLASS = "RevocationWriter";

/** Every Durable Object class and the binding the gate reaches it by (wrangler.toml). */
export const OBJECT_CLASSES = { GRANTS: "GrantObject", API_KEYS: "ApiKeyStore", SUBJECT_GRANTS: "SubjectGrants", [WRITER_BINDING]: WRITER_CLASS };

/** The gate's bindings of the grant objects, for `durableObjects` (tests that open grants). */
export const GRANT_OBJECTS = Object.fromEntries(
  ["GRANTS", "API_KEYS", "SUBJECT_GRANTS"].map((b) => [b, { className: OBJECT_CLASSES[b], useSQLite: true }]),
);

/** Miniflare's options for a worker running a build directory's index.js (ESM + wasm). */
export function buildModules(entry) {
  return {
    modules: true,
    scriptPath: entry,
    // Module names are relative to this, not to the cwd: from another cwd workerd refuses
    // "../build/index.js" ("can't use '..' to break out of starting directory").
    modulesRoot: dirname(entry),
    // Without these rules Miniflare reads the output as CommonJS (ERR_MODULE_PARSE).
    modulesRules: [
      { type: "ESModule", include: ["**/*.js"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: compatibilityDate(),
  };
}

/**
 * Durable Object bindings as the gate has them (wrangler.toml): a binding to one of the
 * objects script's classes without a scriptName (or naming the gate, as before the split)
 * reaches it in the objects script. A binding given as null is left out.
 */
export function viaObjects(durableObjects = {}) {
  const classes = new Set(Object.values(OBJECT_CLASSES));
  return Object.fromEntries(
    Object.entries(durableObjects)
      .filter(([, v]) => v !== null)
      .map(([name, v]) => {
        const from = typeof v === "string" ? { className: v } : v;
        const ours = classes.has(from.className) && (from.scriptName === undefined || from.scriptName === "portcullis");
        return [name, ours ? { ...from, scriptName: OBJECTS_SCRIPT, useSQLite: true } : from];
      }),
  );
}

/**
 * The objects script as Miniflare runs it (wrangler.objects.toml): it exports the classes,
 * with the settings, KV namespaces and wrapped KV bindings it is given (the gate's: the
 * objects read the gate's configuration and publish to its REVOCATIONS namespace).
 */
export function objectsWorker({ bindings = {}, kvNamespaces = ["REVOCATIONS"], wrappedBindings } = {}) {
  if (!existsSync(OBJECTS_ENTRY)) throw new Error(`${OBJECTS_ENTRY} missing: run 'make build' first`);
  return {
    name: OBJECTS_SCRIPT,
    ...buildModules(OBJECTS_ENTRY),
    kvNamespaces,
    bindings,
    ...(wrappedBindings ? { wrappedBindings } : {}),
    durableObjects: Object.fromEntries(
      Object.entries(OBJECT_CLASSES).map(([name, className]) => [name, { className, useSQLite: true }]),
    ),
  };
}

/**
 * The gate (build/index.js) as one Miniflare worker, bound as wrangler.toml binds it: the
 * `kvNamespaces` given (default an in-memory REVOCATIONS), the revocation writer and any
 * `durableObjects` in the objects script (see viaObjects; a binding given as null is left
 * out), `bindings` as its settings, and any other per-worker Miniflare `options`.
 */
export function gateWorker({ name = "portcullis", bindings = {}, kvNamespaces = ["REVOCATIONS"], durableObjects = {}, ...options } = {}) {
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} missing: run 'make build' first`);
  return {
    name,
    ...buildModules(ENTRY),
    kvNamespaces,
    bindings,
    ...options,
    durableObjects: viaObjects({
      [WRITER_BINDING]: { className: WRITER_CLASS, useSQLite: true },
      ...durableObjects,
    }),
  };
}

/** Miniflare's shared (not per-worker) option names, e.g. handleRuntimeStdio, host, port. */
const SHARED_OPTIONS = new Set(
  Object.values(PLUGINS).flatMap((p) => {
    // core's is a ZodEffects around its object schema.
    const s = p.sharedOptions;
    return Object.keys(s?.shape ?? s?._def?.schema?.shape ?? {});
  }),
);
// A Miniflare whose schemas hide these would silently drop a test's log handler.
if (!SHARED_OPTIONS.has("handleRuntimeStdio") || !SHARED_OPTIONS.has("port")) {
  throw new Error("harness: cannot tell Miniflare's shared options from per-worker ones");
}

/**
 * A vector file from tests/vectors/ (the tables the Rust tests generate and check; see its
 * README). A missing file throws: a test never passes without its vectors.
 */
export function vectors(name) {
  return JSON.parse(readFileSync(join(ROOT, "tests", "vectors", name), "utf8"));
}

/** compatibility_date from wrangler.toml, so tests and deploys run the same runtime. */
export function compatibilityDate() {
  const toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const m = toml.match(/^compatibility_date\s*=\s*"([0-9-]+)"/m);
  if (!m) throw new Error("wrangler.toml has no compatibility_date");
  return m[1];
}

/**
/**
 * Miniflare's `assets` option for www/ set up as wrangler.toml's [assets] section is: binding
 * ASSETS, the Worker runs first for every request (run_worker_first = true), exact file names.
 * Keep the two in step.
 */
export function consoleAssets() {
  return {
    directory: join(ROOT, "www"),
    binding: "ASSETS",
    routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: true },
    assetConfig: { html_handling: "none", compatibility_date: compatibilityDate() },
  };
}

/**
 * Start the built Worker in workerd. `bindings` become env vars (plain values or JSON),
 * the REVOCATIONS KV namespace is in memory and empty; `assets: true` also serves www/
 * through the ASSETS binding (the operator console), as deployed; `options` override the gate
 * worker's Miniflare options, `extraWorkers` are started beside it, `captureLogs` collects the
 * Worker's console output in `logs` (an array of lines). Returns { mf, url, logs, fetch, dispose }:
 * `fetch(path, init)` is mf.dispatchFetch against http://localhost; `url` is a real
 * 127.0.0.1 URL for clients outside Node (curl, Chromium).
 */
export async function startWorker({ bindings = {}, assets = false, options = {}, extraWorkers = [], captureLogs = false } = {}) {
  const { durableObjects = {}, ...rest } = options;
  const own = Object.fromEntries(Object.entries(rest).filter(([k]) => !SHARED_OPTIONS.has(k)));
  const sharedGiven = Object.fromEntries(Object.entries(rest).filter(([k]) => SHARED_OPTIONS.has(k)));
  // The revocation writer (and the grant objects, when a test binds them) live in the
  // objects script: wrangler.toml's bindings with script_name. Merged with the caller's.
  const gate = gateWorker({ bindings, durableObjects, ...(assets ? { assets: consoleAssets() } : {}), ...own });
  // The objects get the gate's settings and its REVOCATIONS (wrapped as the gate's is; the
  // gate's Durable Object bindings are not theirs to wrap).
  const wrapped = Object.fromEntries(
    Object.entries(gate.wrappedBindings ?? {}).filter(([k]) => !(k in OBJECT_CLASSES) && !(k in durableObjects)),
  );
  const objects = objectsWorker({
    bindings: gate.bindings,
    kvNamespaces: gate.kvNamespaces,
    wrappedBindings: Object.keys(wrapped).length > 0 ? wrapped : undefined,
  });
  // unsafeTriggerHandlers lets a test fire the cron handler: worker.fetch("/cdn-cgi/mf/scheduled").
  const shared = { host: "127.0.0.1", port: 0, unsafeTriggerHandlers: true, ...sharedGiven };
  // With `captureLogs`, the Worker's console lines land in `logs` instead of the terminal.
  const logs = [];
  if (captureLogs) {
    shared.handleRuntimeStdio = (...streams) => {
      for (const input of streams) createInterface({ input }).on("line", (line) => logs.push(line));
    };
  }
  // The gate stays the first worker: the one mf.dispatchFetch and `url` reach. `extraWorkers`
  // (e.g. the module behind a wrappedBindings entry) run beside it and the objects script.
  const mf = new Miniflare({ ...shared, workers: [gate, objects, ...extraWorkers] });
  const url = await mf.ready;
  return {
    mf,
    url,
    logs,
    fetch: (path, init) => mf.dispatchFetch(new URL(path, "http://localhost").href, init),
    dispose: () => mf.dispose(),
  };
}

/**
 * Start an HTTP origin on 127.0.0.1 (random port) that records every request and answers
 * 200 with the request echoed as JSON. Set `delayMs` to answer slowly, `respond` to a
 * function (record, res) => void to answer differently, call `close()` to take it down.
 */
export async function startOrigin() {
  const sockets = new Set();
  const origin = {
    requests: [],
    delayMs: 0,
    respond: null,
    url: "",
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy(); // keep-alive connections too
      }),
  };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const bytes = Buffer.concat(chunks);
      const record = {
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: bytes.toString("utf8"),
      };
      // The exact bytes, for binary bodies; not enumerable, so the JSON echo is unchanged.
      Object.defineProperty(record, "bytes", { value: bytes, enumerable: false });
      origin.requests.push(record);
      const answer = () => {
        if (origin.respond) return origin.respond(record, res);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(record));
      };
      if (origin.delayMs > 0) setTimeout(answer, origin.delayMs);
      else answer();
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin.url = `http://127.0.0.1:${server.address().port}`;
  return origin;
}
