// The examples in examples/ (token issuers and origin-side assertion verifiers in Node/jose,
// Python/PyJWT and Go/golang-jwt) run against the real wasm build in workerd: every issuer's
// token passes the gate, and every origin accepts the gate's assertion (signed by the second
// key of a two-key origin ring, so selection by kid is exercised) and refuses forged,
// missing and misdirected ones.
//
// Go runs only where a Go toolchain is installed; without one its cases are SKIPPED with the
// reason (visible in the test report), never passed. With Debian's golang-github-golang-jwt-
// jwt-dev the module comes from /usr/share/gocode (no module proxy needed).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import { SignJWT } from "jose";
import { hmacKey } from "./fixtures.mjs";
import { ROOT, startWorker } from "./harness.mjs";

const EXAMPLES = join(ROOT, "examples");
const DEBIAN_GO_JWT = "/usr/share/gocode/src/github.com/golang-jwt/jwt";
const work = mkdtempSync(join(tmpdir(), "portcullis-examples-"));

// The gate's token ring: the second key signs (issuers must pick it by key_ops).
const tokenOld = hmacKey("t-old");
const tokenNew = hmacKey("t-new");
const TOKEN_RING = { keys: [{ ...tokenOld.jwk, key_ops: ["verify"] }, { ...tokenNew.jwk, key_ops: ["sign", "verify"] }] };
// The origin key ring mid-rotation: the new key signs, the old one still verifies.
const originOld = hmacKey("o-old");
const originNew = hmacKey("o-new");
const ORIGIN_RING = { keys: [{ ...originOld.jwk, key_ops: ["verify"] }, { ...originNew.jwk, key_ops: ["sign", "verify"] }] };
const ROUTES = [{ match: "GET /orders/*", scopes: ["orders:read"] }];

/** Why Go cannot run here, or null; and the env/args to build with. */
function goSetup() {
  if (spawnSync("go", ["version"]).status !== 0) return { reason: "no Go toolchain (`go` not found): Go examples not run" };
  if (!existsSync(DEBIAN_GO_JWT)) return { args: [], env: {} }; // a machine with the module proxy
  const modfile = join(work, "go.test.mod");
  writeFileSync(modfile, `${readFileSync(join(EXAMPLES, "go", "go.mod"), "utf8")}\nreplace github.com/golang-jwt/jwt/v4 => ${DEBIAN_GO_JWT}\n`);
  return { args: [`-modfile=${modfile}`], env: { GOPROXY: "off", GOFLAGS: "-mod=mod" } };
}

const go = goSetup();
if (!go.reason) {
  const built = spawnSync("go", ["build", ...go.args, "-o", `${work}/`, "./issue", "./origin"], {
    cwd: join(EXAMPLES, "go"),
    env: { ...process.env, ...go.env },
    encoding: "utf8",
  });
  // Go is installed, so a build failure is a failure, not a skip.
  if (built.status !== 0) throw new Error(`go build failed:\n${built.stderr}`);
}

const LANGS = {
  node: { issue: ["node", join(EXAMPLES, "node", "issue.mjs")], origin: ["node", join(EXAMPLES, "node", "origin.mjs")] },
  python: { issue: ["python3", join(EXAMPLES, "python", "issue.py")], origin: ["python3", join(EXAMPLES, "python", "origin.py")] },
  go: { issue: [join(work, "issue")], origin: [join(work, "origin")], skip: go.reason },
};
const runnable = Object.entries(LANGS).filter(([, l]) => !l.skip);

function issue(lang, sub) {
  const [cmd, ...args] = LANGS[lang].issue;
  const out = spawnSync(cmd, [...args, sub, "orders:read"], {
    env: { ...process.env, PORTCULLIS_KEYS: JSON.stringify(TOKEN_RING), TOKEN_AUDIENCE: "api", TOKEN_TTL_S: "120" },
    encoding: "utf8",
  });
  assert.equal(out.status, 0, `${lang} issuer: ${out.stderr}`);
  return out.stdout.trim();
}

/** A port the OS says is free now (the origin must know its URL, for htu, before it starts). */
function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(String(port)));
    });
  });
}

/** An assertion as the gate would sign it, with `overrides` to forge one. */
async function assertion(key, claims) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: "portcullis", iat: now, exp: now + 60, ...claims })
    .setProtectedHeader({ alg: "HS256", typ: "JWT", kid: key.kid })
    .sign(key.secret);
}

