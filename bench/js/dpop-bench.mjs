#!/usr/bin/env node
// The cost of a DPoP-bound request inside workerd: the built gate (build/, Miniflare) in front
// of a local origin, answering the same GET as a bearer token (`bearer`) and as a DPoP-bound
// token with a fresh ES256 or EdDSA proof (`dpop-es256`, `dpop-eddsa`): proof parsing, the
// RFC 7638 thumbprint, WebCrypto importKey + verify, the replay cache.
//   node bench/js/dpop-bench.mjs [--rounds 7] [--requests 200]   JSON on stdout
//
// Contenders alternate request by request (A B C, B C A, ...), each request timed from Node
// (dispatchFetch to the answer's last byte); `rounds` x `requests` samples per contender.
// Proofs are made beforehand (node:crypto), outside the timing. The extra cost of DPoP is the
// median of the per-triple differences against `bearer`.
import { createHash, generateKeyPairSync, randomUUID, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SignJWT } from "jose";
import { ROOT, startOrigin, startWorker } from "../../tests/e2e/harness.mjs";
import { log, median, round } from "./common.mjs";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "7" }, requests: { type: "string", default: "200" } } });
const rounds = Number(values.rounds);
const requests = Number(values.requests);
const b64url = (b) => Buffer.from(b).toString("base64url");
const SECRET = Buffer.alloc(32, 7);
const KEYS = { keys: [{ kty: "oct", kid: "b1", alg: "HS256", k: b64url(SECRET) }] };
const ORIGIN_KEY = { kty: "oct", kid: "o1", alg: "HS256", k: b64url(Buffer.alloc(32, 9)) };
const URL_ = "http://localhost/api/a";

function proofKey(kind) {
  const pair = kind === "es256" ? generateKeyPairSync("ec", { namedCurve: "P-256" }) : generateKeyPairSync("ed25519");
  const jwk = pair.publicKey.export({ format: "jwk" });
  const canonical = kind === "es256" ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  const jkt = b64url(createHash("sha256").update(JSON.stringify(canonical)).digest());
  const alg = kind === "es256" ? "ES256" : "EdDSA";
  const prove = (token) => {
    const header = b64url(JSON.stringify({ typ: "dpop+jwt", alg, jwk: canonical }));
    const now = Math.floor(Date.now() / 1000);
    const ath = b64url(createHash("sha256").update(token).digest());
    const payload = b64url(JSON.stringify({ jti: randomUUID(), htm: "GET", htu: URL_, iat: now, ath }));
    const input = `${header}.${payload}`;
    const sig = kind === "es256"
      ? sign("sha256", Buffer.from(input), { key: pair.privateKey, dsaEncoding: "ieee-p1363" })
      : sign(null, Buffer.from(input), pair.privateKey);
    return `${input}.${b64url(sig)}`;
  };
  return { jkt, prove };
}

const mint = (cnf) => {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(cnf ? { cnf } : {}).setProtectedHeader({ alg: "HS256", kid: "b1" })
    .setSubject("user-1").setAudience("api").setIssuedAt(now).setExpirationTime(now + 3000).sign(SECRET);
};

const origin = await startOrigin();
// The recording origin keeps every request; answer fast and keep nothing (a bench is long).
origin.respond = (_record, res) => res.end("ok");
const worker = await startWorker({
  bindings: {
    PORTCULLIS_KEYS: JSON.stringify(KEYS),
    PORTCULLIS_ORIGIN_KEY: JSON.stringify(ORIGIN_KEY),
    PORTCULLIS_ROUTES: JSON.stringify([{ match: "GET /api/*", scopes: [] }]),
    PORTCULLIS_AUDIENCE: "api",
    PORTCULLIS_AUDIT_ALLOWED_ONE_IN: "0",
    PORTCULLIS_DPOP_IAT_WINDOW_S: "600",
    ORIGIN_URL: origin.url,
  },
});
try {
  const keys = { "dpop-es256": proofKey("es256"), "dpop-eddsa": proofKey("eddsa") };
  const tokens = {
    bearer: await mint(null),
    "dpop-es256": await mint({ jkt: keys["dpop-es256"].jkt }),
    "dpop-eddsa": await mint({ jkt: keys["dpop-eddsa"].jkt }),
  };
  const headersFor = (name) => {
    if (name === "bearer") return Array.from({ length: requests }, () => ({ authorization: `Bearer ${tokens.bearer}` }));
    return Array.from({ length: requests }, () => ({ authorization: `DPoP ${tokens[name]}`, dpop: keys[name].prove(tokens[name]) }));
  };
  const names = Object.keys(tokens);
  // Self-check and warm-up: every contender is answered 200 by the origin.
  for (const name of names) {
    for (const headers of headersFor(name).slice(0, 20)) {
      const res = await worker.fetch(URL_, { headers });
      if (res.status !== 200) throw new Error(`${name}: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }
  }
  // One request per contender in turn (the first rotating), timed alone: a load spike on this
  // shared machine hits one request of each contender alike, and medians drop it.
  const perRequest = Object.fromEntries(names.map((n) => [n, []]));
  const diffs = { "dpop-es256": [], "dpop-eddsa": [] };
  for (let r = 0; r < rounds; r++) {
    const batches = Object.fromEntries(names.map((n) => [n, headersFor(n)]));
    for (let k = 0; k < requests; k++) {
      const t = {};
      for (let i = 0; i < names.length; i++) {
        const name = names[(k + i) % names.length];
        const t0 = performance.now();
        const res = await worker.fetch(URL_, { headers: batches[name][k] });
        if (res.status !== 200) throw new Error(`${name}: ${res.status}`);
        await res.arrayBuffer();
        t[name] = performance.now() - t0;
        perRequest[name].push(t[name]);
      }
      for (const n of Object.keys(diffs)) diffs[n].push(t[n] - t.bearer);
    }
    log(`dpop round ${r + 1}/${rounds}`);
  }
  const ms = Object.fromEntries(names.map((n) => [n, round(median(perRequest[n]), 4)]));
  const extra = (n) => round(median(diffs[n]), 4);
  // gzip -9, as scripts/size.sh measures (the "before" figure was taken that way).
  const wasmPath = join(ROOT, "build", "index_bg.wasm");
  const wasm = readFileSync(wasmPath);
  const gz = Number(execFileSync("sh", ["-c", 'gzip -9 -c "$0" | wc -c', wasmPath], { encoding: "utf8" }).trim());
  const before = JSON.parse(readFileSync(join(ROOT, "bench", "sender-size-before.json"), "utf8"));
  console.log(JSON.stringify({
    rounds,
    requests,
    samples_per_contender: rounds * requests,
    median_ms: ms,
    ratio_vs_bearer: Object.fromEntries(names.map((n) => [n, round(ms[n] / ms.bearer, 3)])),
    extra_ms_vs_bearer: { "dpop-es256": extra("dpop-es256"), "dpop-eddsa": extra("dpop-eddsa") },
    size: { before, after: { wasm_raw: wasm.length, wasm_gzip: gz } },
  }, null, 2));
} finally {
  await worker.dispose();
  await origin.close();
}
