//! The Worker's side of sender-constrained tokens and rate limits: the platform's client
//! certificate facts (`request.cf.tlsClientAuth`), the DPoP proof's signature through the
//! runtime's WebCrypto (so the wasm carries no curve code), the isolate's replay cache, and
//! the Rate Limiting binding. Every decision is the core's.

use std::cell::RefCell;

use worker::wasm_bindgen::{JsCast, JsValue};
use worker::{js_sys, wasm_bindgen_futures::JsFuture, web_sys, Env};

use portcullis::ratelimit::RateLimit;
use portcullis::sender::dpop::{PendingProof, ProofAlg};
use portcullis::sender::mtls::ClientCert;
use portcullis::sender::replay::ReplayCache;

thread_local! {
    // This isolate's DPoP proofs, for the iat window (the README states what this guarantees).
    static REPLAY: RefCell<ReplayCache> = RefCell::new(ReplayCache::default());
}

fn get(target: &JsValue, name: &str) -> Option<JsValue> {
    js_sys::Reflect::get(target, &JsValue::from_str(name))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

/// `request.cf.tlsClientAuth`, when the platform reports one.
pub(crate) fn client_cert(req: &web_sys::Request) -> Option<ClientCert> {
    let auth = get(&get(req, "cf")?, "tlsClientAuth")?;
    let text = |name| {
        get(&auth, name)
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    Some(ClientCert {
        presented: text("certPresented"),
        verified: text("certVerified"),
        fingerprint_sha256: text("certFingerprintSHA256"),
    })
}

fn object(pairs: &[(&str, &str)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str(k), &JsValue::from_str(v));
    }
    o.into()
}

async fn call(target: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let f: js_sys::Function =
        js_sys::Reflect::get(target, &JsValue::from_str(method))?.dyn_into()?;
    let array = js_sys::Array::new();
    for a in args {
        array.push(a);
    }
    let promise: js_sys::Promise = f.apply(target, &array)?.dyn_into()?;
    JsFuture::from(promise).await
}

/// The proof's signature through `crypto.subtle`: import the header's public JWK, verify.
/// A key WebCrypto refuses (off the curve, say) is a bad signature, not a runtime error.
pub(crate) async fn proof_signature_holds(proof: &PendingProof) -> bool {
    let Some(subtle) = get(&js_sys::global(), "crypto").and_then(|c| get(&c, "subtle")) else {
        return false;
    };
    let (import, verify) = match proof.alg {
        ProofAlg::Es256 => (
            object(&[("name", "ECDSA"), ("namedCurve", "P-256")]),
            object(&[("name", "ECDSA"), ("hash", "SHA-256")]),
        ),
        ProofAlg::EdDsa => (
            object(&[("name", "Ed25519")]),
            object(&[("name", "Ed25519")]),
        ),
    };
    let Ok(jwk) = js_sys::JSON::parse(&proof.key.canonical_jwk()) else {
        return false;
    };
    let usages = js_sys::Array::of1(&JsValue::from_str("verify"));
    let Ok(key) = call(
        &subtle,
        "importKey",
        &[
            JsValue::from_str("jwk"),
            jwk,
            import,
            JsValue::FALSE,
            usages.into(),
        ],
    )
    .await
    else {
        return false;
    };
    let signature = js_sys::Uint8Array::from(proof.signature.as_slice());
    let data = js_sys::Uint8Array::from(proof.signing_input.as_bytes());
    call(
        &subtle,
        "verify",
        &[verify, key, signature.into(), data.into()],
    )
    .await
    .is_ok_and(|v| v.as_bool() == Some(true))
}

/// Runs `f` with this isolate's replay cache.
pub(crate) fn with_replay_cache<R>(f: impl FnOnce(&mut ReplayCache) -> R) -> R {
    REPLAY.with(|cache| f(&mut cache.borrow_mut()))
}

/// Asks the rule's Rate Limiting binding whether `key` may pass. `Err` names a missing or
/// failing binding, for the audit log.
pub(crate) async fn within_limit(env: &Env, limit: &RateLimit, key: &str) -> Result<bool, String> {
    let binding = get(env, &limit.limiter)
        .ok_or_else(|| format!("rate limiting binding {} is not bound", limit.limiter))?;
    let outcome = call(&binding, "limit", &[object(&[("key", key)])])
        .await
        .map_err(|e| format!("rate limiting binding {}: {e:?}", limit.limiter))?;
    get(&outcome, "success")
        .and_then(|v| v.as_bool())
        .ok_or_else(|| {
            format!(
                "rate limiting binding {}: no success in its answer",
                limit.limiter
            )
        })
}
