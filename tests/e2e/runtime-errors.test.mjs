// A Worker runtime error (a `worker::Error` raised with `?` in a handler) is answered like
// any refusal: a 500 problem document and an audit line, never the runtime's opaque 500.
// Provoked here with an ASSETS binding whose file fetch fails: the console's `?` on it.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { startWorker } from "./harness.mjs";

const b64url = (bytes) => Buffer.from(bytes).toString("base64url");

// A stand-in for the assets service whose answers break mid-body, so reading one throws.
const BROKEN_ASSETS = `export default {
  fetch() {
    const body = new ReadableStream({
      start(c) { c.enqueue(new TextEncoder().encode("<html>")); c.error(new Error("assets down")); },
    });
    return new Response(body, { headers: { "content-type": "text/html" } });
  },
};`;

describe("runtime errors", () => {
  let worker;
  before(async () => {
    worker = await startWorker({
      captureLogs: true,
      bindings: {
        PORTCULLIS_KEYS: JSON.stringify({ keys: [{ kty: "oct", kid: "k1", alg: "HS256", k: b64url(randomBytes(32)) }] }),
        PORTCULLIS_ORIGIN_KEY: JSON.stringify({ kty: "oct", kid: "origin", alg: "HS256", k: b64url(randomBytes(32)) }),
        PORTCULLIS_ROUTES: [{ match: "GET /health", public: true }],
      },
      options: { serviceBindings: { ASSETS: "broken-assets" } },
      extraWorkers: [{ name: "broken-assets", modules: true, script: BROKEN_ASSETS, compatibilityDate: "2024-09-23" }],
    });
  });
  after(async () => {
    await worker?.dispose();
  });

  test("a failing binding is a 500 problem document with an audit line", async () => {
    const res = await worker.fetch("/_portcullis/console/");
    assert.equal(res.status, 500);
    assert.equal(res.headers.get("content-type"), "application/problem+json");
    assert.equal(res.headers.get("cache-control"), "no-store");
    const problem = await res.json();
    assert.equal(problem.type, "urn:portcullis:problem:internal_error");
    assert.equal(problem.status, 500);
    // The runtime's message stays in the log.
    assert.doesNotMatch(JSON.stringify(problem), /assets down|ASSETS/);
    await new Promise((r) => setTimeout(r, 100));
    const audit = worker.logs
      .map((line) => { try { return JSON.parse(line); } catch { return null; } })
      .find((r) => r?.reason === "internal_error");
    assert.ok(audit, worker.logs.join("\n"));
    assert.deepEqual(
      [audit.event, audit.decision, audit.status, audit.path],
      ["admin", "deny", 500, "/_portcullis/console/"],
    );
    assert.ok(audit.detail, "the audit line keeps the runtime's error");
  });
});
