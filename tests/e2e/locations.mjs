// Several simulated Cloudflare locations in one Miniflare: N copies of the REAL gate build,
// each its own workerd worker (its own isolate: no shared memory) with its own Cache API
// cache (PORTCULLIS_REVOCATION_CACHE), all bound to ONE KV namespace and to ONE revocation
// writer (the Durable Object class exported by the objects script, bound by every location
// through `scriptName`, as wrangler.toml binds it). Used by tests/e2e/revocation-writer.test.mjs and scripts/freshness.mjs.
//
//   const locs = await startLocations(4, { refreshS: 1, feedTtlS: 1 });
//   await locs.get(2, "/orders/1", token);        // through location 2
//   await locs.admin(0, "POST", "/revocations", { jti: "x" });
//   await locs.dispose();
//
// How this differs from production: the locations share one process and one clock, KV is
// strongly consistent here (production KV takes up to 60 s to reach other locations, which
// only matters when the writer is unreachable or a location reloads), and the writer is
// one request away (in production, up to an intercontinental round trip).
import { randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import { Miniflare } from "miniflare";
import { gateWorker, objectsWorker, startOrigin } from "./harness.mjs";
import { ADMIN_SCOPE, ROUTES, hsKey, nowS } from "./revocation-fixtures.mjs";

/**
 * Starts `n` locations in front of one recording origin. `refreshS`, `feedTtlS`, `window`:
 * the revocation settings; `kv`: a namespace id to share (default: a fresh one).
 * Returns { mf, origin, kv, keys, mint, adminToken, get, admin, stats, dispose }.
 */
export async function startLocations(n, { refreshS = 1, feedTtlS = 1, window = 1024, maxAgeS = 300, seed } = {}) {
  const origin = await startOrigin();
  const k1 = hsKey("k1", ["sign", "verify"]);
  const originKey = hsKey("origin");
  const namespace = `rev-${randomBytes(6).toString("hex")}`;
  const settings = (i) => ({
    PORTCULLIS_KEYS: JSON.stringify({ keys: [k1.jwk] }),
    PORTCULLIS_ORIGIN_KEY: JSON.stringify(originKey.jwk),
    PORTCULLIS_ROUTES: JSON.stringify(ROUTES),
    ORIGIN_URL: origin.url,
    PORTCULLIS_REVOCATION_REFRESH_S: String(refreshS),
    PORTCULLIS_REVOCATION_MAX_AGE_S: String(maxAgeS),
    PORTCULLIS_REVOCATION_FEED_TTL_S: String(feedTtlS),
    PORTCULLIS_REVOCATION_FEED_WINDOW: String(window),
    PORTCULLIS_REVOCATION_CACHE: `location-${i}`,
    // One audit line per denial only: the tests read status codes, not the allow trail.
    PORTCULLIS_AUDIT_ALLOWED_ONE_IN: "0",
  });
  const workers = Array.from({ length: n }, (_, i) =>
    gateWorker({ name: `loc${i}`, kvNamespaces: { REVOCATIONS: namespace }, bindings: settings(i) }),
  );
  // The one writer, in the objects script, with location 0's settings and the same namespace.
  const objects = objectsWorker({ bindings: settings(0), kvNamespaces: { REVOCATIONS: namespace } });
  let mf;
  try {
    mf = new Miniflare({
      host: "127.0.0.1",
      port: 0,
      unsafeTriggerHandlers: true,
      // The Worker's log lines are not read here; drained so they do not flood the output.
      handleRuntimeStdio: (stdout, stderr) => {
        stdout.resume();
        stderr.resume();
      },
      workers: [...workers, objects],
    });
    await mf.ready;
  } catch (e) {
    await origin.close();
    throw e;
  }
  const kv = await mf.getKVNamespace("REVOCATIONS", "loc0");
  if (seed) await seed(kv);
  const fetchers = await Promise.all(workers.map((w) => mf.getWorker(w.name)));

  async function mint({ sub = "alice", scope = "orders:read", jti, ttl = 600 } = {}) {
    const claims = { sub, scope };
    if (jti !== undefined) claims.jti = jti;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256", kid: "k1" })
      .setIssuedAt(nowS())
      .setExpirationTime(nowS() + ttl)
      .sign(k1.secret);
  }
  const adminToken = await mint({ sub: "root", scope: ADMIN_SCOPE, jti: "admin-1", ttl: 3000 });

  /** A gated request through location `i`; resolves to the status. */
  const get = async (i, path, token) => {
    const res = await fetchers[i].fetch(`http://localhost${path}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    await res.arrayBuffer();
    return res.status;
  };

  /** An admin API call through location `i`; resolves to the Response. */
  const admin = (i, method, endpoint, body) =>
    fetchers[i].fetch(`http://localhost/_portcullis${endpoint}`, {
      method,
      headers: {
        authorization: `Bearer ${adminToken}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  /** Location `i`'s isolate counters (GET /stats). */
  const stats = async (i) => (await admin(i, "GET", "/stats")).json();

  /** Fires location `i`'s Cron Trigger. */
  const cron = async (i = 0) => {
    const res = await fetchers[i].fetch("http://localhost/cdn-cgi/mf/scheduled");
    await res.arrayBuffer();
  };

  return {
    mf,
    origin,
    kv,
    keys: { k1, originKey },
    mint,
    adminToken,
    get,
    admin,
    stats,
    cron,
    dispose: async () => {
      await mf.dispose();
      await origin.close();
    },
  };
}
