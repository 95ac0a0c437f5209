// End-to-end: signed links on the REAL wasm build in workerd (Miniflare), in front of a
// recording origin. Portcullis links are minted by the CLI (`portcullis sign-url`); the
// compatibility links are the public worked example and tokens built here with node:crypto
// from the grammar of tests/vectors/edge-tokens/ (their own timestamps are years old).
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { AUDIENCE, KEYS, checkAssertion, ensurePyJWT, hmacKey, mint, nowS, rawRequest, startGate } from "./fixtures.mjs";
import { vectors } from "./harness.mjs";
import { portcullisCli } from "./revocation-fixtures.mjs";

const CF_KEY = "cloudflare";
const akamaiVectors = vectors("edge-tokens/akamai_edgeauth2.json").cases;
const cloudflareVectors = vectors("edge-tokens/cloudflare_timed_hmac_v0.json").cases;
const AKAMAI_KEY = akamaiVectors[0].key_hex;

const ROUTES = [
  { match: "GET,HEAD,PUT /media/**", auth: "signed_url" },
  // The public worked example is from 2022: a ten-year ttl lets the real clock accept it.
  { match: "GET /tokenauth/*", auth: "cloudflare_hmac_v0", signed: { ttl_s: 315360000 } },
  { match: "GET /cf/*", auth: "cloudflare_hmac_v0", signed: { ttl_s: 60, urlsafe: true } },
  { match: "GET /akamai/**", auth: "akamai_edgeauth2" },
  { match: "GET /target/url", auth: "akamai_edgeauth2", signed: { mode: "url" } },
  { match: "GET /akc/**", auth: "akamai_edgeauth2", signed: { location: "cookie" } },
  { match: "GET /akh/**", auth: "akamai_edgeauth2", signed: { location: "header", token_name: "x-edge-token" } },
  { match: "* /echo/**", scopes: [] },
];

/** Asserts a 403 signed-link refusal with exactly this code; returns the problem. */
function assertRefused(res, code) {
  assert.equal(res.status, 403, res.text);
  assert.equal(res.headers["content-type"], "application/problem+json");
  const problem = JSON.parse(res.text);
  assert.equal(problem.type, `urn:portcullis:problem:${code}`);
  assert.equal(res.headers["www-authenticate"], undefined);
  return problem;
}

const pathOf = (url) => {
  const u = new URL(url, "http://x");
  return `${u.pathname}${u.search}`;
};

const sigOf = (url) => new URL(url, "http://x").searchParams.get("pc_sig");

/** An Akamai token per the vectors' grammar, built with node:crypto (hex key, SHA-256 unless
 * `alg` says sha1 or md5). */
function akamaiToken(fields, { url, salt, d = "~", alg = "sha256" } = {}) {
  const signed = fields.join(d);
  const input = [signed, ...(url ? [`url=${url}`] : []), ...(salt ? [`salt=${salt}`] : [])].join(d);
  const hmac = createHmac(alg, Buffer.from(AKAMAI_KEY, "hex")).update(input).digest("hex");
  return `${signed}${d}hmac=${hmac}`;
}

