// The operator console in real headless Chromium, against the real Worker in workerd
// (Miniflare serving www/ through the ASSETS binding) and a recording origin.
//
// The tests in the first suite are one operator's session, in order: each builds on the
// page state the one before left. Screenshots land in test-output/screenshots/.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { SignJWT } from "jose";
import { chromium } from "playwright-core";
import { GRANT_OBJECTS, ROOT, startOrigin, startWorker } from "../e2e/harness.mjs";

const SHOTS = join(ROOT, "test-output", "screenshots");
const CHROMIUM = process.env.CHROMIUM_BIN || "/usr/bin/chromium";
const AUDIENCE = "api";

const signing = { kid: "k-2026-05", secret: randomBytes(32) };
const retired = { kid: "k-2026-04", secret: randomBytes(32) };
const b64url = (bytes) => Buffer.from(bytes).toString("base64url");

function bindings(originUrl, extra = {}) {
  return {
    PORTCULLIS_KEYS: JSON.stringify({
      keys: [
        { kty: "oct", kid: signing.kid, alg: "HS256", k: b64url(signing.secret), key_ops: ["sign", "verify"] },
        { kty: "oct", kid: retired.kid, alg: "HS256", k: b64url(retired.secret), key_ops: ["verify"] },
      ],
    }),
    PORTCULLIS_ORIGIN_KEY: JSON.stringify({ kty: "oct", kid: "origin", alg: "HS256", k: b64url(randomBytes(32)) }),
    PORTCULLIS_ROUTES: [{ match: "GET /orders/*", scopes: ["orders:read"] }],
    PORTCULLIS_AUDIENCE: AUDIENCE,
    ORIGIN_URL: originUrl,
    ...extra,
  };
}

async function mint({ sub, scope, jti, exp = "10m", key = signing, cnf }) {
  const jwt = new SignJWT(cnf ? { scope, cnf } : { scope }).setProtectedHeader({ alg: "HS256", kid: key.kid }).setIssuedAt();
  jwt.setSubject(sub).setAudience(AUDIENCE).setExpirationTime(exp);
  if (jti) jwt.setJti(jti);
  return jwt.sign(key.secret);
}

