// End-to-end (issue 10, items 5, 6, 7, 9, 11, 12, 14): what reaches the origin is exactly what
// the gate decided on. The REAL wasm build in workerd (Miniflare) in front of a recording
// origin; requests over real sockets, so both sides of the gate are seen as sent.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, test } from "node:test";
import {
  KEYS,
  bearer,
  checkAssertion,
  ensurePyJWT,
  mint,
  rawRequest,
  standardBindings,
  startGate,
} from "./fixtures.mjs";
import { startWorker } from "./harness.mjs";

const COOKIE = "pc_token";

/** A header name as the most permissive server reads it: lower case, `_` as `-`. */
const canonical = (name) => name.toLowerCase().replaceAll("_", "-");

/** The origin's headers whose canonical name satisfies `pred`, as received. */
const namesWhere = (record, pred) => Object.keys(record.headers).filter((n) => pred(canonical(n)));

/** The hop marker the gate sets: HMAC-SHA256 under the origin key of method and target URL. */
const hopMarker = (method, htu) =>
  createHmac("sha256", KEYS.origin.secret).update(`portcullis-hop\n${method}\n${htu}`).digest("base64url");

let gate;
let send;
let host; // "127.0.0.1:<port>" of the Worker
before(async () => {
  ensurePyJWT();
  gate = await startGate({ bindings: { PORTCULLIS_COOKIE: COOKIE } });
  send = (options) => rawRequest(gate.worker.url, options);
  host = new URL(gate.worker.url).host;
});
after(() => gate?.stop());


