// The soak's phases, its request classes and the decision each must get in each phase.
import { request as httpRequest } from "node:http";
import { b64u, now, token } from "./credentials.mjs";

export const REFRESH_S = 1;
export const MAX_AGE_S = 2;
export const FEED_TTL_S = 1;
export const ORIGIN_TIMEOUT_MS = 1500;
// After a fault starts or stops, decisions may lag by up to this long (the cached feed's TTL,
// snapshot ages, keep-alive connections): both the old and the new expectation are accepted
// meanwhile.
export const GRACE_MS = (FEED_TTL_S + MAX_AGE_S + REFRESH_S) * 1000 + ORIGIN_TIMEOUT_MS + 500;

export const PHASES = [
  { name: "normal", share: 2 },
  { name: "kv-slow", share: 1, kv: "slow" },
  { name: "kv-error", share: 1.5, kv: "error" },
  { name: "kv-recovered", share: 1 },
  { name: "writer-down", share: 1.5, writer: "down" },
  { name: "writer-kv-down", share: 1.5, writer: "down", kv: "error" },
  { name: "recovered", share: 1 },
  { name: "origin-down", share: 1, origin: "down" },
  { name: "origin-slow", share: 1, origin: "slow" },
  { name: "origin-reset", share: 1, origin: "reset" },
  { name: "normal-again", share: 1 },
];

/** Statuses acceptable for a class in a phase (without grace). */
export function expected(cls, phase) {
  const originFault = { down: 502, slow: 504, reset: 502 }[phase.origin];
  const forwardedOk = originFault ? [originFault] : [200];
  // No list to decide with: only when neither the writer's feed nor the KV snapshot can be
  // read (either one alone keeps the copy current).
  const noList = phase.kv === "error" && phase.writer === "down";
  switch (cls) {
    case "valid":
    case "slow-body":
      return noList ? [503] : forwardedOk;
    case "public":
      return forwardedOk; // no token, no snapshot needed
    case "fail-open":
      return forwardedOk; // fail_open: forwarded without the list when there is none
    case "expired":
    case "tampered":
    case "garbage-jws":
    case "oversized":
      return [401]; // rejected before the revocation list is consulted
    case "revoked":
      return noList ? [503] : [401];
    case "wrong-scope":
      return noList ? [503] : [403]; // the list is consulted before the scopes
    case "garbage-header":
      return [400];
    case "no-token":
      return [401];
    default:
      throw new Error(cls);
  }
}

export const SLOW_BODY_BYTES = 6 * 1024;

/** The request a class sends; `revokedToken` is the one the soak revoked at its start. */
export function requestFor(cls, id, revokedToken) {
  const headers = { "x-soak-id": id };
  let method = "GET";
  let path = `/orders/${id}`;
  switch (cls) {
    case "valid":
      headers.authorization = `Bearer ${token("orders:read")}`;
      break;
    case "expired":
      headers.authorization = `Bearer ${token("orders:read", { iat: now() - 700, exp: now() - 100 })}`;
      break;
    case "tampered": {
      const t = token("orders:read");
      const i = t.lastIndexOf(".") + 5;
      headers.authorization = `Bearer ${t.slice(0, i)}${t[i] === "A" ? "B" : "A"}${t.slice(i + 1)}`;
      break;
    }
    case "revoked":
      headers.authorization = `Bearer ${revokedToken}`;
      break;
    case "wrong-scope":
      headers.authorization = `Bearer ${token("orders:write")}`;
      break;
    case "garbage-header":
      headers.authorization = `Bearer ${["{}", "a b", "\u00e9t\u00e9", "<script>"][id % 4]}`.replace(/[^\x20-\x7e]/g, "?");
      break;
    case "garbage-jws":
      headers.authorization = `Bearer ${b64u(Buffer.from(`junk-${id}`))}.${b64u("x")}.${b64u("y")}`;
      break;
    case "no-token":
      break;
    case "oversized":
      // ~16 KiB of credential: the gate must refuse it by length, unparsed.
      headers.authorization = `Bearer ${token("orders:read")}${"A".repeat(16 * 1024)}`;
      break;
    case "public":
      path = "/health";
      break;
    case "fail-open":
      headers.authorization = `Bearer ${token("orders:read")}`;
      path = `/open/${id}`;
      break;
  }
  return { method, path, headers };
}

const CLASSES = [
  ["valid", 6], ["expired", 1], ["tampered", 1], ["revoked", 1], ["wrong-scope", 1],
  ["garbage-header", 1], ["garbage-jws", 1], ["no-token", 1], ["oversized", 1], ["public", 1],
  ["fail-open", 1], ["slow-body", 0.3],
];
const WEIGHT = CLASSES.reduce((a, [, w]) => a + w, 0);
export function pickClass(n) {
  // Deterministic spread: golden-ratio sequence over the weights.
  let x = ((n * 0.6180339887) % 1) * WEIGHT;
  for (const [cls, w] of CLASSES) if ((x -= w) < 0) return cls;
  return "valid";
}

/** A valid upload whose body arrives in 1 KiB pieces over ~0.5 s, over a real socket. The
 * gate's origin timeout runs while the body is still being sent, so the upload must finish
 * well within ORIGIN_TIMEOUT_MS (see the report: a slower upload would get 504). */
export function slowUpload(baseUrl, id) {
  return new Promise((resolve) => {
    const url = new URL(`/upload/${id}`, baseUrl);
    const req = httpRequest(url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token("orders:read upload:write")}`,
        "x-soak-id": id,
        "content-type": "application/octet-stream",
        "content-length": SLOW_BODY_BYTES,
      },
    });
    req.on("response", (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode, via: res.headers["x-origin"] }));
    });
    req.on("error", (e) => resolve({ status: 0, error: e.code ?? e.message }));
    let sent = 0;
    const piece = () => {
      const n = Math.min(1024, SLOW_BODY_BYTES - sent);
      sent += n;
      req.write(Buffer.alloc(n, 0x61));
      if (sent < SLOW_BODY_BYTES) setTimeout(piece, 100);
      else req.end();
    };
    piece();
  });
}
