// The soak's keys and tokens, and the check the origin makes of each identity assertion.
import { createHmac, timingSafeEqual } from "node:crypto";

export const b64u = (buf) => Buffer.from(buf).toString("base64url");
const GATE_SECRET = Buffer.alloc(32, 0x11);
const ORIGIN_SECRET = Buffer.alloc(32, 0x22);
export const KEYS = JSON.stringify({ keys: [{ kty: "oct", kid: "k1", alg: "HS256", k: b64u(GATE_SECRET) }] });
export const ORIGIN_KEY = JSON.stringify({ kty: "oct", kid: "origin", alg: "HS256", k: b64u(ORIGIN_SECRET) });

function sign(payload, secret = GATE_SECRET, header = { alg: "HS256", kid: "k1", typ: "JWT" }) {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  return `${input}.${b64u(createHmac("sha256", secret).update(input).digest())}`;
}
export const now = () => Math.floor(Date.now() / 1000);
let jtiCounter = 0;
export function token(scope, extra = {}) {
  const t = now();
  return sign({ sub: "soak", scope, jti: `soak-${++jtiCounter}`, iat: t - 5, exp: t + 600, ...extra });
}

/** Verifies an identity assertion; returns its claims or a reason it is not valid. */
export function checkAssertion(assertion, method, path) {
  if (typeof assertion !== "string") return { error: "no assertion" };
  const [h, p, s, extra] = assertion.split(".");
  if (!s || extra !== undefined) return { error: "assertion not a compact JWS" };
  const expected = createHmac("sha256", ORIGIN_SECRET).update(`${h}.${p}`).digest();
  const got = Buffer.from(s, "base64url");
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) return { error: "bad assertion MAC" };
  const header = JSON.parse(Buffer.from(h, "base64url"));
  const claims = JSON.parse(Buffer.from(p, "base64url"));
  if (header.alg !== "HS256") return { error: "assertion alg" };
  if (!(claims.exp >= now() - 1)) return { error: "assertion expired" };
  if (claims.htm !== method) return { error: "assertion htm mismatch" };
  if (!claims.htu || new URL(claims.htu).pathname !== path.split("?")[0]) return { error: "assertion htu mismatch" };
  return { claims };
}
