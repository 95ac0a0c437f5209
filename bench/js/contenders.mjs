// The verify contenders, shared by the workerd bench worker and the Node run so both time
// exactly the same code. Each does the same checks on an HS256 token: signature with a
// pre-imported key, alg pinned to HS256, exp, nbf, iss, aud (and Portcullis/jose: lifetime).
import { jwtVerify } from "jose";
import tsndr from "@tsndr/cloudflare-worker-jwt";
import * as wasm from "../wasm/pkg/portcullis_bench_wasm.js";

const b64urlBytes = (s) => {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
};

/**
 * Build the contenders. `wasmModule` is a compiled WebAssembly.Module of the Portcullis
 * bench crate. Returns { name: { sync, fn(token) -> boolean | Promise<boolean> } }.
 */
export async function makeContenders({ wasmModule, jwks, issuer, audience, maxTtl }) {
  wasm.initSync({ module: wasmModule });
  wasm.setup(JSON.stringify(jwks), issuer, audience, maxTtl);
  const secret = b64urlBytes(jwks.keys[0].k);
  const alg = { name: "HMAC", hash: "SHA-256" };
  const key = await crypto.subtle.importKey("raw", secret, alg, false, ["verify"]);
  const enc = new TextEncoder();
  const nowS = () => Math.floor(Date.now() / 1000);

  const contenders = {
    // Portcullis in wasm, called once per token from JS (the token crosses the boundary).
    portcullis: { sync: true, fn: (t) => wasm.verify(t, Date.now() / 1000) },
    // jose with the key pre-imported (its best case).
    jose: {
      sync: false,
      fn: async (t) => {
        try {
          await jwtVerify(t, key, { algorithms: ["HS256"], issuer, audience, maxTokenAge: maxTtl, clockTolerance: 0 });
          return true;
        } catch {
          return false;
        }
      },
    },
    // @tsndr/cloudflare-worker-jwt checks alg, exp, nbf and the signature; iss and aud by hand.
    tsndr: {
      sync: false,
      fn: async (t) => {
        const d = await tsndr.verify(t, key, { algorithm: "HS256", clockTolerance: 0 });
        return !!d && d.payload.iss === issuer && d.payload.aud === audience;
      },
    },
    // The floor: crypto.subtle.verify alone over the signing input, key pre-imported.
    subtle: {
      sync: false,
      fn: (t) => {
        const dot = t.lastIndexOf(".");
        return crypto.subtle.verify("HMAC", key, b64urlBytes(t.slice(dot + 1)), enc.encode(t.slice(0, dot)));
      },
    },
  };
  // The gate's per-request core path (bench/gate-path), looped inside wasm step by step.
  wasm.gate_setup(Date.now() / 1000);
  const gateSteps = wasm.gate_steps().split(",");
  const gateLoop = (step, n) => wasm.gate_loop(step, n);
  // The verify's pieces, looped inside wasm one by one (absent from builds before they were
  // added, so a base build in the comparison runs without them).
  const verifySteps = wasm.verify_steps ? wasm.verify_steps().split(",") : [];
  const verifyStepLoop = (step, t, n) => wasm.verify_step_loop(step, t, n, Date.now() / 1000);
  return { contenders, loop: (t, n) => wasm.verify_loop(t, n, Date.now() / 1000), gateLoop, gateSteps, verifySteps, verifyStepLoop, nowS };
}

/**
 * Loop contenders by name: `portcullis-loop` (verify_loop), `gate:<step>` (gate_loop),
 * `verify:<step>` (verify_step_loop).
 */
export function runLoop(made, name, token, n) {
  if (name === "portcullis-loop") return made.loop(token, n);
  if (name.startsWith("verify:")) return made.verifyStepLoop(name.slice(7), token, n);
  if (name.startsWith("gate:")) return made.gateLoop(name.slice(5), n);
  return null;
}

/** Run `n` verifications; returns how many were accepted. */
export async function runBatch(c, token, n) {
  let ok = 0;
  if (c.sync) for (let i = 0; i < n; i++) ok += c.fn(token) ? 1 : 0;
  else for (let i = 0; i < n; i++) ok += (await c.fn(token)) ? 1 : 0;
  return ok;
}

/** Every contender must accept the token and refuse it with one signature byte changed. */
export async function selfCheck(contenders, token) {
  const last = token.at(-2) === "A" ? "B" : "A";
  const tampered = token.slice(0, -2) + last + token.at(-1);
  for (const [name, c] of Object.entries(contenders)) {
    if (!(await c.fn(token))) throw new Error(`${name} refused the bench token`);
    if (await c.fn(tampered)) throw new Error(`${name} accepted a tampered token`);
  }
}
