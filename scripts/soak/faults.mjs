// Faults: KV and the single writer behind tests/e2e/faults.mjs's wrappers (the e2e
// revocation fixtures' too), which ask these functions before every operation. KV is slow
// or throws as the phase says; the writer throws while "down", as an unreachable Durable
// Object would.
import { FAIL, OK, slow } from "../../tests/e2e/faults.mjs";

export const kvFault = { mode: "ok", delayMs: 400, ops: 0, failed: 0 };
export const writerFault = { mode: "ok", calls: 0, failed: 0 };

export function kvControl() {
  kvFault.ops++;
  if (kvFault.mode === "error") kvFault.failed++;
  return { ok: OK, error: FAIL, slow: slow(kvFault.delayMs) }[kvFault.mode];
}

export function writerControl() {
  writerFault.calls++;
  if (writerFault.mode === "down") writerFault.failed++;
  return writerFault.mode === "down" ? FAIL : OK;
}
