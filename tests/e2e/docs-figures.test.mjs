// One set of freshness figures: the README's table is the one BENCHMARKS.md's generator
// printed (bench/js/report.mjs copies it between the README's freshness markers).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT } from "./harness.mjs";

test("the README's freshness table is BENCHMARKS.md's, row for row", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const bench = readFileSync(join(ROOT, "BENCHMARKS.md"), "utf8");
  const block = readme.match(/<!-- freshness:begin[^>]*-->\n([\s\S]*?)<!-- freshness:end -->/);
  assert.ok(block, "README.md has the freshness markers");
  const rows = block[1].trim().split("\n");
  assert.ok(rows.length >= 3, block[1]);
  const section = bench.slice(bench.indexOf("## 5. Revocation freshness"));
  const benchRows = section.split("\n").filter((l) => l.startsWith("|")).slice(0, rows.length);
  assert.deepEqual(rows, benchRows);
});
