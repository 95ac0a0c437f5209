// The two Worker scripts (issue 12 item 5): the gate (build/, wrangler.toml) carries none of
// the Durable Object classes, which the objects script (build-objects/,
// wrangler.objects.toml) exports; the gate's wasm stays within its size budget; the two
// configs carry the same settings, or `make check-config` / `make dev` refuse them.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { OBJECT_CLASSES, ROOT } from "./harness.mjs";
import { portcullisCli } from "./revocation-fixtures.mjs";

/** The budget for the gate's wasm, gzip -9 (issue 12 item 5): 256 KB. */
const GATE_WASM_BUDGET = 256 * 1024;

/** The export names of a build's wasm, read from its export section (Node 20 cannot compile
 * it: it uses reference types Node's V8 needs a flag for). */
function wasmExports(dir) {
  const buf = readFileSync(join(ROOT, dir, "index_bg.wasm"));
  let p = 8;
  const leb = () => {
    let r = 0, s = 0, b;
    do { b = buf[p++]; r += (b & 0x7f) * 2 ** s; s += 7; } while (b & 0x80);
    return r;
  };
  while (p < buf.length) {
    const id = buf[p++];
    const size = leb();
    if (id !== 7) { p += size; continue; }
    const names = [];
    for (let n = leb(); n > 0; n--) {
      const len = leb();
      names.push(buf.subarray(p, p + len).toString("utf8"));
      p += len + 1; // the name, then its kind byte
      leb(); // its index
    }
    return names;
  }
  throw new Error(`${dir}/index_bg.wasm has no export section`);
}
// wasm-bindgen exports a class as `<lowercased name>_new`, `__wbg_<lowercased name>_free`, ...
const exportsClass = (names, cls) => names.some((n) => n.startsWith(`${cls.toLowerCase()}_`) || n === `__wbg_${cls.toLowerCase()}_free`);

describe("two scripts: the gate and its Durable Objects", () => {
  test("the gate exports no Durable Object class; the objects script exports every one", () => {
    const gate = wasmExports("build");
    const objects = wasmExports("build-objects");
    for (const cls of Object.values(OBJECT_CLASSES)) {
      assert.ok(!exportsClass(gate, cls), `build/ (the gate) exports ${cls}`);
      assert.ok(exportsClass(objects, cls), `build-objects/ does not export ${cls}`);
      assert.match(readFileSync(join(ROOT, "build-objects", "index.js"), "utf8"), new RegExp(`\\bas ${cls}\\b`));
    }
    // The gate answers requests and runs the cron; the objects script has no handler of its own.
    assert.ok(gate.includes("fetch") && gate.includes("scheduled"), gate.join(" "));
    assert.ok(!objects.includes("fetch") && !objects.includes("scheduled"), objects.join(" "));
  });

  test("the gate's wasm is within its budget (gzip -9)", () => {
    const gz = gzipSync(readFileSync(join(ROOT, "build", "index_bg.wasm")), { level: 9 }).length;
    assert.ok(gz <= GATE_WASM_BUDGET, `build/index_bg.wasm is ${gz} B gzip, over the ${GATE_WASM_BUDGET} B budget (README, "Two scripts")`);
  });

  test("every gate binding to a class names the objects script, which declares and migrates it", () => {
    const gate = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
    const objects = readFileSync(join(ROOT, "wrangler.objects.toml"), "utf8");
    assert.match(objects, /^name = "portcullis-objects"$/m);
    assert.doesNotMatch(gate, /^\[\[migrations\]\]/m, "the gate script holds no class to migrate");
    for (const [binding, cls] of Object.entries(OBJECT_CLASSES)) {
      const entry = new RegExp(`name = "${binding}"\\nclass_name = "${cls}"\\nscript_name = "portcullis-objects"`);
      assert.match(gate, entry, `wrangler.toml: ${binding}`);
      assert.match(objects, new RegExp(`name = "${binding}"\\nclass_name = "${cls}"\\n`), `wrangler.objects.toml: ${binding}`);
      assert.match(objects, new RegExp(`new_sqlite_classes = \\[[^\\]]*"${cls}"`), `wrangler.objects.toml migrates ${cls}`);
    }
  });
});

describe("scripts/same-settings.sh: the objects script runs with the gate's settings", () => {
  let dir, env;
  const sameSettings = (objects) =>
    promisify(execFile)(join(ROOT, "scripts", "same-settings.sh"), [join(ROOT, "wrangler.toml"), objects, join(dir, "dev.vars")], { env }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (e) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "portcullis-same-settings-"));
    await portcullisCli(); // builds the CLI when PORTCULLIS_BIN is not given
    const bin = process.env.PORTCULLIS_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(ROOT, "target"), "debug", "portcullis");
    env = { ...process.env, PORTCULLIS: bin };
    await promisify(execFile)(join(ROOT, "scripts", "dev-vars.sh"), [join(dir, "dev.vars")], { env });
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  test("the repository's two configs agree", async () => {
    const r = await sameSettings(join(ROOT, "wrangler.objects.toml"));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /the gate's \d+ settings/);
  });

  test("a setting that differs is refused, by name", async () => {
    const drifted = join(dir, "wrangler.objects.toml");
    writeFileSync(drifted, readFileSync(join(ROOT, "wrangler.objects.toml"), "utf8").replace('match = "GET /orders/*"', 'match = "GET /orders/**"'));
    const r = await sameSettings(drifted);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /these differ: PORTCULLIS_ROUTES$/m);
  });

  test("a setting only the objects script has is refused too", async () => {
    const extra = join(dir, "extra.toml");
    writeFileSync(extra, `${readFileSync(join(ROOT, "wrangler.objects.toml"), "utf8")}\n[vars]\nPORTCULLIS_AUDIENCE = "other"\n`);
    const r = await sameSettings(extra);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /PORTCULLIS_AUDIENCE/);
  });
});
