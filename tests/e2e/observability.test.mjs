// Observability on the real wasm build: every line the Worker writes conforms to the one
// audit schema (docs/audit.schema.json, explained in docs/AUDIT.md); one Workers Analytics
// Engine data point per decision with the documented blobs, doubles and index; the /stats
// decision counters; and Miniflare's own analyticsEngineDatasets binding.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { KEYS, bearer, mint, standardBindings } from "./fixtures.mjs";
import { ROOT, startOrigin, startWorker } from "./harness.mjs";
import { validate } from "./json-schema.mjs";

const SCHEMA = JSON.parse(readFileSync(join(ROOT, "docs", "audit.schema.json"), "utf8"));
const AUDIT_DOC = readFileSync(join(ROOT, "docs", "AUDIT.md"), "utf8");
// As crates/portcullis/src/http/telemetry.rs orders them and docs/AUDIT.md documents them.
const BLOBS = ["event", "decision", "reason", "method", "path", "sub", "kid", "jti", "client_ip", "ray"];
const DOUBLES = ["status", "rule", "snapshot_age_ms", "snapshot_built_at"];

// Stands in for the PORTCULLIS_ANALYTICS dataset (Miniflare's own simulator discards every
// point, so nothing could be checked): each data point becomes one "AE {...}" log line.
const RECORDING_DATASET = `
export default function () {
  return { writeDataPoint(p) { console.log("AE " + JSON.stringify(p)); } };
}`;

/** The JSON lines in captured output (audit lines), and the recorded data points. */
const jsonLines = (logs) =>
  logs.filter((l) => l.trimStart().startsWith("{")).map((l) => JSON.parse(l.slice(l.indexOf("{"))));
const dataPoints = (logs) => logs.filter((l) => l.startsWith("AE ")).map((l) => JSON.parse(l.slice(3)));

async function admin() {
  return mint({ sub: "ops", scope: "portcullis:admin" });
}

/** The hop marker a gate sets (forwarding.rs hop_marker), to send a request "back". */
function hopMarker(method, htu) {
  return createHmac("sha256", KEYS.origin.secret).update(`portcullis-hop\n${method}\n${htu}`).digest("base64url");
}

async function startObservedGate({ audit = "1", dataset = "recording" } = {}) {
  const origin = await startOrigin();
  const options =
    dataset === "recording"
      ? { wrappedBindings: { PORTCULLIS_ANALYTICS: "recording-dataset" } }
      : { analyticsEngineDatasets: { PORTCULLIS_ANALYTICS: { dataset: "portcullis_decisions" } } };
  const worker = await startWorker({
    captureLogs: true,
    bindings: standardBindings(origin.url, { PORTCULLIS_AUDIT_ALLOWED_ONE_IN: audit }),
    options,
    extraWorkers:
      dataset === "recording" ? [{ name: "recording-dataset", modules: true, script: RECORDING_DATASET }] : [],
  });
  return { origin, worker, stop: () => Promise.all([worker.dispose(), origin.close()]) };
}

/** One request of each kind of decision; returns how many decisions it caused. */
async function traffic(gate) {
  const f = (path, init) => gate.worker.fetch(path, init).then(async (r) => (await r.arrayBuffer(), r.status));
  const good = await mint({ scope: "orders:read" });
  const statuses = [
    await f("/orders/1", { headers: bearer(good) }), // allow authorized
    await f("/health"), // allow public
    await f("/orders/1"), // deny missing_token
    await f("/orders/1", { headers: bearer(await mint({ exp: Math.floor(Date.now() / 1000) - 60 })) }), // expired
    await f("/reports/1", { headers: bearer(good) }), // insufficient_scope
    await f("/nowhere"), // no_route
    await f("/orders/1?access_token=x"), // token in query
    await f("/orders/a%2fb", { headers: bearer(good) }), // bad path: path null
    await f("/orders/1", { headers: { ...bearer(good), "x-portcullis-hop": hopMarker("GET", `${gate.origin.url}/orders/1`) } }), // loop
    await f("/_portcullis/stats"), // admin deny
    await f("/_portcullis/keys", { headers: bearer(await admin()) }), // admin allow
    await f("/_portcullis/revocations", {
      method: "POST",
      headers: { ...bearer(await admin()), "content-type": "application/json" },
      body: JSON.stringify({ jti: `unused-${Math.random()}`, reason: "leaked" }),
    }), // admin allow, with revocation_reason
  ];
  assert.deepEqual(statuses, [200, 200, 401, 401, 403, 403, 400, 400, 508, 401, 200, 201]);
  return statuses.length;
}