async function launch() {
  const profile = mkdtempSync(join(tmpdir(), "portcullis-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1200, height: 900 },
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  // Anything but the Worker under test is a leak: no CDN, no fonts, no telemetry.
  const foreign = [];
  context.on("request", (r) => {
    if (!r.url().startsWith("http://127.0.0.1:")) foreign.push(r.url());
  });
  return {
    context,
    foreign,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Page errors and CSP violations, collected for a final assertion. */
function watch(page) {
  const problems = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  return problems;
}

async function signIn(page, token) {
  await page.getByLabel("Admin token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function inspect(page, token) {
  await page.getByLabel("Token", { exact: true }).fill(token);
  await page.getByRole("button", { name: "Inspect" }).click();
}

describe("operator console, one session", () => {
  let origin, worker, browser, page, problems, consoleUrl;
  let adminToken, aliceToken, bobToken;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    origin = await startOrigin();
    worker = await startWorker({ bindings: bindings(origin.url), assets: true });
    consoleUrl = new URL("/_portcullis/console/", worker.url).href;
    adminToken = await mint({ sub: "operator", scope: "portcullis:admin", jti: "admin-1" });
    aliceToken = await mint({ sub: "alice", scope: "orders:read orders:write", jti: "alice-1", exp: "15m" });
    bobToken = await mint({ sub: "bob", scope: "orders:read", jti: "bob-1" });
    browser = await launch();
    page = await browser.context.newPage();
    problems = watch(page);
    await page.goto(consoleUrl);
  });

  after(async () => {
    await browser?.close();
    await worker?.dispose();
    await origin?.close();
  });

  test("a token without the admin scope is refused with the scope message", async () => {
    await signIn(page, bobToken);
    await page.getByText("token lacks the portcullis:admin scope").waitFor();
    assert.equal(await page.locator("#signed-in").isHidden(), true);
  });

  test("an expired token is refused as invalid or expired, with the gate's detail", async () => {
    const expired = await mint({ sub: "operator", scope: "portcullis:admin", jti: "admin-old", exp: Math.floor(Date.now() / 1000) - 600 });
    await signIn(page, expired);
    const msg = page.locator("#sign-in-msg");
    await msg.getByText("token invalid or expired:").waitFor();
    assert.match(await msg.textContent(), /expired/);
    await page.screenshot({ path: join(SHOTS, "sign-in-refused.png") });
  });

  test("signs in with the keyboard and shows the key ring", async () => {
    await page.getByLabel("Admin token").fill("");
    await page.getByLabel("Admin token").focus();
    await page.keyboard.type(adminToken, { delay: 0 });
    await page.keyboard.press("Enter");
    await page.locator("#signed-in").waitFor();
    const rows = page.locator("#keys-body tr");
    await rows.first().waitFor();
    const text = await rows.allTextContents();
    assert.equal(text.length, 2);
    assert.ok(text.some((t) => t.includes(signing.kid) && t.includes("HS256") && t.includes("signs new tokens")), text.join("|"));
    assert.ok(text.some((t) => t.includes(retired.kid) && t.includes("verifies only")), text.join("|"));
  });

  test("keeps the admin token out of storage, cookies, the URL and the DOM", async () => {
    const seen = await page.evaluate(() => ({
      local: JSON.stringify({ ...localStorage }),
      session: JSON.stringify({ ...sessionStorage }),
      cookie: document.cookie,
      href: location.href,
      html: document.documentElement.outerHTML,
      input: document.getElementById("admin-token").value,
    }));
    for (const [where, value] of Object.entries(seen)) {
      assert.ok(!value.includes(adminToken), `admin token found in ${where}`);
    }
    assert.equal(seen.href, consoleUrl);
    assert.deepEqual(await browser.context.cookies(), []);
  });

  test("inspecting a valid token shows claims decoded locally, scopes as chips and the verdict valid", async () => {
    await inspect(page, aliceToken);
    await page.locator('#verdict[data-verdict="valid"]').waitFor();
    assert.match(await page.locator("#verdict").textContent(), /Gate verdict: valid/);
    const chips = await page.locator("#claims .chips .chip").allTextContents();
    assert.deepEqual(chips, ["orders:read", "orders:write"]);
    const claims = await page.locator("#claims").textContent();
    assert.match(claims, /alice/);
    assert.match(claims, /expires in 1[45]m/);
    assert.match(claims, /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
    assert.match(await page.locator("#inspector").textContent(), /decoded locally, not verified/);
    await page.screenshot({ path: join(SHOTS, "inspect-valid.png"), fullPage: true });
  });

  test("the inspector shows what a token is bound to (cnf)", async () => {
    const jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
    await inspect(page, await mint({ sub: "carol", cnf: { jkt } }));
    await page.locator("#claims .binding-dpop").waitFor();
    assert.match(await page.locator("#claims .binding").textContent(), new RegExp(`DPoP key, jkt ${jkt}`));
    await inspect(page, aliceToken);
    await page.locator("#claims .binding-none").waitFor();
    assert.match(await page.locator("#claims .binding").textContent(), /none \(a bearer token\)/);
  });

  test("cancelling the confirmation revokes nothing", async () => {
    await page.getByRole("button", { name: "Revoke this token" }).click();
    const dialog = page.getByRole("dialog", { name: "Confirm revocation" });
    await dialog.waitFor();
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    const res = await worker.fetch("/_portcullis/revocations", { headers: { authorization: `Bearer ${adminToken}` } });
    assert.deepEqual((await res.json()).revocations, []);
  });

  test("revokes the inspected token after confirmation; the list shows it and the gate refuses it", async () => {
    await page.getByRole("button", { name: "Revoke this token" }).click();
    const dialog = page.getByRole("dialog", { name: "Confirm revocation" });
    await dialog.waitFor();
    assert.match(await dialog.textContent(), /alice-1/);
    await page.screenshot({ path: join(SHOTS, "confirm.png") });
    await dialog.getByRole("button", { name: "Revoke" }).click();
    await page.locator("#inspect-msg.ok").waitFor();
    const row = page.locator("#revocations-body tr", { hasText: "alice-1" });
    await row.waitFor();
    assert.match(await row.textContent(), /jti/);
    assert.match(await row.textContent(), /admin/, "a console revocation is recorded as reason admin");
    assert.match(await row.textContent(), /expires in/);
    const res = await fetch(new URL("/orders/1", worker.url), { headers: { authorization: `Bearer ${aliceToken}` } });
    assert.equal(res.status, 401);
    assert.equal((await res.json()).type, "urn:portcullis:problem:revoked");
  });

  test("inspecting the revoked token again shows inactive, revoked by the listed revocation", async () => {
    await inspect(page, aliceToken);
    await page.locator('#verdict[data-verdict="revoked"]').waitFor();
    // The gate says only "inactive" (RFC 7662 2.2); the console finds the revocation itself.
    assert.match(await page.locator("#verdict").textContent(), /Gate verdict: inactive \(revoked\)/);
    await page.screenshot({ path: join(SHOTS, "desktop.png"), fullPage: true });
  });

  test("a token signed with an unknown key gets the verdict inactive, unknown kid", async () => {
    const stranger = await mint({ sub: "mallory", scope: "orders:read", jti: "m-1", key: { kid: "k-stranger", secret: randomBytes(32) } });
    await inspect(page, stranger);
    await page.locator('#verdict[data-verdict="unknown_kid"]').waitFor();
    assert.match(await page.locator("#verdict").textContent(), /Gate verdict: inactive \(unknown kid\)/);
  });

  test("an expired token gets the verdict inactive, expired by its exp claim", async () => {
    const old = await mint({ sub: "dave", scope: "orders:read", jti: "d-1", exp: Math.floor(Date.now() / 1000) - 600 });
    await inspect(page, old);
    await page.locator('#verdict[data-verdict="expired"]').waitFor();
    assert.match(await page.locator("#verdict").textContent(), /Gate verdict: inactive \(expired\)/);
  });

  test("a token with a bad signature is inactive, and the console does not guess why", async () => {
    const forged = await mint({ sub: "eve", scope: "orders:read", jti: "e-1", key: { kid: signing.kid, secret: randomBytes(32) } });
    await inspect(page, forged);
    await page.locator('#verdict[data-verdict="inactive"]').waitFor();
    assert.match(await page.locator("#verdict").textContent(), /Gate verdict: inactive.*does not say why/);
  });

  test("revokes everything for a subject after confirmation", async () => {
    await inspect(page, bobToken);
    await page.locator('#verdict[data-verdict="valid"]').waitFor();
    await page.getByRole("button", { name: "Revoke everything for this subject" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Revoke" }).click();
    await page.locator('#verdict[data-verdict="revoked"]').waitFor();
    const row = page.locator("#revocations-body tr", { hasText: "bob" });
    assert.match(await row.textContent(), /sub/);
  });

  test("picks up revocations made elsewhere within about ten seconds", { timeout: 20_000 }, async () => {
    const res = await worker.fetch("/_portcullis/revocations", {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ jti: "elsewhere-7", reason: "leaked" }),
    });
    assert.equal(res.status, 201);
    const row = page.locator("#revocations-body tr", { hasText: "elsewhere-7" });
    await row.waitFor({ timeout: 15_000 });
    assert.match(await row.locator('[data-label="Reason"]').textContent(), /^leaked$/);
  });

  test("loaded only from the Worker, with no script errors or CSP violations", () => {
    assert.deepEqual(browser.foreign, []);
    assert.deepEqual(problems.filter((p) => !p.includes("401") && !p.includes("403")), []);
  });

  test("signing out forgets the session", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Admin token").waitFor();
    assert.equal(await page.locator("#signed-in").isHidden(), true);
    assert.equal(await page.locator("#keys-body tr").count(), 0);
  });
});

describe("operator console on a narrow screen, under a custom admin prefix", () => {
  let origin, worker, browser;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    origin = await startOrigin();
    worker = await startWorker({ bindings: bindings(origin.url, { PORTCULLIS_ADMIN_PREFIX: "/ops/gate" }), assets: true });
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await worker?.dispose();
    await origin?.close();
  });

  test("derives the API prefix from its own address and fits 360 px without sideways scrolling", async () => {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 360, height: 780 });
    await page.goto(new URL("/ops/gate/console", worker.url).href); // redirected to .../console/
    assert.equal(new URL(page.url()).pathname, "/ops/gate/console/");
    await signIn(page, await mint({ sub: "operator", scope: "portcullis:admin", jti: "admin-n" }));
    await page.locator("#keys-body tr").first().waitFor();
    await inspect(page, await mint({ sub: "carol@example.com", scope: "orders:read orders:write reports:read", jti: "carol-1" }));
    await page.locator('#verdict[data-verdict="valid"]').waitFor();
    await page.getByRole("button", { name: "Revoke everything for this subject" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Revoke" }).click();
    await page.locator("#revocations-body tr", { hasText: "carol@example.com" }).waitFor();
    await page.locator('#verdict[data-verdict="revoked"]').waitFor();
    const widths = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, view: innerWidth }));
    assert.ok(widths.doc <= widths.view, `page is ${widths.doc}px wide in a ${widths.view}px viewport`);
    await page.screenshot({ path: join(SHOTS, "narrow.png"), fullPage: true });
    assert.ok(origin.requests.every((r) => !r.url.includes("console")), "a console request reached the origin");
  });

  test("focus is visible on keyboard navigation", async () => {
    const page = await browser.context.newPage();
    await page.goto(new URL("/ops/gate/console/", worker.url).href);
    await page.keyboard.press("Tab");
    const outline = await page.evaluate(() => {
      const s = getComputedStyle(document.activeElement);
      return { tag: document.activeElement.tagName, style: s.outlineStyle, width: parseFloat(s.outlineWidth) };
    });
    assert.notEqual(outline.tag, "BODY");
    assert.equal(outline.style, "solid");
    assert.ok(outline.width >= 2, JSON.stringify(outline));
  });
});

