// Interop between `portcullis` and the npm `jose` library for one key set and algorithm.
//
// Usage: node jose_interop.mjs PORTCULLIS_BIN KEYS_FILE ALG
//
// `jose` is resolved like require() would: node_modules above this file (the repository's),
// then NODE_PATH (run.sh sets it from --jose-dir). Prints one `PASS <check>` or
// `FAIL <check>: <why>` line per check; exits non-zero if any check failed.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
let jose;
try {
  jose = await import(pathToFileURL(require.resolve('jose')).href);
} catch (e) {
  console.log(`FAIL jose load: cannot resolve 'jose' (${e.message}); pass --jose-dir to run.sh`);
  process.exit(1);
}

const AUD = 'interop-api';
const ISS = 'https://issuer.interop.example';
let failures = 0;

function report(name, ok, why = '') {
  if (ok) {
    console.log(`PASS jose ${name}`);
  } else {
    failures += 1;
    console.log(`FAIL jose ${name}: ${why}`);
  }
}

function tamper(token) {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  claims.sub = 'mallory';
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}

function portcullis(bin, ...args) {
  return spawnSync(bin, args, { encoding: 'utf8', timeout: 30_000 });
}

function sameJson(a, b) {
  const canon = (v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])]))
      : v;
  return JSON.stringify(canon(a)) === JSON.stringify(canon(b));
}

const [bin, keysFile, alg] = process.argv.slice(2);
const jwk = JSON.parse(readFileSync(keysFile, 'utf8')).keys[0];
if (jwk.alg !== alg) throw new Error(`${keysFile} holds a ${jwk.alg} key, not ${alg}`);
const key = new Uint8Array(Buffer.from(jwk.k, 'base64url'));
const kid = jwk.kid;
const now = Math.floor(Date.now() / 1000);

// 1. jose mints; portcullis verifies and returns the same claims.
const claims = {
  sub: 'js-user', aud: AUD, iss: ISS, iat: now, exp: now + 300,
  scope: 'read write', tenant: 'acme', limits: { rps: 10, burst: true },
};
const token = await new jose.SignJWT(claims).setProtectedHeader({ alg, kid, typ: 'JWT' }).sign(key);
let run = portcullis(bin, 'verify', '--keys', keysFile, '--audience', AUD, '--issuer', ISS, token);
if (run.status !== 0) {
  report(`${alg} jose-mint -> portcullis-verify`, false, `exit ${run.status}: ${run.stderr.trim()}`);
} else {
  const got = JSON.parse(run.stdout);
  report(`${alg} jose-mint -> portcullis-verify`, sameJson(got, claims), `claims differ: ${run.stdout}`);
}

// 2. A tampered jose token: portcullis rejects it with exit 1.
run = portcullis(bin, 'verify', '--keys', keysFile, '--audience', AUD, tamper(token));
report(
  `${alg} jose-mint tampered -> portcullis rejects`,
  run.status === 1 && run.stderr.includes('(bad_signature)'),
  `exit ${run.status}: ${run.stderr.trim()}`,
);

// 3. portcullis mints; jose verifies and reads the same claims.
run = portcullis(
  bin, 'mint', '--keys', keysFile, '--sub', 'cli-user', '--aud', AUD, '--iss', ISS,
  '--scope', 'read', '--ttl', '5m', '--claim', 'tenant=acme', '--claim', 'tier=3',
);
if (run.status !== 0) {
  report(`${alg} portcullis-mint -> jose-verify`, false, `mint exit ${run.status}: ${run.stderr.trim()}`);
} else {
  const minted = run.stdout.trim();
  try {
    const { payload, protectedHeader } = await jose.jwtVerify(minted, key, {
      algorithms: [alg], audience: AUD, issuer: ISS,
    });
    const expected = { sub: 'cli-user', aud: AUD, iss: ISS, scope: 'read', tenant: 'acme', tier: 3 };
    const ok = Object.entries(expected).every(([k, v]) => payload[k] === v)
      && payload.exp - payload.iat === 300
      && protectedHeader.alg === alg && protectedHeader.kid === kid;
    report(`${alg} portcullis-mint -> jose-verify`, ok, `claims ${JSON.stringify(payload)}`);
  } catch (e) {
    report(`${alg} portcullis-mint -> jose-verify`, false, `${e.code ?? e.name}: ${e.message}`);
  }

  // 4. A tampered portcullis token: jose rejects its signature.
  try {
    await jose.jwtVerify(tamper(minted), key, { algorithms: [alg], audience: AUD, issuer: ISS });
    report(`${alg} portcullis-mint tampered -> jose rejects`, false, 'accepted');
  } catch (e) {
    report(
      `${alg} portcullis-mint tampered -> jose rejects`,
      e.code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
      `wrong error ${e.code ?? e.name}: ${e.message}`,
    );
  }
}

process.exit(failures ? 1 : 0);
