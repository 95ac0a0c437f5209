// The console's link checker in real headless Chromium, against the real Worker in workerd:
// paste a link, see the rule, the format, the expiry, and why the gate would refuse it.
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { SignJWT } from "jose";
import { chromium } from "playwright-core";
import { ROOT, startOrigin, startWorker } from "../e2e/harness.mjs";

const SHOTS = join(ROOT, "test-output", "screenshots");
const CHROMIUM = process.env.CHROMIUM_BIN || "/usr/bin/chromium";
const key = { kid: "k-links", secret: randomBytes(32) };
const b64url = (bytes) => Buffer.from(bytes).toString("base64url");

/** A Portcullis signed URL, built here from the README's format (independent of the CLI). */
function signedUrl(path, exp) {
  const input = `portcullis-signed-url/1\nGET\n${path}\nurl\n\n${exp}\n${key.kid}`;
  const sig = b64url(createHmac("sha256", key.secret).update(input).digest());
  return `http://gate.example${path}?pc_path=${path}&pc_exp=${exp}&pc_kid=${key.kid}&pc_sig=${sig}`;
}

describe("console: check a signed link", () => {
  let origin, worker, context, profile, page, problems;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    origin = await startOrigin();
    worker = await startWorker({
      assets: true,
      bindings: {
        PORTCULLIS_KEYS: JSON.stringify({ keys: [{ kty: "oct", kid: key.kid, alg: "HS256", k: b64url(key.secret) }] }),
        PORTCULLIS_ORIGIN_KEY: JSON.stringify({ kty: "oct", kid: "origin", alg: "HS256", k: b64url(randomBytes(32)) }),
        PORTCULLIS_ROUTES: [
          { match: "GET,HEAD /media/**", auth: "signed_url" },
          { match: "GET /orders/*", scopes: ["orders:read"] },
        ],
        PORTCULLIS_AUDIENCE: "api",
        ORIGIN_URL: origin.url,
      },
    });
    profile = mkdtempSync(join(tmpdir(), "portcullis-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
    });
    page = await context.newPage();
    problems = [];
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    await page.goto(new URL("/_portcullis/console/", worker.url).href);
    const admin = await new SignJWT({ scope: "portcullis:admin" })
      .setProtectedHeader({ alg: "HS256", kid: key.kid })
      .setSubject("operator")
      .setAudience("api")
      .setIssuedAt()
      .setExpirationTime("10m")
      .sign(key.secret);
    await page.getByLabel("Admin token").fill(admin);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator("#signed-in").waitFor();
  });

  after(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await worker?.dispose();
    await origin?.close();
  });

  async function check(url, method = "GET") {
    await page.getByLabel("Link", { exact: true }).fill(url);
    await page.getByLabel("Method").selectOption(method);
    const box = page.locator("#link-verdict");
    await box.evaluate((n) => n.removeAttribute("data-verdict"));
    await page.getByRole("button", { name: "Check link" }).click();
    await page.locator("#link-verdict[data-verdict]").waitFor();
    return { verdict: await box.getAttribute("data-verdict"), text: await box.textContent() };
  }

  test("a valid link shows its rule, format, key and expiry", async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const { verdict, text } = await check(signedUrl("/media/a.mp4", exp));
    assert.equal(verdict, "accepted", text);
    assert.match(text, /Accepted: signed_url/);
    assert.match(text, /rule 0 \(GET,HEAD \/media\/\*\*\), auth signed_url/);
    assert.match(text, /key k-links/);
    assert.match(text, /in (9m|10m)/);
    await page.screenshot({ path: join(SHOTS, "link-accepted.png"), fullPage: true });
  });

  test("each refusal names the gate's reason", async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const url = signedUrl("/media/a.mp4", exp);
    for (const [link, method, code] of [
      [url.replace("/media/a.mp4?", "/media/b.mp4?"), "GET", "signed_for_another_path"],
      [url, "PUT", "no_route"],
      [url.replace(/pc_sig=./, "pc_sig=A"), "GET", "signature_mismatch"],
      [signedUrl("/media/a.mp4", exp - 700), "GET", "signature_expired"],
      ["http://gate.example/media/a.mp4", "GET", "signature_missing"],
    ]) {
      const { verdict, text } = await check(link, method);
      assert.equal(verdict, "refused", `${code}: ${text}`);
      assert.match(text, new RegExp(code), text);
    }
    const { verdict, text } = await check("http://gate.example/orders/1");
    assert.equal(verdict, "needs_token", text);
    assert.match(text, /bearer-token route/);
  });

  test("no script errors or CSP violations", () => {
    assert.deepEqual(problems, []);
  });
});
