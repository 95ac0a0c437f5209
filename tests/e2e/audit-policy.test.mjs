// PORTCULLIS_AUDIT_ALLOWED_ONE_IN: allowed requests' lines can be sampled or turned off, but
// every denial is always written. The default (every allowed request) is covered by the
// suites that read audit lines (gate, leaks, hardening-*).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { bearer, mint, rawRequest, startGate } from "./fixtures.mjs";

const lines = (logs) =>
  logs.split("\n").filter((l) => l.includes('"event":"gate"')).map((l) => JSON.parse(l.slice(l.indexOf("{"))));
// Lines reach the test through workerd's stdout: give them a moment after the response.
const settle = () => new Promise((r) => setTimeout(r, 300));

for (const [oneIn, allowedLines] of [["0", 0], ["3", 2]]) {
  describe(`PORTCULLIS_AUDIT_ALLOWED_ONE_IN=${oneIn}`, () => {
    let gate;
    before(async () => {
      gate = await startGate({ bindings: { PORTCULLIS_AUDIT_ALLOWED_ONE_IN: oneIn } });
    });
    after(() => gate?.stop());

    test(`6 allowed requests give ${allowedLines} line(s); every denial gives its line`, async () => {
      const token = await mint({ scope: "orders:read" });
      for (let i = 0; i < 6; i++) {
        const res = await rawRequest(gate.worker.url, { path: `/orders/${i}`, headers: bearer(token) });
        assert.equal(res.status, 200);
      }
      for (let i = 0; i < 3; i++) {
        const res = await rawRequest(gate.worker.url, { path: `/orders/${i}` });
        assert.equal(res.status, 401);
      }
      await settle();
      const got = lines(gate.logs());
      assert.equal(got.filter((l) => l.decision === "allow").length, allowedLines);
      const denied = got.filter((l) => l.decision === "deny");
      assert.equal(denied.length, 3);
      assert.ok(denied.every((l) => l.reason === "missing_token" && l.status === 401));
    });
  });
}
