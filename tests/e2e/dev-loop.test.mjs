// `make dev` as a user meets it (scripts/dev.sh, the real wrangler dev): with routes that are
// NOT the demo's and an audience set, every curl line the banner prints is run and must get
// the status its comment promises; the console URL it prints answers; Ctrl-C leaves no
// server behind. The config lives in a scratch directory (WRANGLER_CONFIG), so the user's own
// .dev.vars and .wrangler/state are never touched.
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ROOT } from "./harness.mjs";

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const listening = (port) =>
  new Promise((resolve) => {
    const c = connect(port, "127.0.0.1");
    c.on("connect", () => (c.destroy(), resolve(true)));
    c.on("error", () => resolve(false));
  });

// The project's wrangler.toml and wrangler.objects.toml with their own routes replaced,
// paths made absolute.
function scratchConfig(dir) {
  const base = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const head = base
    .split("[[vars.PORTCULLIS_ROUTES]]")[0]
    .replace('main = "build/index.js"', `main = "${join(ROOT, "build", "index.js")}"`)
    .replace('directory = "www"', `directory = "${join(ROOT, "www")}"`);
  const routes = `
[vars]
PORTCULLIS_AUDIENCE = "dev-loop-api"

[[vars.PORTCULLIS_ROUTES]]
match = "GET,HEAD /status"
public = true

[[vars.PORTCULLIS_ROUTES]]
match = "GET /reports/*"
scopes = ["reports:read"]

[[vars.PORTCULLIS_ROUTES]]
match = "POST,PUT /items/**"
scopes = []
`;
  writeFileSync(join(dir, "wrangler.toml"), head + routes);
  // The Durable Objects' script beside it, with the same settings (scripts/same-settings.sh).
  const objects = readFileSync(join(ROOT, "wrangler.objects.toml"), "utf8")
    .split("[[vars.PORTCULLIS_ROUTES]]")[0]
    .replace('main = "build-objects/index.js"', `main = "${join(ROOT, "build-objects", "index.js")}"`);
  writeFileSync(join(dir, "wrangler.objects.toml"), objects + routes);
}

describe("make dev (scripts/dev.sh)", { timeout: 300_000 }, () => {
  let dir, dev, output = "", ports;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "portcullis-dev-loop-"));
    scratchConfig(dir);
    ports = { gate: await freePort(), origin: await freePort(), inspector: await freePort() };
    dev = spawn(join(ROOT, "scripts", "dev.sh"), ["--inspector-port", String(ports.inspector)], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(ports.gate), ORIGIN_PORT: String(ports.origin), WRANGLER_CONFIG: join(dir, "wrangler.toml"), CI: "true", WRANGLER_SEND_METRICS: "false" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    dev.stdout.on("data", (d) => (output += d));
    dev.stderr.on("data", (d) => (output += d));
    await new Promise((resolve, reject) => {
      const timer = setInterval(() => {
        if (/^dev: ready in \d+s$/m.test(output)) return clearInterval(timer), resolve();
        if (dev.exitCode !== null) return clearInterval(timer), reject(new Error(`dev.sh exited ${dev.exitCode}:\n${output}`));
      }, 200);
    });
  });
  after(async () => {
    if (dev && dev.exitCode === null) dev.kill("SIGTERM");
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("prints progress for the slow steps", () => {
    for (const step of ["building the portcullis CLI", "starting wrangler dev"]) {
      assert.match(output, new RegExp(`^dev: ${step}.* \\.\\.\\.$`, "m"), step);
    }
    assert.match(output, /^dev: {3}done in \d+s$/m);
  });

  test("every curl line of the banner gets the status its comment promises", () => {
    const lines = output.split("\n");
    const env = { ...process.env };
    for (const l of lines) {
      const m = l.match(/^export (\w+)='([^']*)'/);
      if (m) env[m[1]] = m[2];
    }
    assert.ok(env.TOKEN && env.OTHER_TOKEN && env.EXPIRED_TOKEN && env.ADMIN_TOKEN, output);
    const checks = [];
    for (let i = 0; i + 1 < lines.length; i++) {
      const promise = lines[i].match(/^# (\d{3}): (.*)$/);
      if (!promise || !lines[i + 1].startsWith("curl ")) continue;
      const command = lines[i + 1].replace(/^curl( -[is])?/, `curl -s -o /dev/null -w '%{http_code}' --max-time 10`);
      const got = execFileSync("bash", ["-c", command], { env, encoding: "utf8" });
      checks.push({ line: lines[i + 1], want: promise[1], got, why: promise[2] });
    }
    for (const c of checks) assert.equal(c.got, c.want, `${c.why}\n${c.line}`);
    // Built from THESE routes: each protected rule allowed and refused, the public one, the
    // audience-bound admin token, a no_route line.
    const said = checks.map((c) => `${c.want} ${c.line}`).join("\n");
    for (const want of [
      /^200 curl -i http:\S+\/status$/m,
      /^200 curl -i -H "Authorization: Bearer \$TOKEN" \S+\/reports\/1$/m,
      /^403 curl -i -H "Authorization: Bearer \$OTHER_TOKEN" \S+\/reports\/1$/m,
      /^200 curl -i -X POST -H "Authorization: Bearer \$TOKEN" \S+\/items$/m,
      /^401 curl -i -X POST \S+\/items$/m,
      /^401 .*\$EXPIRED_TOKEN/m,
      /^403 curl -i \S+\/portcullis-dev-no-such-route$/m,
      /^200 .*\$ADMIN_TOKEN\S* \S+\/_portcullis\/keys$/m,
    ]) assert.match(said, want);
    assert.doesNotMatch(output, /\/orders\//, "nothing of the demo routes");
  });

  test("prints the console URL and how to mint more tokens with the configured audience", async () => {
    const url = output.match(/^Console: (\S+)/m)?.[1];
    assert.equal(url, `http://127.0.0.1:${ports.gate}/_portcullis/console/`);
    assert.equal((await fetch(url)).status, 200);
    assert.match(output, /^More tokens: .* mint --dev-vars \S+\.dev\.vars --sub NAME --scope 'SCOPES' --ttl 15m --aud 'dev-loop-api'$/m);
  });

  test("Ctrl-C stops the gate and the demo origin", async () => {
    dev.kill("SIGINT");
    await new Promise((resolve) => (dev.exitCode !== null ? resolve() : dev.on("exit", resolve)));
    assert.equal(await listening(ports.gate), false, "the gate still listens");
    assert.equal(await listening(ports.origin), false, "the demo origin still listens");
  });
});
