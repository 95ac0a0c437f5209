// The JS contenders for the throughput run, one bundle, chosen by env.MODE:
//   passthrough  forward every request to ORIGIN_URL (the limit: no auth at all)
//   passthrough-log  the same, plus the audit line the gate writes for an allowed request
//                (same fields, same length, one console.log): what logging costs the platform
//   jose         Bearer token -> jose jwtVerify -> KV get of the jti -> forward
//   tsndr        the same with @tsndr/cloudflare-worker-jwt (iss/aud checked by hand)
//   burn         passthrough-log plus BURN_ITERS rounds of synchronous arithmetic before it
//                forwards: a contender with more CPU per request and no other difference, to
//                see how the tail grows with CPU alone (bench/ab run 16); burn-gate-<N>,
//                burn-nostore-<N>, burn-nostoreonly-<N> and burn-copy-<N> forward with the
//                gate's subrequest options or parts of them (FETCH_AS)
//   first-load   pass-through whose isolate's first request first makes the platform calls
//                of the gate's first revocation load (revocations.rs, first_load): the
//                feed from the Cache API, on a miss from the writer Durable Object, at once
//                with the KV manifest; the feed cached after the answer. What those bindings
//                cost a cold start with no gate code (the startup bench's first-load-deployed).
// GET /_bench/stats answers { requests, kv_reads } counted in this isolate.
import { jwtVerify } from "jose";
import tsndr from "@tsndr/cloudflare-worker-jwt";

let key;
const counts = { requests: 0, kv_reads: 0 };

const unauthorized = (why) =>
  new Response(JSON.stringify({ error: why }), { status: 401, headers: { "content-type": "application/json", "www-authenticate": "Bearer" } });

async function importKey(env) {
  const k = JSON.parse(env.JWKS).keys[0].k;
  const bin = atob(k.replace(/-/g, "+").replace(/_/g, "/"));
  const raw = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
}

async function claimsOf(env, token) {
  key ??= await importKey(env);
  if (env.MODE === "jose") {
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: ["HS256"], issuer: env.ISSUER, audience: env.AUDIENCE, maxTokenAge: Number(env.MAX_TTL), clockTolerance: 0,
      });
      return payload;
    } catch {
      return null;
    }
  }
  const d = await tsndr.verify(token, key, { algorithm: "HS256", clockTolerance: 0 });
  return d && d.payload.iss === env.ISSUER && d.payload.aud === env.AUDIENCE ? d.payload : null;
}

function forward(request, env) {
  const url = new URL(request.url);
  const target = env.ORIGIN_URL + url.pathname + url.search;
  // FETCH_AS: the subrequest options the gate's forward uses (interop.rs fetch_origin), all
  // ("gate") or the header copy and cache: no-store ("no-store"), for bench/ab runs 17-18.
  if (env.FETCH_AS === "gate") {
    return fetch(target, { method: request.method, headers: new Headers(request.headers), redirect: "manual", cache: "no-store", signal: AbortSignal.timeout(30000) });
  }
  if (env.FETCH_AS === "no-store") return fetch(target, { method: request.method, headers: new Headers(request.headers), cache: "no-store" });
  // The two apart: the plain form with cache: no-store added ("no-store-only"), and the header
  // copy without it ("copy"; Host dropped as the gate's plan drops it, or Miniflare routes
  // the subrequest back to this worker).
  if (env.FETCH_AS === "no-store-only") return fetch(new Request(target, request), { cache: "no-store" });
  if (env.FETCH_AS === "copy") {
    const headers = new Headers(request.headers);
    headers.delete("host");
    return fetch(target, { method: request.method, headers });
  }
  return fetch(new Request(target, request));
}

// The names the gate uses (revocations.rs, config defaults, compact::MANIFEST_KEY).
const FEED_URL = "https://revocations.portcullis.internal/feed";
let loaded;
async function firstLoad(env, ctx) {
  const cache = await caches.open("portcullis-revocations");
  const feed = async () => {
    const hit = await cache.match(FEED_URL);
    if (hit) return [await hit.text(), true];
    const writer = env.REVOCATION_WRITER.get(env.REVOCATION_WRITER.idFromName("revocations"));
    const res = await writer.fetch("https://writer/feed");
    if (res.status !== 200) throw new Error(`writer: ${res.status}`);
    return [await res.text(), false];
  };
  const [[text, hit]] = await Promise.all([feed(), env.REVOCATIONS.get("revocations/compact/manifest")]);
  JSON.parse(text);
  if (!hit) ctx.waitUntil(new Promise((r) => setTimeout(r, 0)).then(() => cache.put(FEED_URL, new Response(text, { headers: { "cache-control": "max-age=2" } }))));
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/_bench/stats") return Response.json(counts);
    counts.requests++;
    if (env.MODE === "passthrough") return forward(request, env);
    if (env.MODE === "first-load") {
      loaded ??= firstLoad(env, ctx);
      await loaded;
      return forward(request, env);
    }
    if (env.MODE === "burn") {
      let x = counts.requests;
      for (let i = Number(env.BURN_ITERS); i > 0; i--) x = (Math.imul(x, 1103515245) + 12345) | 0;
      counts.burned = x;
    }
    if (env.MODE === "passthrough-log" || env.MODE === "burn") {
      const response = await forward(request, env);
      console.log(JSON.stringify({
        event: "gate", time_ms: Date.now(), client_ip: request.headers.get("cf-connecting-ip"), ray: request.headers.get("cf-ray"),
        method: request.method, path: url.pathname, rule: 1, decision: "allow", reason: "authorized", status: response.status,
        sub: "user-1234", jti: "0f8fad5b-d9cb-469f-a165-70867728950e", kid: "bench-1",
      }));
      return response;
    }
    const m = /^Bearer (.+)$/.exec(request.headers.get("authorization") ?? "");
    if (!m) return unauthorized("missing token");
    const claims = await claimsOf(env, m[1]);
    if (!claims) return unauthorized("invalid token");
    if (!String(claims.scope ?? "").split(" ").includes("orders:read")) return new Response("forbidden", { status: 403 });
    counts.kv_reads++;
    if (typeof claims.jti !== "string" || (await env.REVOCATIONS.get(`rev/${claims.jti}`)) !== null) return unauthorized("revoked");
    return forward(request, env);
  },
};
