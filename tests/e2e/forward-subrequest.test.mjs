// End-to-end (issue 10 item 9, issue 12 item 4): the platform-level form of the gate's origin
// subrequest, as workerd hands it to its outbound channel. The REAL wasm build in workerd
// (Miniflare), its outbound fetches caught by Miniflare's `outboundService` in this process,
// which sees the request's `cf` (what an HTTP origin never does).
//
// - `cache: "no-store"` reaches the platform as workerd marks it for Cloudflare's cache
//   (cacheTtl -1, cacheLevel "bypass" in the cf blob): one caller's answer is never cached.
// - The incoming request's `cf` is carried over: without it the gate's fixed-rate p99 was
//   1.2-1.4x pass-through's, with it about pass-through's (BENCHMARKS.md 3b, bench/ab run 19).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { bearer, mint, standardBindings } from "./fixtures.mjs";
import { startWorker } from "./harness.mjs";

const ORIGIN = "http://origin.portcullis.test";
const seen = [];
let worker;
before(async () => {
  worker = await startWorker({
    bindings: standardBindings(ORIGIN),
    options: {
      outboundService: async (request) => {
        if (request.url.startsWith(ORIGIN)) {
          const body = request.body ? await request.text() : null;
          seen.push({ url: request.url, method: request.method, cf: request.cf, headers: Object.fromEntries(request.headers), body });
        }
        return new Response("from origin", { status: 200 });
      },
    },
  });
});
after(() => worker?.dispose());

/** Sends `init` to `path` with the incoming `cf` given, and returns what the origin channel saw. */
async function forwarded(path, init, cf) {
  const start = seen.length;
  const res = await worker.fetch(path, { ...init, cf });
  assert.equal(res.status, 200, await res.text());
  assert.equal(seen.length, start + 1, "one subrequest per forwarded request");
  return seen[start];
}

test("the subrequest keeps cache mode no-store, as the platform's cache reads it", async () => {
  const sub = await forwarded("/health", {}, { colo: "ZRH" });
  assert.equal(sub.cf?.cacheTtl, -1);
  assert.equal(sub.cf?.cacheLevel, "bypass");
  assert.equal(sub.body, null);
  assert.equal(sub.headers["cache-control"], "no-cache");
});

test("the subrequest carries the incoming request's cf, and the credential stays behind", async () => {
  const token = await mint({ scope: "orders:read" });
  const sub = await forwarded("/orders/7?x=1", { headers: bearer(token) }, { colo: "ZRH", country: "CH", asn: 64512 });
  assert.equal(sub.url, `${ORIGIN}/orders/7?x=1`);
  assert.equal(sub.method, "GET");
  assert.equal(sub.cf?.colo, "ZRH");
  assert.equal(sub.cf?.country, "CH");
  assert.equal(sub.cf?.asn, 64512);
  assert.equal(sub.headers.authorization, undefined);
  assert.ok(sub.headers["x-portcullis-assertion"], "the identity assertion is added");
});

test("a body is streamed on, with the method, when the request has one", async () => {
  const token = await mint();
  const start = seen.length;
  const res = await worker.fetch("/echo/item", { method: "POST", headers: { ...bearer(token), "content-type": "application/json" }, body: '{"a":1}', cf: { colo: "ZRH" } });
  assert.equal(res.status, 200, await res.text());
  assert.equal(seen[start].method, "POST");
  assert.equal(seen[start].body, '{"a":1}');
  assert.equal(seen[start].cf?.colo, "ZRH");
});
