//! Portcullis's verifier exported to JS, so a benchmark can time it inside V8 next to the
//! JS JWT libraries. `setup` loads the key ring and policy once, as the gate does per
//! isolate; `verify` is one verification with the token crossing the JS/wasm boundary, as in
//! the gate; `verify_loop` is N verifications inside wasm (no boundary crossings).
//! `gate_setup` / `gate_loop` do the same for the gate's whole per-request core path, step
//! by step (bench/gate-path, the fixture bench/native's `gate_path` times natively).
use std::cell::RefCell;

use portcullis::jwt::keyring::{Alg, Keyring};
use portcullis::jwt::verify::VerifyPolicy;
use portcullis_bench_gate_path::{GatePath, STEPS};
use wasm_bindgen::prelude::*;

thread_local! {
    static STATE: RefCell<Option<(Keyring, VerifyPolicy)>> = const { RefCell::new(None) };
    static GATE: RefCell<Option<GatePath>> = const { RefCell::new(None) };
}

/// Loads the JWK Set and the policy (HS256 only, issuer, audience, leeway 0, max TTL).
#[wasm_bindgen]
pub fn setup(jwks: &str, issuer: &str, audience: &str, max_ttl: u32) -> Result<(), JsError> {
    let ring = Keyring::from_jwks(jwks).map_err(|e| JsError::new(&e.to_string()))?;
    let policy = VerifyPolicy {
        algorithms: vec![Alg::HS256],
        audience: Some(audience.to_owned()),
        issuer: Some(issuer.to_owned()),
        leeway: 0,
        max_ttl: Some(u64::from(max_ttl)),
        ..VerifyPolicy::default()
    };
    STATE.with(|s| *s.borrow_mut() = Some((ring, policy)));
    Ok(())
}

fn check(token: &str, now: i64) -> bool {
    STATE.with(|s| {
        let s = s.borrow();
        let (ring, policy) = s.as_ref().expect("setup() first");
        portcullis::jwt::verify::verify(token, ring, policy, now).is_ok()
    })
}

/// One verification at `now` (seconds since the epoch).
#[wasm_bindgen]
pub fn verify(token: &str, now: f64) -> bool {
    check(token, now as i64)
}

/// `n` verifications of the same token inside wasm; returns how many passed.
#[wasm_bindgen]
pub fn verify_loop(token: &str, n: u32, now: f64) -> u32 {
    (0..n)
        .map(|_| u32::from(check(std::hint::black_box(token), now as i64)))
        .sum()
}

/// Builds the gate-path fixture at `now` (seconds since the epoch); every step is run once
/// and must succeed.
#[wasm_bindgen]
pub fn gate_setup(now: f64) {
    let fixture = GatePath::new(now as i64);
    GATE.with(|g| *g.borrow_mut() = Some(fixture));
}

/// The gate-path steps, comma-separated, in request order.
#[wasm_bindgen]
pub fn gate_steps() -> String {
    STEPS.join(",")
}

/// `n` runs of one gate-path step inside wasm; returns how many came out as an allowed
/// request's would.
#[wasm_bindgen]
pub fn gate_loop(step: &str, n: u32) -> u32 {
    GATE.with(|g| {
        let g = g.borrow();
        let fixture = g.as_ref().expect("gate_setup() first");
        (0..n)
            .map(|_| u32::from(fixture.run(std::hint::black_box(step))))
            .sum()
    })
}
