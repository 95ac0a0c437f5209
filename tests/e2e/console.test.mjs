// How the Worker serves the operator console (www/ through the ASSETS binding): only under
// <admin prefix>/console/, never at the files' own paths, with strict security headers.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ROOT, startOrigin, startWorker } from "./harness.mjs";

const b64url = (bytes) => Buffer.from(bytes).toString("base64url");

describe("console assets", () => {
  let origin, worker;
  before(async () => {
    origin = await startOrigin();
    worker = await startWorker({
      assets: true,
      bindings: {
        PORTCULLIS_KEYS: JSON.stringify({ keys: [{ kty: "oct", kid: "k1", alg: "HS256", k: b64url(randomBytes(32)) }] }),
        PORTCULLIS_ORIGIN_KEY: JSON.stringify({ kty: "oct", kid: "origin", alg: "HS256", k: b64url(randomBytes(32)) }),
        PORTCULLIS_ROUTES: [{ match: "GET /", public: true }, { match: "GET /*", public: true }],
        ORIGIN_URL: origin.url,
      },
    });
  });
  after(async () => {
    await worker?.dispose();
    await origin?.close();
  });

  function assertSecurityHeaders(res) {
    const csp = res.headers.get("content-security-policy");
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self';/);
    assert.match(csp, /connect-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(res.headers.get("referrer-policy"), "no-referrer");
    assert.equal(res.headers.get("cache-control"), "no-store");
  }

  test("serves the page at <prefix>/console/ without a token, with strict headers", async () => {
    const res = await worker.fetch("/_portcullis/console/");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /^text\/html/);
    assertSecurityHeaders(res);
    assert.equal(await res.text(), readFileSync(join(ROOT, "www", "index.html"), "utf8"));
  });

  test("redirects <prefix>/console to the directory", async () => {
    const res = await worker.fetch("/_portcullis/console", { redirect: "manual" });
    assert.equal(res.status, 308);
    assert.equal(res.headers.get("location"), "/_portcullis/console/");
  });

  test("serves the script and the stylesheet with their types", async () => {
    for (const [file, type] of [["console.js", /javascript/], ["time.js", /javascript/], ["console.css", /^text\/css/]]) {
      const res = await worker.fetch(`/_portcullis/console/${file}`);
      assert.equal(res.status, 200, file);
      assert.match(res.headers.get("content-type"), type);
      assertSecurityHeaders(res);
      assert.equal(await res.text(), readFileSync(join(ROOT, "www", file), "utf8"));
    }
  });

  test("answers HEAD with headers and no body", async () => {
    const res = await worker.fetch("/_portcullis/console/console.js", { method: "HEAD" });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "");
  });

  test("never serves the assets at their own paths: those belong to the origin", async () => {
    for (const path of ["/index.html", "/console.js", "/console.css", "/"]) {
      const before = origin.requests.length;
      const res = await worker.fetch(path);
      assert.equal(res.status, 200, path);
      const echoed = await res.json(); // the recording origin's echo, not the asset
      assert.equal(echoed.url, path);
      assert.equal(origin.requests.length, before + 1, path);
    }
  });

  test("an unknown file or a nested path is a 404 problem, not a fallback page", async () => {
    for (const path of ["/_portcullis/console/nope.js", "/_portcullis/console/a/b.js", "/_portcullis/console/.hidden"]) {
      const res = await worker.fetch(path);
      assert.equal(res.status, 404, path);
      assert.equal((await res.json()).type, "urn:portcullis:problem:not_found");
    }
  });

  test("refuses other methods with 405 and Allow", async () => {
    const res = await worker.fetch("/_portcullis/console/", { method: "POST", body: "x" });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get("allow"), "GET, HEAD");
    await res.arrayBuffer();
  });
});

describe("console without the ASSETS binding", () => {
  test("is a 404 problem, and the admin API is unchanged", async () => {
    const worker = await startWorker({
      bindings: {
        PORTCULLIS_KEYS: JSON.stringify({ keys: [{ kty: "oct", kid: "k1", alg: "HS256", k: b64url(randomBytes(32)) }] }),
        PORTCULLIS_ORIGIN_KEY: JSON.stringify({ kty: "oct", kid: "origin", alg: "HS256", k: b64url(randomBytes(32)) }),
        PORTCULLIS_ROUTES: [{ match: "GET /*", public: true }],
        ORIGIN_URL: "http://127.0.0.1:9",
      },
    });
    try {
      const res = await worker.fetch("/_portcullis/console/");
      assert.equal(res.status, 404);
      assert.equal((await res.json()).type, "urn:portcullis:problem:not_found");
      const keys = await worker.fetch("/_portcullis/keys");
      assert.equal(keys.status, 401);
      await keys.arrayBuffer();
    } finally {
      await worker.dispose();
    }
  });
});
