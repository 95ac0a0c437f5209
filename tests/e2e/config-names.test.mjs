// The running gate refuses a configuration the CLI's check-config refuses, through the same
// core function (config::load_checked): a misspelt setting name or a shadowed rule is a 500
// problem naming the setting, and one config_error log line with the reason and a "did you
// mean", never a silently weaker gate.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { startWorker } from "./harness.mjs";

const b64url = (bytes) => Buffer.from(bytes).toString("base64url");
const SECRETS = {
  PORTCULLIS_KEYS: JSON.stringify({ keys: [{ kty: "oct", kid: "k1", alg: "HS256", k: b64url(randomBytes(32)) }] }),
  PORTCULLIS_ORIGIN_KEY: JSON.stringify({ kty: "oct", kid: "origin", alg: "HS256", k: b64url(randomBytes(32)) }),
};

async function refusal(bindings) {
  const worker = await startWorker({ captureLogs: true, bindings: { ...SECRETS, ...bindings } });
  try {
    const res = await worker.fetch("/health");
    const problem = await res.json();
    await new Promise((r) => setTimeout(r, 100));
    const logged = worker.logs
      .map((line) => { try { return JSON.parse(line); } catch { return null; } })
      .find((r) => r?.event === "config_error");
    return { status: res.status, problem, logged, logs: worker.logs };
  } finally {
    await worker.dispose();
  }
}

describe("the running gate checks setting names and rules like check-config", () => {
  test("a misspelt setting is refused and named, with a did-you-mean in the log", async () => {
    const got = await refusal({
      PORTCULLIS_ROUTES: [{ match: "GET /health", public: true }],
      PORTCULIS_ISSUER: "https://issuer.example",
    });
    assert.equal(got.status, 500);
    assert.equal(got.problem.type, "urn:portcullis:problem:misconfigured");
    assert.match(got.problem.detail, /PORTCULIS_ISSUER/);
    assert.ok(got.logged, got.logs.join("\n"));
    assert.equal(got.logged.setting, "PORTCULIS_ISSUER");
    assert.match(got.logged.error, /did you mean PORTCULLIS_ISSUER\?/);
  });

  test("a rule shadowed by an earlier wildcard is refused", async () => {
    const got = await refusal({
      PORTCULLIS_ROUTES: [
        { match: "GET /orders/*", scopes: ["orders:read"] },
        { match: "GET /orders/export", scopes: ["orders:export"] },
      ],
    });
    assert.equal(got.status, 500);
    assert.equal(got.logged?.setting, "PORTCULLIS_ROUTES", got.logs.join("\n"));
    assert.match(got.logged.error, /rule 1: `GET \/orders\/export` is unreachable/);
  });

  test("the user's own vars and the bindings pass", async () => {
    const worker = await startWorker({
      bindings: { ...SECRETS, PORTCULLIS_ROUTES: [{ match: "GET /health", public: true }], MY_APP_FLAG: "1" },
    });
    try {
      assert.notEqual((await worker.fetch("/health")).status, 500);
    } finally {
      await worker.dispose();
    }
  });
});
