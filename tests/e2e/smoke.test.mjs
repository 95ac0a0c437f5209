// Smoke test: the built Worker starts in workerd and answers; the origin helper records.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startOrigin, startWorker } from "./harness.mjs";

describe("built worker", () => {
  let worker;
  before(async () => {
    worker = await startWorker();
  });
  after(() => worker?.dispose());

  test("without configuration, answers 500 naming the missing setting", async () => {
    const res = await worker.fetch("/");
    assert.equal(res.status, 500);
    assert.equal(res.headers.get("content-type"), "application/problem+json");
    const problem = await res.json();
    assert.equal(problem.type, "urn:portcullis:problem:misconfigured");
    assert.match(problem.detail, /PORTCULLIS_KEYS/);
  });

  test("is reachable on a real 127.0.0.1 socket", async () => {
    const res = await fetch(new URL("/", worker.url));
    assert.equal(res.status, 500);
    await res.arrayBuffer();
  });

  test("has the REVOCATIONS KV namespace, empty", async () => {
    const kv = await worker.mf.getKVNamespace("REVOCATIONS");
    assert.deepEqual((await kv.list()).keys, []);
  });
});

describe("recording origin", () => {
  test("records and echoes method, url, headers and body", async () => {
    const origin = await startOrigin();
    try {
      const res = await fetch(`${origin.url}/orders/7?x=1`, {
        method: "POST",
        headers: { "x-test": "yes" },
        body: "hello",
      });
      const echoed = await res.json();
      assert.equal(origin.requests.length, 1);
      assert.deepEqual(echoed, origin.requests[0]);
      assert.equal(echoed.method, "POST");
      assert.equal(echoed.url, "/orders/7?x=1");
      assert.equal(echoed.headers["x-test"], "yes");
      assert.equal(echoed.body, "hello");
    } finally {
      await origin.close();
    }
  });

  test("can be slow", async () => {
    const origin = await startOrigin();
    try {
      origin.delayMs = 200;
      const t0 = performance.now();
      await (await fetch(origin.url)).text();
      assert.ok(performance.now() - t0 >= 180);
    } finally {
      await origin.close();
    }
  });

  test("refuses connections once closed", async () => {
    const origin = await startOrigin();
    await (await fetch(origin.url)).text(); // leaves a keep-alive connection open
    await origin.close();
    await assert.rejects(fetch(origin.url));
  });
});