describe("audit lines and Analytics Engine data points", () => {
  let gate;
  before(async () => {
    gate = await startObservedGate();
  });
  after(() => gate?.stop());

  test("every line the Worker writes conforms to docs/audit.schema.json", async () => {
    await traffic(gate);
    await gate.worker.fetch("/cdn-cgi/mf/scheduled"); // the cron: revocation_tick
    await new Promise((r) => setTimeout(r, 300));
    const lines = jsonLines(gate.worker.logs);
    const kinds = new Set();
    for (const line of lines) {
      assert.deepEqual(validate(SCHEMA, line), [], JSON.stringify(line));
      kinds.add(`${line.event}/${line.decision ?? ""}`);
    }
    for (const k of ["gate/allow", "gate/deny", "admin/allow", "admin/deny", "revocation_tick/"]) {
      assert.ok(kinds.has(k), `no ${k} line among ${[...kinds].join(", ")}`);
    }
    const reasons = new Set(lines.map((l) => l.reason));
    for (const r of ["authorized", "public", "missing_token", "expired", "insufficient_scope", "no_route", "loop_detected"]) {
      assert.ok(reasons.has(r), `no ${r} line`);
    }
    assert.ok(lines.some((l) => l.event === "gate" && l.path === null), "a bad path is logged with path null");
    assert.ok(lines.some((l) => l.revocation_reason === "leaked"), "a recorded revocation names its reason");
  });

  test("the schema rejects lines that break it, so the check above can fail", () => {
    const good = jsonLines(gate.worker.logs).find((l) => l.event === "gate");
    for (const bad of [
      { ...good, decision: "maybe" },
      { ...good, extra: 1 },
      { ...good, status: "200" },
      (({ time_ms, ...rest }) => rest)(good),
      { event: "invented" },
      { event: "config_error", setting: "X" },
    ]) {
      assert.notDeepEqual(validate(SCHEMA, bad), [], JSON.stringify(bad));
    }
  });

  test("docs/AUDIT.md documents every kind and field of the schema, and every data point column", () => {
    for (const kind of SCHEMA.oneOf) {
      const event = kind.properties.event.const;
      assert.ok(AUDIT_DOC.includes(`\`${event}\``), `AUDIT.md does not mention event ${event}`);
      for (const field of Object.keys(kind.properties)) {
        assert.ok(AUDIT_DOC.includes(`\`${field}\``), `AUDIT.md does not document ${field} (${event})`);
      }
    }
    BLOBS.forEach((b, i) => assert.ok(AUDIT_DOC.includes(`| \`blob${i + 1}\` | \`${b}\``), `blob${i + 1} = ${b} undocumented`));
    DOUBLES.forEach((d, i) => assert.ok(AUDIT_DOC.includes(`| \`double${i + 1}\` | \`${d}\``), `double${i + 1} = ${d} undocumented`));
  });

  test("one data point per decision: index and blobs from the audit record, doubles as documented", async () => {
    const before = dataPoints(gate.worker.logs).length;
    const n = await traffic(gate);
    await new Promise((r) => setTimeout(r, 200));
    const points = dataPoints(gate.worker.logs).slice(before);
    const decisions = jsonLines(gate.worker.logs)
      .filter((l) => l.event === "gate" || l.event === "admin")
      .slice(-n);
    assert.equal(points.length, n, "one data point per decision");
    points.forEach((p, i) => {
      const line = decisions[i];
      assert.deepEqual(p.indexes, [line.reason], "index: the reason code");
      const blob = Object.fromEntries(BLOBS.map((name, j) => [name, p.blobs[j]]));
      for (const name of BLOBS) assert.equal(blob[name], line[name] ?? "", `${name} of ${JSON.stringify(line)}`);
      const dbl = Object.fromEntries(DOUBLES.map((name, j) => [name, p.doubles[j]]));
      assert.equal(dbl.status, line.status);
      assert.equal(dbl.rule, line.rule ?? -1);
      if (line.reason === "authorized") {
        assert.ok(dbl.snapshot_age_ms >= 0, "a checked token had a revocation snapshot");
        assert.ok(dbl.snapshot_built_at > 1.7e9, "its version is its build time in seconds");
      }
    });
  });
});

