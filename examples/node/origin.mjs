// An origin behind Portcullis that checks the identity assertion with npm `jose` (>= 5)
// before trusting any X-Portcullis-* header.
//
//   PORTCULLIS_ORIGIN_KEY="$(cat origin-ring.json)" ORIGIN_URL=https://origin.example \
//     PORT=8788 node examples/node/origin.mjs
//
// Environment: PORTCULLIS_ORIGIN_KEY (the gate's secret of that name: a JWK Set or one JWK),
// ORIGIN_URL (the gate's setting of that name: the URL the gate forwards to), PORT (0 picks a
// free one). Prints "listening on http://127.0.0.1:PORT". Answers 200 with the verified claims
// as JSON, or 401 naming why the assertion was refused.
import { createServer } from "node:http";
import { importJWK, jwtVerify, decodeProtectedHeader } from "jose";

const LEEWAY_S = 5; // clock skew between the gate and this origin

/** The JWKs of PORTCULLIS_ORIGIN_KEY: a JWK Set (a ring in rotation) or one JWK. */
export function originKeys(text) {
  const doc = JSON.parse(text);
  return doc.keys ?? [doc];
}

/**
 * htu as the gate computes it: ORIGIN_URL's scheme://authority exactly as written (not
 * `new URL().origin`, which drops a default port the gate keeps) and the request-target's
 * path exactly as received (still percent-encoded), without the query.
 */
export function expectedHtu(originUrl, rawTarget) {
  const authority = originUrl.match(/^https?:\/\/[^/?#]+/);
  if (!authority) throw new Error("ORIGIN_URL must start with http:// or https://");
  return authority[0] + rawTarget.split("?")[0];
}

/** Verified claims of the request's assertion, or a thrown Error saying why not. */
export async function verifyAssertion(keys, { method, htu, assertion }) {
  if (!assertion) throw new Error("no X-Portcullis-Assertion: the request did not come through the gate");
  const { kid } = decodeProtectedHeader(assertion);
  // By kid while a ring rotates; a ring of one key may have none.
  const jwk = kid === undefined && keys.length === 1 ? keys[0] : keys.find((k) => k.kid === kid);
  if (!jwk) throw new Error(`unknown assertion key ${JSON.stringify(kid)}`);
  const key = await importJWK({ kty: "oct", k: jwk.k }, "HS256");
  const { payload } = await jwtVerify(assertion, key, {
    algorithms: ["HS256"],
    issuer: "portcullis",
    requiredClaims: ["exp", "iat", "htm", "htu"],
    clockTolerance: LEEWAY_S,
  });
  if (payload.htm !== method || payload.htu !== htu) throw new Error("assertion is for another request");
  return payload;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const keys = originKeys(process.env.PORTCULLIS_ORIGIN_KEY ?? "");
  const originUrl = process.env.ORIGIN_URL;
  if (!originUrl) throw new Error("ORIGIN_URL is not set");
  const server = createServer(async (req, res) => {
    try {
      const claims = await verifyAssertion(keys, {
        method: req.method,
        htu: expectedHtu(originUrl, req.url),
        assertion: req.headers["x-portcullis-assertion"],
      });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ verified_by: "node", sub: claims.sub ?? null, scope: claims.scope ?? null, htu: claims.htu }));
    } catch (e) {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ verified_by: "node", error: e.message }));
    }
  });
  server.listen(Number(process.env.PORT ?? 8788), "127.0.0.1", () => {
    console.log(`listening on http://127.0.0.1:${server.address().port}`);
  });
}