describe("operator console, live counters panel", () => {
  let origin, worker, browser, page, problems;

  before(async () => {
    origin = await startOrigin();
    worker = await startWorker({ bindings: bindings(origin.url), assets: true });
    browser = await launch();
    page = await browser.context.newPage();
    problems = watch(page);
    await page.goto(new URL("/_portcullis/console/", worker.url).href);
    await signIn(page, await mint({ sub: "operator", scope: "portcullis:admin" }));
    await page.locator("#signed-in").waitFor();
  });

  after(async () => {
    await browser?.close();
    await worker?.dispose();
    await origin?.close();
  });

  const gate = async (path, token) => {
    const res = await fetch(new URL(path, worker.url), { headers: token ? { authorization: `Bearer ${token}` } : {} });
    await res.arrayBuffer();
    return res.status;
  };
  const refresh = async () => {
    const before = await page.locator("#live-status").textContent();
    await page.locator("#live-refresh").click();
    await page.waitForFunction((b) => document.getElementById("live-status").textContent !== b, before);
  };

  test("shows the gate's allowed and denied counts by reason, the list version, and a chart", async () => {
    await page.locator("#live-status").getByText("this isolate").waitFor();
    await refresh(); // a first sample, so the next poll draws a bar
    const reader = await mint({ sub: "carol", scope: "orders:read" });
    const statuses = [await gate("/orders/1", reader), await gate("/orders/2", reader), await gate("/orders/3", reader), await gate("/orders/1"), await gate("/elsewhere", reader)];
    assert.deepEqual(statuses, [200, 200, 200, 401, 403]);
    await new Promise((r) => setTimeout(r, 1100)); // a fresh updated-at time for the status line
    await refresh();

    assert.equal(await page.locator("#live-allowed").textContent(), "3");
    assert.equal(await page.locator("#live-denied").textContent(), "2");
    const row = (reason) => page.locator(`#live-body tr[data-reason="${reason}"]`);
    assert.match(await row("authorized").textContent(), /allowed\s*authorized\s*3/);
    assert.match(await row("missing_token").textContent(), /denied\s*missing_token\s*1/);
    assert.match(await row("no_route").textContent(), /denied\s*no_route\s*1/);
    // The token checks loaded the revocation list: the writer's version and when it was built.
    assert.match(await page.locator("#live-list").textContent(), /^version \d+ \(built \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, .* ago\), 0 entries, copy confirmed current .* ago$/);
    // One bar for the interval: 3 allowed under 2 denied, in proportion.
    const bars = await page.evaluate(() =>
      [...document.querySelectorAll("#live-chart rect")].map((r) => ({ cls: r.getAttribute("class"), h: Number(r.getAttribute("height")) })),
    );
    const allowed = bars.filter((b) => b.cls === "allowed");
    const denied = bars.filter((b) => b.cls === "denied");
    assert.equal(allowed.length, 1, JSON.stringify(bars));
    assert.equal(denied.length, 1, JSON.stringify(bars));
    assert.ok(Math.abs(allowed[0].h / denied[0].h - 1.5) < 0.01, JSON.stringify(bars));
    await page.locator("#live").screenshot({ path: join(SHOTS, "live-counters.png") });
    assert.deepEqual(problems, []);
  });

  test("signing out stops the panel and clears it", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.locator("#sign-in").waitFor();
    assert.equal(await page.locator("#live-body tr").count(), 0);
    assert.equal(await page.locator("#live-chart rect").count(), 0);
  });
});