describe("request headers the gate did not decide on stay behind (items 5, 6, 7)", () => {
  test("method-override headers never reach the origin, in any spelling", async () => {
    const overrides = {
      "X-HTTP-Method-Override": "DELETE",
      "X-Method-Override": "DELETE",
      "X-HTTP-Method": "DELETE",
      X_HTTP_Method_Override: "DELETE",
      "X-Original-Method": "DELETE",
    };
    const token = await mint();
    const { result: res, received } = await gate.during(() =>
      send({ method: "POST", path: "/echo/item", headers: { ...bearer(token), ...overrides }, body: "{}" }),
    );
    assert.equal(res.status, 200, res.text);
    assert.equal(received[0].method, "POST");
    const overriding = ["x-http-method-override", "x-method-override", "x-http-method", "x-original-method"];
    assert.deepEqual(namesWhere(received[0], (n) => overriding.includes(n)), []);
    assert.ok(!JSON.stringify(received[0].headers).includes("DELETE"));
  });

  test("reserved identity headers are stripped in every case and with `_` for `-`", async () => {
    const spoofs = {
      X_Portcullis_Subject: "root",
      "X-PORTCULLIS_SCOPES": "admin",
      x_portcullis_token_id: "forged-jti",
      "X_PORTCULLIS-ASSERTION": "forged.assertion.value",
      X_Portcullis_Role: "superuser",
      "X-Portcullis-Hop": "forged-hop",
    };
    const token = await mint({ sub: "carol", scope: "orders:read", jti: "jti-underscore" });
    const authed = await gate.during(() => send({ path: "/orders/5", headers: { ...spoofs, ...bearer(token) } }));
    assert.equal(authed.result.status, 200, authed.result.text);
    const [seen] = authed.received;
    const reserved = namesWhere(seen, (n) => n.startsWith("x-portcullis-")).sort();
    assert.deepEqual(reserved, [
      "x-portcullis-assertion",
      "x-portcullis-hop",
      "x-portcullis-scopes",
      "x-portcullis-subject",
      "x-portcullis-token-id",
    ]);
    assert.equal(seen.headers["x-portcullis-subject"], "carol");
    assert.equal(seen.headers["x-portcullis-scopes"], "orders:read");
    assert.equal(seen.headers["x-portcullis-token-id"], "jti-underscore");
    assert.equal(seen.headers["x-portcullis-hop"], hopMarker("GET", `${gate.origin.url}/orders/5`));
    for (const forged of Object.values(spoofs)) assert.ok(!JSON.stringify(seen.headers).includes(forged), forged);

    const anonymous = await gate.during(() => send({ path: "/health", headers: spoofs }));
    assert.equal(anonymous.result.status, 200, anonymous.result.text);
    assert.deepEqual(namesWhere(anonymous.received[0], (n) => n.startsWith("x-portcullis-")), ["x-portcullis-hop"]);
  });

  test("routing and forwarding claims are replaced by what the platform knows", async () => {
    const claims = {
      "X-Original-URL": "/admin/delete-everything",
      "X-Rewrite-URL": "/admin/delete-everything",
      "X-Forwarded-Host": "evil.example",
      X_Forwarded_Host: "evil.example",
      "X-Forwarded-For": "198.51.100.66",
      "X-Forwarded-Proto": "https",
      "X-Forwarded-Prefix": "/admin",
      Forwarded: "for=198.51.100.66;host=evil.example;proto=https",
      "X-Real-IP": "198.51.100.66",
      "True-Client-IP": "198.51.100.66",
    };
    const token = await mint({ scope: "orders:read" });
    const { result: res, received } = await gate.during(() =>
      send({ path: "/orders/7", headers: { ...claims, ...bearer(token) } }),
    );
    assert.equal(res.status, 200, res.text);
    const [seen] = received;
    const text = JSON.stringify(seen.headers);
    for (const value of ["evil.example", "198.51.100.66", "/admin"]) assert.ok(!text.includes(value), `${value} reached the origin`);
    const forwarding = namesWhere(seen, (n) => n.startsWith("x-forwarded-") || n.startsWith("x-original-") || n === "forwarded" || n === "x-rewrite-url" || n === "x-real-ip" || n === "true-client-ip").sort();
    // What the gate sets: the scheme and host the client asked for, and the client's address
    // when the platform reports one.
    assert.equal(seen.headers["x-forwarded-proto"], "http");
    assert.equal(seen.headers["x-forwarded-host"], host);
    // Miniflare reports the client as CF-Connecting-IP: 127.0.0.1, as Cloudflare's edge would.
    assert.equal(seen.headers["x-forwarded-for"], "127.0.0.1");
    assert.deepEqual(forwarding, ["x-forwarded-for", "x-forwarded-host", "x-forwarded-proto"]);
    // Without any claim from the client, the same three (or two) are set.
    const plain = await gate.during(() => send({ path: "/health" }));
    assert.equal(plain.received[0].headers["x-forwarded-host"], host);
    assert.equal(plain.received[0].headers["x-forwarded-proto"], "http");
  });

  test("headers named in Connection are removed (RFC 9110 section 7.6.1)", async () => {
    const { result: res, received } = await gate.during(() =>
      send({
        path: "/health",
        headers: { connection: "keep-alive, X-Hop-Secret, X-Forwarded-Host", "x-hop-secret": "for-the-gate-only", "x-kept": "1" },
      }),
    );
    assert.equal(res.status, 200, res.text);
    const [seen] = received;
    assert.equal(seen.headers["x-hop-secret"], undefined);
    assert.equal(seen.headers["x-kept"], "1");
    // Naming a header the gate sets does not remove the gate's own.
    assert.equal(seen.headers["x-forwarded-host"], host);
  });

  test("a preflight whose Access-Control-Request-Method is named in Connection is no preflight", async () => {
    const headers = { origin: "https://app.example", "access-control-request-method": "GET" };
    const hidden = await gate.during(() =>
      send({ method: "OPTIONS", path: "/orders/1", headers: { ...headers, connection: "Access-Control-Request-Method" } }),
    );
    // The origin would get a plain OPTIONS, which no rule allows without a token.
    assert.equal(hidden.result.status, 403, hidden.result.text);
    assert.equal(JSON.parse(hidden.result.text).type, "urn:portcullis:problem:no_route");
    assert.equal(hidden.received.length, 0);
    const plain = await gate.during(() => send({ method: "OPTIONS", path: "/orders/1", headers }));
    assert.equal(plain.result.status, 200, plain.result.text);
  });
});