after(() => rmSync(work, { recursive: true, force: true }));

for (const [lang, l] of Object.entries(LANGS)) {
  describe(`examples/${lang}`, { skip: l.skip ?? false }, () => {
    let origin;
    let gate;
    before(async () => {
      origin = await startPinned(lang, await freePort());
      gate = await startWorker({
        captureLogs: true,
        bindings: {
          PORTCULLIS_KEYS: JSON.stringify(TOKEN_RING),
          PORTCULLIS_ORIGIN_KEY: JSON.stringify(ORIGIN_RING),
          PORTCULLIS_ROUTES: JSON.stringify(ROUTES),
          PORTCULLIS_AUDIENCE: "api",
          ORIGIN_URL: origin.url,
        },
      });
    });
    after(async () => {
      origin?.stop();
      await gate?.dispose();
    });

    test(`every issuer's token passes the gate and the ${lang} origin verifies the assertion`, async () => {
      for (const [issuer] of runnable) {
        const token = issue(issuer, `alice-${issuer}`);
        for (const path of ["/orders/42?page=2", "/orders/caf%C3%A9"]) {
          const res = await gate.fetch(path, { headers: { authorization: `Bearer ${token}` } });
          const body = await res.json();
          assert.equal(res.status, 200, `${issuer} token via ${lang} origin, ${path}: ${JSON.stringify(body)}`);
          assert.equal(body.verified_by, lang);
          assert.equal(body.sub, `alice-${issuer}`);
          assert.equal(body.scope, "orders:read");
          assert.equal(body.htu, origin.url + path.split("?")[0], "htu: no query, path as sent");
        }
      }
    });

    test(`the gate refuses a token without a valid signature before the ${lang} origin sees it`, async () => {
      const token = issue(lang, "mallory");
      const forged = `${token.slice(0, token.lastIndexOf(".") + 1)}${"A".repeat(43)}`;
      const res = await gate.fetch("/orders/1", { headers: { authorization: `Bearer ${forged}` } });
      assert.equal(res.status, 401);
      await res.arrayBuffer();
    });

    test(`the ${lang} origin refuses requests that did not come through the gate`, async () => {
      const htu = `${origin.url}/orders/1`;
      const cases = [
        ["no assertion", undefined, /did not come through the gate/],
        ["wrong key", await assertion(hmacKey("o-new"), { htm: "GET", htu, sub: "x" }), /./],
        ["unknown kid", await assertion(hmacKey("o-other"), { htm: "GET", htu, sub: "x" }), /unknown/],
        ["another URL", await assertion(originNew, { htm: "GET", htu: `${origin.url}/orders/2`, sub: "x" }), /another request/],
        ["another method", await assertion(originNew, { htm: "POST", htu, sub: "x" }), /another request/],
        ["another issuer", await assertion(originNew, { iss: "someone", htm: "GET", htu, sub: "x" }), /./],
        ["expired", await assertion(originNew, { htm: "GET", htu, exp: Math.floor(Date.now() / 1000) - 120 }), /./],
      ];
      for (const [name, value, why] of cases) {
        const res = await fetch(htu, { headers: value ? { "x-portcullis-assertion": value } : {} });
        const body = await res.json();
        assert.equal(res.status, 401, `${name}: ${JSON.stringify(body)}`);
        assert.match(body.error, why, name);
      }
      // The old key of the ring still verifies (an isolate that has not yet taken the
      // rotation signs with it), so the rotation drops no request.
      const old = await assertion(originOld, { htm: "GET", htu, sub: "x" });
      const res = await fetch(htu, { headers: { "x-portcullis-assertion": old } });
      assert.equal(res.status, 200, JSON.stringify(await res.json()));
    });
  });
}

/** Starts a language's origin on `port`, told its own URL. */
function startPinned(lang, port) {
  const url = `http://127.0.0.1:${port}`;
  const [cmd, ...args] = LANGS[lang].origin;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: { ...process.env, PORTCULLIS_ORIGIN_KEY: JSON.stringify(ORIGIN_RING), ORIGIN_URL: url, PORT: port },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c) => (stderr += c));
    const timer = setTimeout(() => reject(new Error(`${lang} origin did not start: ${stderr}`)), 20_000);
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (line === `listening on ${url}`) {
        clearTimeout(timer);
        resolve({ url, stop: () => child.kill() });
      }
    });
    child.on("exit", (code) => reject(new Error(`${lang} origin exited ${code}: ${stderr}`)));
  });
}
