// The console's time formatter (www/time.js) says exactly what the core's does
// (crates/portcullis/src/time.rs), row by row of the vectors the core generates.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { human, span, relative } from "../../www/time.js";

const vectors = JSON.parse(readFileSync(new URL("../vectors/human_times.json", import.meta.url), "utf8"));

test("www/time.js agrees with the core on every vector row", () => {
  assert.ok(vectors.cases.length > 20);
  for (const { at, now, human: want } of vectors.cases) {
    assert.equal(human(at, now), want, `at=${at} now=${now}`);
  }
});

test("spans and relative words", () => {
  assert.equal(span(252), "4m 12s");
  assert.equal(span(180), "3m");
  assert.equal(relative(1000 + 252, 1000), "in 4m 12s");
  assert.equal(relative(1000 - 180, 1000), "3m ago");
});