describe("operator console, a subject's sessions", () => {
  let origin, worker, browser, page, problems, issuer, admin;
  const grants = [];
  const api = (path, init = {}) => worker.fetch(`/_portcullis${path}`, init);
  const open = async (sub, client_id) => {
    const res = await api("/grants", {
      method: "POST",
      headers: { authorization: `Bearer ${issuer}`, "content-type": "application/json" },
      body: JSON.stringify({ sub, scope: "orders:read", client_id }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const body = await res.json();
    return { ...body, sid: JSON.parse(Buffer.from(body.access_token.split(".")[1], "base64url")).sid };
  };
  const refresh = async (rt) => {
    const res = await api("/token", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `grant_type=refresh_token&refresh_token=${rt}` });
    return res.status;
  };
  const gate = async (token) => (await fetch(new URL("/orders/1", worker.url), { headers: { authorization: `Bearer ${token}` } })).status;

  before(async () => {
    origin = await startOrigin();
    worker = await startWorker({ bindings: bindings(origin.url), assets: true, options: { durableObjects: GRANT_OBJECTS } });
    issuer = await mint({ sub: "login-app", scope: "portcullis:issue" });
    admin = await mint({ sub: "operator", scope: "portcullis:admin" });
    for (const client of ["web", "ios", "cli"]) grants.push(await open("dora", client));
    grants.push(await open("erin", "web"));
    assert.equal(await refresh(grants[1].refresh_token), 200);
    browser = await launch();
    page = await browser.context.newPage();
    problems = watch(page);
    await page.goto(new URL("/_portcullis/console/", worker.url).href);
    await signIn(page, admin);
    await page.locator("#signed-in").waitFor();
  });

  after(async () => {
    await browser?.close();
    await worker?.dispose();
    await origin?.close();
  });

  const rows = () => page.locator("#sessions-body tr[data-sid]");
  const confirm = async () => {
    const dialog = page.getByRole("dialog", { name: "Confirm revocation" });
    await dialog.waitFor();
    await dialog.getByRole("button", { name: "Revoke" }).click();
    await dialog.waitFor({ state: "hidden" });
  };

  test("lists the subject's active grants with their times, and no secret", async () => {
    await page.getByRole("textbox", { name: "Subject (sub)" }).fill("dora");
    await page.getByRole("button", { name: "Show active grants" }).click();
    await page.locator("#sessions-result").waitFor();
    assert.equal(await rows().count(), 3);
    const text = await page.locator("#sessions").textContent();
    for (const g of grants.slice(0, 3)) assert.match(text, new RegExp(g.sid));
    assert.ok(!text.includes(grants[3].sid), "another subject's grant is not listed");
    const ios = await page.locator(`#sessions-body tr[data-sid="${grants[1].sid}"]`).textContent();
    assert.match(ios, /ios/);
    assert.match(ios, /refreshed .* ago|refreshed now/);
    assert.match(ios, /idles out in 6d|idles out in 7d/);
    const html = await page.content();
    assert.ok(!html.includes("pcrt_"), "no refresh token in the page");
    assert.match(await page.locator("#sessions-status").textContent(), /3 active for “dora”/);
    await page.screenshot({ path: join(SHOTS, "sessions.png"), fullPage: true });
  });

  test("ends one session after confirmation: its access token is refused", async () => {
    const g = grants[0];
    await page.getByRole("button", { name: `End session ${g.sid}` }).click();
    await confirm();
    await page.locator("#sessions-msg").getByText(`ended session ${g.sid}`).waitFor();
    assert.equal(await rows().count(), 2);
    assert.equal(await gate(g.access_token), 401);
    assert.equal(await refresh(g.refresh_token), 400);
    // The revocations list shows the one sid entry.
    await page.locator("#revocations-body").getByText(g.sid).waitFor();
  });

  test("the inspector offers to end the session of a grant's access token", async () => {
    await inspect(page, grants[3].access_token);
    await page.locator("#revoke-session").waitFor();
    await inspect(page, admin);
    await page.locator("#revoke-session").waitFor({ state: "hidden" });
  });

  test("ends all of the subject's sessions; another subject keeps its own", async () => {
    await page.getByRole("button", { name: "End all sessions" }).click();
    await confirm();
    await page.locator("#sessions-msg").getByText("ended 2 sessions of “dora”").waitFor();
    assert.equal(await rows().count(), 0);
    assert.match(await page.locator("#sessions-body").textContent(), /no active grant/);
    for (const g of grants.slice(1, 3)) assert.equal(await gate(g.access_token), 401);
    assert.equal(await gate(grants[3].access_token), 200);
    assert.deepEqual(problems, []);
  });

  test("signing out clears the list", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.locator("#sign-in").waitFor();
    assert.equal(await rows().count(), 0);
    assert.equal(await page.locator("#sessions-result").isHidden(), true);
  });
});
