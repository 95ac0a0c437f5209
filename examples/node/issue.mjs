// Issue a Portcullis token with npm `jose` (>= 5): an HS256/384/512 JWT signed by the
// signing key of the gate's key ring, with `kid`, so the gate picks the right key.
//
//   PORTCULLIS_KEYS="$(cat ring.json)" node examples/node/issue.mjs alice "orders:read"
//
// Environment: PORTCULLIS_KEYS (the JWK Set, the gate's secret of that name), and optional
// TOKEN_AUDIENCE, TOKEN_ISSUER (must match PORTCULLIS_AUDIENCE / PORTCULLIS_ISSUER when the
// gate sets them), TOKEN_TTL_S (default 300; at most the gate's PORTCULLIS_MAX_TTL_S).
// Prints the token on stdout.
import { randomBytes } from "node:crypto";
import { SignJWT, importJWK } from "jose";

/** The key new tokens are signed with: the one whose key_ops include "sign", or the only one. */
export function signingKey(ring) {
  const keys = ring.keys ?? [];
  const signer = keys.find((k) => (k.key_ops ?? []).includes("sign")) ?? (keys.length === 1 ? keys[0] : null);
  if (!signer) throw new Error("the key ring has no signing key (key_ops [\"sign\", \"verify\"])");
  return signer;
}

export async function issue(ring, { sub, scope, audience, issuer, ttlS = 300 }) {
  const jwk = signingKey(ring);
  const key = await importJWK({ kty: "oct", k: jwk.k }, jwk.alg);
  const header = { alg: jwk.alg, typ: "JWT", ...(jwk.kid ? { kid: jwk.kid } : {}) };
  let jwt = new SignJWT({ ...(scope ? { scope } : {}) })
    .setProtectedHeader(header)
    .setSubject(sub)
    .setJti(randomBytes(16).toString("base64url")) // lets one token be revoked by id
    .setIssuedAt()
    .setExpirationTime(`${ttlS}s`);
  if (audience) jwt = jwt.setAudience(audience);
  if (issuer) jwt = jwt.setIssuer(issuer);
  return jwt.sign(key);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [sub, scope] = process.argv.slice(2);
  if (!sub || !process.env.PORTCULLIS_KEYS) {
    console.error("usage: PORTCULLIS_KEYS=<JWK Set> node issue.mjs SUB [\"scope1 scope2\"]");
    process.exit(2);
  }
  const token = await issue(JSON.parse(process.env.PORTCULLIS_KEYS), {
    sub,
    scope,
    audience: process.env.TOKEN_AUDIENCE,
    issuer: process.env.TOKEN_ISSUER,
    ttlS: Number(process.env.TOKEN_TTL_S ?? 300),
  });
  process.stdout.write(`${token}\n`);
}
