// Shared by the bench drivers: the token and key every contender sees, stats helpers.
import { SignJWT } from "jose";

export const ISSUER = "https://issuer.example";
export const AUDIENCE = "api";
export const MAX_TTL = 3600;
export const KID = "bench-1";
const SECRET = new TextEncoder().encode("portcullis-bench-secret-32-bytes");
const b64url = (b) => Buffer.from(b).toString("base64url");
export const JWKS = { keys: [{ kty: "oct", alg: "HS256", kid: KID, use: "sig", k: b64url(SECRET) }] };

/** The typical token: iss, sub, aud, scope, jti, iat, nbf, exp (15 min). */
export async function mintToken({ jti = "0f8fad5b-d9cb-469f-a165-70867728950e", scope = "orders:read orders:write" } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope })
    .setProtectedHeader({ alg: "HS256", typ: "JWT", kid: KID })
    .setIssuer(ISSUER).setSubject("user-1234").setAudience(AUDIENCE).setJti(jti)
    .setIssuedAt(now).setNotBefore(now).setExpirationTime(now + 900)
    .sign(SECRET);
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
export const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
export const log = (...a) => console.error("[bench]", ...a);