describe("signed URLs on the wasm build", () => {
  let gate;
  let cli;
  let dir;
  let ring;
  const stranger = hmacKey("k-stranger");

  before(async () => {
    ensurePyJWT();
    cli = await portcullisCli();
    dir = mkdtempSync(join(tmpdir(), "pc-signed-"));
    ring = join(dir, "ring.json");
    writeFileSync(ring, JSON.stringify({ keys: [KEYS.current.jwk, KEYS.next.jwk, stranger.jwk] }));
    gate = await startGate({
      bindings: {
        PORTCULLIS_ROUTES: JSON.stringify(ROUTES),
        PORTCULLIS_CLOUDFLARE_HMAC_KEY: CF_KEY,
        PORTCULLIS_AKAMAI_KEY: AKAMAI_KEY,
      },
    });
  });
  after(async () => {
    await gate?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const sign = async (...args) => {
    const out = await cli(["sign-url", "--keys", ring, ...args]);
    assert.equal(out.code, 0, out.stderr);
    return out.stdout.trim();
  };
  const get = (path, init = {}) => rawRequest(gate.worker.url, { path, ...init });

  test("a CLI-minted link opens its path for GET and HEAD, without its signature reaching the origin", async () => {
    const url = await sign("--kid", KEYS.current.kid, "--ttl", "10m", "http://gate/media/a.mp4?w=640");
    const { result: res, received } = await gate.during(() => get(pathOf(url)));
    assert.equal(res.status, 200, res.text);
    assert.equal(received.length, 1);
    assert.equal(received[0].url, "/media/a.mp4?w=640");
    const assertion = received[0].headers["x-portcullis-assertion"];
    const checked = await checkAssertion(assertion, { htm: "GET", htu: `${gate.origin.url}/media/a.mp4` });
    assert.ok(checked.ok, checked.out);
    const claims = JSON.parse(Buffer.from(assertion.split(".")[1], "base64url"));
    assert.equal(claims.auth, "signed_url");
    assert.equal(claims.kid, KEYS.current.kid);
    assert.equal(claims.link_exp, Number(new URL(url).searchParams.get("pc_exp")));
    assert.equal((await get(pathOf(url), { method: "HEAD" })).status, 200);
    assert.ok(!gate.logs().includes(sigOf(url)), "the signature is never logged");
    assert.match(gate.logs(), /signed_url_valid/);
  });

  test("every refusal has its own 403 reason", async () => {
    const url = await sign("--kid", KEYS.current.kid, "--ttl", "10m", "http://gate/media/a.mp4?w=640");
    const p = pathOf(url);
    assertRefused(await get(p, { method: "PUT" }), "signed_for_another_method");
    assertRefused(await get(p.replace("/media/a.mp4", "/media/b.mp4")), "signed_for_another_path");
    assertRefused(await get(p.replace("w=640", "w=641")), "signature_mismatch");
    assertRefused(await get(`${p}&extra=1`), "signature_mismatch");
    assertRefused(await get("/media/a.mp4?w=640"), "signature_missing");
    assertRefused(await get(`${p}&pc_exp=1`), "signature_malformed");
    const strangers = await sign("--kid", stranger.kid, "http://gate/media/a.mp4");
    assertRefused(await get(pathOf(strangers)), "signature_unknown_kid");
    const tooLong = await sign("--kid", KEYS.current.kid, "--ttl", "2h", "http://gate/media/a.mp4");
    assertRefused(await get(pathOf(tooLong)), "signature_lifetime_too_long");
    const short = await sign("--kid", KEYS.current.kid, "--ttl", "2s", "http://gate/media/a.mp4");
    assert.equal((await get(pathOf(short))).status, 200);
    const exp = Number(new URL(short).searchParams.get("pc_exp"));
    await new Promise((r) => setTimeout(r, Math.max(0, exp * 1000 - Date.now()) + 1100));
    assertRefused(await get(pathOf(short)), "signature_expired");
    // The bearer-token rule is unchanged: a token in the query is refused on every route.
    assert.equal((await get("/media/a.mp4?access_token=x")).status, 400);
  });

  test("a revoked kid closes every link it signed", async () => {
    const url = await sign("--kid", KEYS.next.kid, "http://gate/media/r.mp4");
    assert.equal((await get(pathOf(url))).status, 200);
    const admin = await mint({ scope: "portcullis:admin", aud: AUDIENCE });
    const revoke = await gate.worker.fetch("/_portcullis/revocations", {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify({ kid: KEYS.next.kid }),
    });
    assert.equal(revoke.status, 201, await revoke.text());
    assertRefused(await get(pathOf(url)), "signature_key_revoked");
  });

  test("a prefix link opens every path under its prefix and nothing else", async () => {
    const url = await sign("--kid", KEYS.current.kid, "--prefix", "http://gate/media/show/index.m3u8");
    const q = new URL(url).search;
    for (const path of ["/media/show/index.m3u8", "/media/show/1/seg.ts"]) {
      assert.equal((await get(`${path}${q}`)).status, 200, path);
    }
    assertRefused(await get(`/media/other.ts${q}`), "signed_for_another_path");
    assertRefused(await get(`/media/show/../other.ts${q}`), "signed_for_another_path");
  });

  test("a signed cookie opens its prefix and nothing else", async () => {
    const url = await sign("--kid", KEYS.current.kid, "--prefix-path", "/media/show/", "--cookie", "http://gate/media/show/index.m3u8");
    const res = await get(pathOf(url));
    assert.equal(res.status, 303, res.text);
    assert.equal(res.headers.location, "/media/show/index.m3u8");
    const setCookie = res.headers["set-cookie"][0];
    for (const attr of ["Path=/media/show/", "HttpOnly", "Secure", "SameSite=Lax", "Max-Age="]) {
      assert.ok(setCookie.includes(attr), setCookie);
    }
    const cookie = `theme=dark; ${setCookie.split(";")[0]}`;
    const { result: seg, received } = await gate.during(() => get("/media/show/2/seg.ts", { headers: { cookie } }));
    assert.equal(seg.status, 200, seg.text);
    assert.equal(received[0].headers.cookie, "theme=dark", "the signed cookie stays at the gate");
    assertRefused(await get("/media/other/seg.ts", { headers: { cookie } }), "signed_for_another_path");
    assertRefused(await get("/media/show/2/seg.ts", { method: "PUT", headers: { cookie } }), "signed_for_another_method");
    // Change a character inside the signature (not the last, whose low bits may be padding) to
    // one it is not, so the tampered cookie always differs from the signed one.
    const at = cookie.length - 3;
    const tampered = cookie.slice(0, at) + (cookie[at] === "A" ? "B" : "A") + cookie.slice(at + 1);
    assertRefused(await get("/media/show/2/seg.ts", { headers: { cookie: tampered } }), "signature_mismatch");
    assertRefused(await get("/media/show/2/seg.ts"), "signature_missing");
  });

  test("cloudflare_hmac_v0: the public worked example and a fresh URL-safe link", async () => {
    const example = cloudflareVectors.find((c) => c.name === "std-b64-urlencoded-valid-1657026353");
    const { result: res, received } = await gate.during(() => get(example.message_mac));
    assert.equal(res.status, 200, res.text);
    assert.equal(received[0].url, "/tokenauth/kayak.mp4", "the verify parameter is stripped");
    const other = cloudflareVectors.find((c) => c.name === "other-path-1657026353");
    assertRefused(await get(other.message_mac), "signature_mismatch");
    const ts = String(nowS());
    const mac = createHmac("sha256", CF_KEY).update(`/cf/a.mp4?x=1${ts}`).digest("base64url");
    const fresh = `/cf/a.mp4?x=1&verify=${ts}-${mac}`;
    const { result: ok, received: got } = await gate.during(() => get(fresh));
    assert.equal(ok.status, 200, ok.text);
    assert.equal(got[0].url, "/cf/a.mp4?x=1");
    const old = String(nowS() - 61);
    const oldMac = createHmac("sha256", CF_KEY).update(`/cf/a.mp4${old}`).digest("base64url");
    assertRefused(await get(`/cf/a.mp4?verify=${old}-${oldMac}`), "signature_expired");
  });

  test("akamai_edgeauth2: the vectors' grammar in query, cookie and header, ACL and URL mode", async () => {
    const st = nowS() - 10;
    const exp = nowS() + 600;
    const acl = akamaiToken([`st=${st}`, `exp=${exp}`, "acl=/akamai/*"]);
    const { result: res, received } = await gate.during(() => get(`/akamai/v/seg.ts?a=1&__token__=${encodeURIComponent(acl)}`));
    assert.equal(res.status, 200, res.text);
    assert.equal(received[0].url, "/akamai/v/seg.ts?a=1");
    // The vectors' multi-ACL case, with `!` between patterns.
    const multi = akamaiToken([`st=${st}`, `exp=${exp}`, "acl=/path1!/akamai/two/*"]);
    assert.equal((await get(`/akamai/two/x?__token__=${encodeURIComponent(multi)}`)).status, 200);
    assertRefused(await get(`/akamai/one?__token__=${encodeURIComponent(multi)}`), "signed_for_another_path");
    const url = akamaiToken([`st=${st}`, `exp=${exp}`], { url: "/target/url" });
    assert.equal((await get(`/target/url?__token__=${encodeURIComponent(url)}`)).status, 200);
    const tampered = akamaiToken([`st=${st}`, `exp=${exp}`, "acl=/akamai/*"]).replace("acl=/akamai/*", "acl=/*");
    assertRefused(await get(`/akamai/x?__token__=${encodeURIComponent(tampered)}`), "signature_mismatch");
    const expired = akamaiToken([`st=${st - 100}`, `exp=${st}`, "acl=/*"]);
    assertRefused(await get(`/akamai/x?__token__=${encodeURIComponent(expired)}`), "signature_expired");
    const early = akamaiToken([`st=${exp}`, `exp=${exp + 10}`, "acl=/*"]);
    assertRefused(await get(`/akamai/x?__token__=${encodeURIComponent(early)}`), "signature_not_yet_valid");
    const { result: c, received: rc } = await gate.during(() =>
      get("/akc/a", { headers: { cookie: `__token__=${acl.replace("acl=/akamai/*", "acl=/akc/*")}; keep=1` } }),
    );
    assertRefused(c, "signature_mismatch"); // the ACL is signed: editing it breaks the MAC
    assert.equal(rc.length, 0);
    const cookieToken = akamaiToken([`st=${st}`, `exp=${exp}`, "acl=/akc/*"]);
    const { result: c2, received: rc2 } = await gate.during(() =>
      get("/akc/a", { headers: { cookie: `__token__=${cookieToken}; keep=1` } }),
    );
    assert.equal(c2.status, 200, c2.text);
    assert.equal(rc2[0].headers.cookie, "keep=1");
    const headerToken = akamaiToken([`exp=${exp}`, "acl=/akh/*"]);
    const { result: h, received: rh } = await gate.during(() => get("/akh/a", { headers: { "x-edge-token": headerToken } }));
    assert.equal(h.status, 200, h.text);
    assert.equal(rh[0].headers["x-edge-token"], undefined, "the token header stays at the gate");
    assertRefused(await get("/akh/a"), "signature_missing");
  });
});

describe("akamai_edgeauth2 with PORTCULLIS_AKAMAI_ALGORITHM = sha1 (opt-in legacy MAC)", () => {
  let gate;
  before(async () => {
    gate = await startGate({
      bindings: {
        PORTCULLIS_ROUTES: JSON.stringify([{ match: "GET /akamai/**", auth: "akamai_edgeauth2" }]),
        PORTCULLIS_AKAMAI_KEY: AKAMAI_KEY,
        PORTCULLIS_AKAMAI_ALGORITHM: "sha1",
      },
    });
  });
  after(async () => gate?.stop());
  const get = (path) => rawRequest(gate.worker.url, { path });

  test("HMAC-SHA1 and SHA-256 tokens open their ACL, MD5 ones do not, and the gate warns once", async () => {
    const st = nowS() - 10;
    const fields = [`st=${st}`, `exp=${st + 600}`, "acl=/akamai/*"];
    const sha1 = akamaiToken(fields, { alg: "sha1" });
    assert.match(sha1, /~hmac=[0-9a-f]{40}$/);
    const { result: res, received } = await gate.during(() => get(`/akamai/a.ts?__token__=${encodeURIComponent(sha1)}`));
    assert.equal(res.status, 200, res.text);
    assert.equal(received[0].url, "/akamai/a.ts");
    assert.equal((await get(`/akamai/b.ts?__token__=${encodeURIComponent(sha1)}`)).status, 200);
    const sha256 = akamaiToken(fields);
    assert.equal((await get(`/akamai/a.ts?__token__=${encodeURIComponent(sha256)}`)).status, 200);
    const md5 = akamaiToken(fields, { alg: "md5" });
    assertRefused(await get(`/akamai/a.ts?__token__=${encodeURIComponent(md5)}`), "signature_mismatch");
    const sha1Elsewhere = akamaiToken([`st=${st}`, `exp=${st + 600}`, "acl=/other/*"], { alg: "sha1" });
    assertRefused(await get(`/akamai/a.ts?__token__=${encodeURIComponent(sha1Elsewhere)}`), "signed_for_another_path");
    const warnings = gate.logs().split("\n").filter((l) => l.includes('"event":"config_warning"'));
    assert.equal(warnings.length, 1, gate.logs());
    assert.match(warnings[0], /"setting":"PORTCULLIS_AKAMAI_ALGORITHM"/);
    assert.match(warnings[0], /"algorithm":"sha1"/);
    assert.match(warnings[0], /SHA-1 is broken for collisions/);
    assert.ok(!gate.logs().includes(AKAMAI_KEY), "the key is never logged");
  });
});
