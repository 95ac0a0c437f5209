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

/// The pieces of one verify, in order, for [`verify_step_loop`]: *split* (length and the
/// three segments), *header* (decode and read the protected header), *tag* (decode the
/// signature and check the HMAC over the signing input with the pre-keyed state), *hmac*
/// (the HMAC alone over the signing input, tag already decoded), *claims* (decode the
/// payload and read the claims), *check* (the claim rules on claims already read), *all*
/// (the whole verify, as `verify_loop`); *payload_b64* and *claims_json* split *claims* into
/// the base64url decode and the JSON read; *alloc5* is five small heap strings made and
/// dropped (what the claims' strings cost the allocator).
pub const VERIFY_STEPS: [&str; 10] = [
    "split",
    "header",
    "tag",
    "hmac",
    "claims",
    "payload_b64",
    "claims_json",
    "alloc5",
    "check",
    "all",
];

/// The verify steps, comma-separated.
#[wasm_bindgen]
pub fn verify_steps() -> String {
    VERIFY_STEPS.join(",")
}

/// `n` runs of one piece of the verify of `token` inside wasm (see [`VERIFY_STEPS`]);
/// returns how many succeeded.
#[wasm_bindgen]
pub fn verify_step_loop(step: &str, token: &str, n: u32, now: f64) -> u32 {
    use portcullis::jwt::error::Segment;
    use portcullis::jwt::token::{self, Header};
    use portcullis::jwt::{claims::Claims, verify::check_claims};
    STATE.with(|s| {
        let s = s.borrow();
        let (ring, policy) = s.as_ref().expect("setup() first");
        let parts = token::split(token, policy.max_token_len).expect("a well-formed token");
        let key = ring.keys().first().expect("a key");
        let mut tag = [0u8; 64];
        let tag_len = portcullis::codec::b64::decode_to_slice(parts.signature, &mut tag)
            .expect("a base64url tag");
        let claims =
            token::with_decoded(parts.payload, Segment::Payload, Claims::parse).expect("claims");
        let now = now as i64;
        let payload = token::decode_segment(parts.payload, Segment::Payload).expect("payload");
        let once = |t: &str| -> bool {
            match step {
                "split" => token::split(t, policy.max_token_len).is_ok(),
                "header" => Header::decode(parts.header).is_ok(),
                "tag" => {
                    let mut tag = [0u8; 64];
                    portcullis::codec::b64::decode_to_slice(parts.signature, &mut tag).is_ok_and(
                        |len| {
                            key.verify_tag(parts.signing_input.as_bytes(), &tag[..len])
                                .is_ok()
                        },
                    )
                }
                "hmac" => key
                    .verify_tag(parts.signing_input.as_bytes(), &tag[..tag_len])
                    .is_ok(),
                "claims" => {
                    token::with_decoded(parts.payload, Segment::Payload, Claims::parse).is_ok()
                }
                "payload_b64" => {
                    let mut buf = [0u8; 512];
                    portcullis::codec::b64::decode_to_slice(parts.payload, &mut buf).is_ok()
                }
                "claims_json" => Claims::parse(std::hint::black_box(&payload)).is_ok(),
                "alloc5" => {
                    let names = [
                        "https://issuer.example",
                        "user-1234",
                        "orders-api",
                        "orders:read",
                        "0f8fad5b",
                    ];
                    let owned: Vec<Option<String>> = std::hint::black_box(names)
                        .iter()
                        .map(|s| Some((*s).to_owned()))
                        .collect();
                    std::hint::black_box(owned).len() == 5
                }
                "check" => check_claims(std::hint::black_box(&claims), policy, now).is_ok(),
                "all" => portcullis::jwt::verify::verify(t, ring, policy, now).is_ok(),
                _ => panic!("unknown verify step {step}"),
            }
        };
        (0..n)
            .map(|_| u32::from(once(std::hint::black_box(token))))
            .sum()
    })
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