describe("with PORTCULLIS_AUDIT_ALLOWED_ONE_IN=0", () => {
  let gate;
  before(async () => {
    gate = await startObservedGate({ audit: "0" });
  });
  after(() => gate?.stop());

  test("allowed requests write no line but still count in /stats and still get a data point", async () => {
    const token = await mint({ scope: "orders:read" });
    for (let i = 0; i < 3; i++) assert.equal((await gate.worker.fetch("/orders/1", { headers: bearer(token) })).status, 200);
    assert.equal((await gate.worker.fetch("/orders/1")).status, 401);
    const stats = await (await gate.worker.fetch("/_portcullis/stats", { headers: bearer(await admin()) })).json();
    assert.deepEqual(stats.decisions.allowed, { authorized: 3 });
    assert.deepEqual(stats.decisions.denied, { missing_token: 1 });
    assert.equal(stats.decisions.allowed_total, 3);
    assert.equal(typeof stats.snapshot.built_at, "number");
    assert.equal(jsonLines(gate.worker.logs).filter((l) => l.event === "gate" && l.decision === "allow").length, 0);
    const points = dataPoints(gate.worker.logs);
    assert.equal(points.filter((p) => p.indexes[0] === "authorized").length, 3);
    assert.equal(points.filter((p) => p.indexes[0] === "missing_token").length, 1);
  });
});

describe("Miniflare's own analyticsEngineDatasets binding", () => {
  let gate;
  before(async () => {
    gate = await startObservedGate({ dataset: "miniflare" });
  });
  after(() => gate?.stop());

  test("is accepted: decisions are unchanged and no write fails", async () => {
    const token = await mint({ scope: "orders:read" });
    assert.equal((await gate.worker.fetch("/orders/1", { headers: bearer(token) })).status, 200);
    assert.equal((await gate.worker.fetch("/orders/1")).status, 401);
    await new Promise((r) => setTimeout(r, 200));
    const lines = jsonLines(gate.worker.logs);
    assert.equal(lines.filter((l) => l.event === "analytics_write_failed").length, 0);
    assert.deepEqual(lines.filter((l) => l.event === "gate").map((l) => l.reason), ["authorized", "missing_token"]);
  });
});

describe("a misconfigured gate", () => {
  test("logs a config_error line that conforms to the schema and names only the setting", async () => {
    const worker = await startWorker({ captureLogs: true, bindings: { PORTCULLIS_KEYS: '{"keys": []}' } });
    try {
      assert.equal((await worker.fetch("/orders/1")).status, 500);
      await new Promise((r) => setTimeout(r, 200));
      const lines = jsonLines(worker.logs);
      const config = lines.filter((l) => l.event === "config_error");
      assert.equal(config.length, 1);
      assert.equal(config[0].setting, "PORTCULLIS_KEYS");
      for (const line of lines) assert.deepEqual(validate(SCHEMA, line), [], JSON.stringify(line));
    } finally {
      await worker.dispose();
    }
  });
});

describe("the deployment guide", () => {
  const deploy = readFileSync(join(ROOT, "docs", "DEPLOY.md"), "utf8");
  const toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  // The [observability] tables as written: from the header to the next blank line.
  const observability = (text) => [...text.matchAll(/^\[observability(?:\.logs)?\]\n(?:[a-z_]+ = .+\n)+/gm)].map((m) => m[0]);

  test("shows the [observability] settings wrangler.toml really has, sampling every invocation", () => {
    const fromToml = observability(toml);
    assert.equal(fromToml.length, 2, "wrangler.toml has [observability] and [observability.logs]");
    assert.match(fromToml[0], /^head_sampling_rate = 1$/m, "denials stay complete only at rate 1");
    assert.deepEqual(observability(deploy), fromToml);
  });

  test("is linked from the README, and links files that exist", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    assert.ok(readme.includes("(docs/DEPLOY.md)"), "README links docs/DEPLOY.md");
    for (const [, target] of deploy.matchAll(/\]\((?!https?:|#)([^)#]+)(?:#[^)]*)?\)/g)) {
      assert.ok(existsSync(join(ROOT, "docs", target)), `DEPLOY.md links a missing ${target}`);
    }
  });
});