describe("identity headers carry the claim exactly (item 9)", () => {
  test("leading and trailing spaces survive, percent-encoded", async () => {
    const token = await mint({ sub: "  alice ", jti: " jti-spaces", scope: "orders:read " });
    const { result: res, received } = await gate.during(() => send({ path: "/orders/1", headers: bearer(token) }));
    assert.equal(res.status, 200, res.text);
    const h = received[0].headers;
    assert.equal(h["x-portcullis-subject"], "%20%20alice%20");
    assert.equal(h["x-portcullis-token-id"], "%20jti-spaces");
    assert.equal(h["x-portcullis-scopes"], "orders:read%20");
    assert.equal(decodeURIComponent(h["x-portcullis-subject"]), "  alice ");
    const check = await checkAssertion(h["x-portcullis-assertion"], {
      htm: "GET",
      htu: `${gate.origin.url}/orders/1`,
      sub: "  alice ",
      scope: "orders:read ",
      jti: " jti-spaces",
    });
    assert.ok(check.ok, check.out);
  });

  test("without sub, scope or jti the headers are absent and the assertion verifies without them", async () => {
    const token = await mint({ sub: undefined, jti: undefined });
    const { result: res, received } = await gate.during(() =>
      send({ method: "POST", path: "/echo/anonymous-client", headers: bearer(token), body: "x" }),
    );
    assert.equal(res.status, 200, res.text);
    const h = received[0].headers;
    assert.equal(h["x-portcullis-subject"], undefined);
    assert.equal(h["x-portcullis-token-id"], undefined);
    assert.equal(h["x-portcullis-scopes"], undefined);
    const payload = JSON.parse(Buffer.from(h["x-portcullis-assertion"].split(".")[1], "base64url"));
    // rev_ver/rev_age: the revocation list the gate decided with (issue 13), never a token claim.
    assert.deepEqual(Object.keys(payload).sort(), ["exp", "htm", "htu", "iat", "iss", "rev_age", "rev_ver"]);
    const check = await checkAssertion(h["x-portcullis-assertion"], { htm: "POST", htu: `${gate.origin.url}/echo/anonymous-client` });
    assert.ok(check.ok, check.out);
    // The checker can fail: it refuses an assertion that lacks a claim it expects.
    const strict = await checkAssertion(h["x-portcullis-assertion"], { htm: "POST", htu: `${gate.origin.url}/echo/anonymous-client`, sub: "alice" });
    assert.equal(strict.ok, false);
    assert.match(strict.out, /sub: expected/);
  });
});

describe("a CORS preflight goes on without a body (item 11)", () => {
  // Both framings: workerd hands the Worker a Content-Length body of an OPTIONS as empty, but
  // a chunked one as it came.
  for (const framing of ["content-length", "chunked"]) {
    test(`the origin gets the preflight's headers but no body and no content headers (${framing})`, async () => {
      const { result: res, received } = await gate.during(() =>
        send({
          method: "OPTIONS",
          path: "/orders/1",
          headers: {
            origin: "https://app.example",
            "access-control-request-method": "GET",
            "content-type": "application/x-www-form-urlencoded",
            ...(framing === "chunked" ? { "transfer-encoding": "chunked" } : {}),
          },
          body: "smuggled=payload-for-the-origin",
        }),
      );
      assert.equal(res.status, 200, res.text);
      assert.equal(received.length, 1);
      const [seen] = received;
      assert.equal(seen.method, "OPTIONS");
      assert.equal(seen.body, "");
      assert.equal(seen.headers["transfer-encoding"], undefined);
      assert.ok(["0", undefined].includes(seen.headers["content-length"]), seen.headers["content-length"]);
      assert.equal(seen.headers["content-type"], undefined);
      assert.equal(seen.headers["access-control-request-method"], "GET");
    });
  }
});

describe("responses to credentials are private (item 12)", () => {
  /** Answers with `headers` (and the request echoed) while `fn` runs. */
  async function withOriginHeaders(headers, fn) {
    gate.origin.respond = (record, res) => {
      res.writeHead(200, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(record));
    };
    try {
      return await fn();
    } finally {
      gate.origin.respond = null;
    }
  }

  test("a bearer-authorized response gets Cache-Control: private and Vary: Authorization", async () => {
    const token = await mint({ scope: "orders:read" });
    const res = await withOriginHeaders({}, () => send({ path: "/orders/1", headers: bearer(token) }));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers["cache-control"], "private");
    assert.equal(res.headers.vary, "Authorization");
    assert.equal(JSON.parse(res.text).url, "/orders/1", "the body came through");
  });

  test("the origin's own Cache-Control stands and its Vary is extended", async () => {
    const token = await mint({ scope: "orders:read" });
    const res = await withOriginHeaders({ "cache-control": "public, max-age=60", vary: "Accept-Encoding", "set-cookie": ["a=1", "b=2"] }, () =>
      send({ path: "/orders/1", headers: bearer(token) }),
    );
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers["cache-control"], "public, max-age=60");
    assert.equal(res.headers.vary, "Accept-Encoding, Authorization");
    assert.deepEqual(res.headers["set-cookie"], ["a=1", "b=2"]);
  });

  test("a cookie-authorized response varies on Cookie", async () => {
    const token = await mint({ scope: "orders:read" });
    const res = await withOriginHeaders({}, () => send({ path: "/orders/1", headers: { cookie: `${COOKIE}=${token}` } }));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers["cache-control"], "private");
    assert.equal(res.headers.vary, "Cookie");
  });

  test("a public response is handed back untouched", async () => {
    const res = await withOriginHeaders({}, () => send({ path: "/health" }));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers["cache-control"], undefined);
    assert.equal(res.headers.vary, undefined);
  });

  test("the subrequest to the origin is sent with cache mode no-store", async () => {
    const { received } = await gate.during(() => send({ path: "/health" }));
    // workerd marks a `cache: "no-store"` subrequest for the origin (and Cloudflare's cache).
    assert.equal(received[0].headers["cache-control"], "no-cache");
    assert.equal(received[0].headers.pragma, "no-cache");
  });
});

describe("a gate never forwards to itself in a loop (item 14)", () => {
  let loopy;
  const logs = [];
  before(async () => {
    const bindings = standardBindings(undefined);
    delete bindings.ORIGIN_URL;
    loopy = await startWorker({
      bindings,
      options: {
        handleRuntimeStdio: (stdout, stderr) => {
          for (const stream of [stdout, stderr]) stream.on("data", (c) => logs.push(c.toString()));
        },
      },
    });
  });
  after(() => loopy?.dispose());

  test("without ORIGIN_URL, the request that comes back is refused with 508", async () => {
    const res = await rawRequest(loopy.url, { path: "/health", timeoutMs: 10_000 });
    assert.equal(res.status, 508, res.text);
    assert.equal(res.headers["content-type"], "application/problem+json");
    assert.equal(JSON.parse(res.text).type, "urn:portcullis:problem:loop_detected");
    // A protected route loops the same way: the returning request is refused as a loop,
    // not for its missing token.
    const token = await mint({ scope: "orders:read" });
    const protectedRes = await rawRequest(loopy.url, { path: "/orders/1", headers: bearer(token), timeoutMs: 10_000 });
    assert.equal(protectedRes.status, 508, protectedRes.text);
    await new Promise((r) => setTimeout(r, 200));
    const denied = logs.join("").match(/"reason":"loop_detected"/g) ?? [];
    assert.equal(denied.length, 2, "one refused hop per request: the loop stopped at the first return");
  });

  test("a client that sends the marker only gets its own request refused", async () => {
    const htu = `${gate.origin.url}/health`;
    const forged = await gate.during(() => send({ path: "/health", headers: { "x-portcullis-hop": hopMarker("GET", htu) } }));
    assert.equal(forged.result.status, 508);
    assert.equal(forged.received.length, 0);
    // The marker of another request, or garbage, means nothing: forwarded, replaced by the gate's.
    const other = await gate.during(() =>
      send({ path: "/health", headers: { "x-portcullis-hop": `${hopMarker("GET", `${gate.origin.url}/elsewhere`)}, junk` } }),
    );
    assert.equal(other.result.status, 200);
    assert.equal(other.received[0].headers["x-portcullis-hop"], hopMarker("GET", htu));
    const next = await send({ path: "/health" });
    assert.equal(next.status, 200);
  });
});
