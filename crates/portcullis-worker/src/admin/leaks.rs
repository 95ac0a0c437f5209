//! `POST <admin prefix>/leaks`: a secret-scanning partner's signed leak report. The core
//! selects the key, converts the signature and decides ([`portcullis::http::admin`]); here
//! the body is read, the signature verified with WebCrypto (ECDSA P-256 / SHA-256, which
//! costs the wasm no elliptic-curve code), the revocations written and the audit lines sent.
//! Any refusal happens before a revocation is written.

use serde_json::json;
use worker::js_sys::{self, Array, Function, Object, Promise, Reflect, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{Request, Response};

use super::context::{reject, AdminContext};
use super::token;
use crate::grants;
use crate::revocations;
use crate::{now_s, send};
use portcullis::grant::leak::LeakStatus;
use portcullis::grant::service::{GrantCall, KeyCall};
use portcullis::http::admin as core;
use portcullis::http::{AuditRecord, Denial, Principal};
use portcullis::leaks::partner::{LeakFinding, LeakReportError, KEY_ID_HEADER, SIGNATURE_HEADER};
use portcullis::leaks::IssuedTarget;
use portcullis::revocation::RevocationReason;

pub(crate) async fn handle(mut req: Request, a: &AdminContext<'_>) -> worker::Result<Response> {
    let config = a.config;
    let headers = req.headers();
    let key_id = headers.get(KEY_ID_HEADER)?;
    let signature = headers.get(SIGNATURE_HEADER)?;
    let declared = headers
        .get("content-length")?
        .and_then(|v| v.parse::<usize>().ok());
    let signed =
        match core::leak_signature(config, key_id.as_deref(), signature.as_deref(), declared) {
            Ok(s) => s,
            Err(denial) => return reject(a, None, denial),
        };
    let body = match req.bytes().await {
        Ok(b) => b,
        Err(_) => {
            return reject(
                a,
                None,
                Denial::LeakReportRefused(LeakReportError::InvalidJson),
            )
        }
    };
    if let Err(denial) = core::check_report_len(body.len()) {
        return reject(a, None, denial);
    }
    match verify_p256(&signed.key.point, &signed.signature, &body).await {
        Ok(true) => {}
        Ok(false) => {
            return reject(
                a,
                None,
                Denial::LeakReportRefused(LeakReportError::BadSignature),
            )
        }
        Err(e) => {
            // WebCrypto refused the key itself (not on the curve): a configuration problem,
            // and still no proof the report is genuine.
            worker::console_error!(
                "{}",
                json!({"event": "leak_key_unusable", "key_identifier": signed.key.id, "error": format!("{e:?}")})
            );
            return reject(
                a,
                None,
                Denial::LeakReportRefused(LeakReportError::BadSignature),
            );
        }
    }
    let reports = match core::parse_leak_report(&body) {
        Ok(r) => r,
        Err(denial) => return reject(a, None, denial),
    };
    let now = now_s();
    let mut findings = core::leak_findings(config, &reports, now);
    // Refresh tokens and API keys of our format: their store decides and revokes.
    for finding in findings.iter_mut() {
        if let Err(denial) = settle_issued(a, finding).await {
            return reject(a, None, denial);
        }
    }
    for entry in findings.iter().filter_map(|f| f.revoke.as_ref()) {
        if let Err(denial) = revocations::record_or_refuse(a.env, config, entry).await {
            // The reporter retries; revoking the same thing again is harmless (the listing
            // keeps the latest change per revocation).
            return reject(a, None, denial);
        }
    }
    let request = a.audit.request();
    for finding in &findings {
        let facts = finding.assessment.facts();
        let who = Principal {
            sub: facts
                .and_then(|f| f.sub.clone())
                .or_else(|| finding.issued_sub.clone()),
            jti: facts.and_then(|f| f.jti.clone()),
            kid: facts.and_then(|f| f.kid.clone()),
        };
        let record = AuditRecord::allow("admin", &request, None, "leak_reported", 200, Some(&who))
            .with_detail(Some(finding.audit_detail()))
            .with_revocation_reason(
                (finding.revoke.is_some() || finding.issued_revoked_now)
                    .then_some(RevocationReason::Leaked),
            );
        a.audit.write(&record);
    }
    let answer = core::leaks_answer(&findings);
    let record = AuditRecord::allow("admin", &request, None, answer.reason, answer.status, None)
        .with_detail(answer.detail.clone());
    a.audit.write(&record);
    send(answer.response())
}

/// Asks the grant object or the key store about a reported refresh token or API key (a
/// JWT, or a string with a broken checksum, has no store: nothing is read), revoking it if
/// it is ours and live, and the access tokens a revoked grant issued with it.
async fn settle_issued(a: &AdminContext<'_>, finding: &mut LeakFinding<'_>) -> Result<(), Denial> {
    let Some(target) = finding.issued.clone() else {
        return Ok(());
    };
    let token = finding.reported.token.clone();
    let reply = match &target {
        IssuedTarget::Grant { sid, .. } => {
            let call = GrantCall::Leak {
                refresh_token: token,
                revoke: true,
            };
            grants::grant(a.env, sid, &call).await
        }
        IssuedTarget::ApiKey { .. } => {
            let call = KeyCall::Leak {
                key: token,
                revoke: true,
            };
            grants::keys(a.env, &call).await
        }
    };
    let reply = reply.map_err(|e| {
        worker::console_error!(
            "{}",
            json!({"event": "leak_store_failed", "error": e.to_string()})
        );
        // The reporter retries; a second report of a revoked credential answers `revoked`.
        Denial::RevocationUnavailable { retry_after_s: 5 }
    })?;
    let Some(status) = LeakStatus::from_reply(&reply.body) else {
        return Err(Denial::Internal {
            error: format!("leak store answered {} {}", reply.status, reply.reason),
        });
    };
    let revoked_now = reply.body["revoked_now"] == json!(true);
    finding.settle(status, revoked_now);
    finding.issued_sub = reply.sub.clone();
    if reply.ended.is_some() {
        token::revoke_issued(a, &reply, RevocationReason::Leaked).await?;
    }
    Ok(())
}

/// Verifies an ECDSA P-256 / SHA-256 signature (`r || s`) over `message` with WebCrypto.
/// `Err` when the runtime refuses the key.
async fn verify_p256(
    point: &[u8; 65],
    signature: &[u8; 64],
    message: &[u8],
) -> Result<bool, JsValue> {
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into())?;
    let subtle = Reflect::get(&crypto, &"subtle".into())?;
    let call = |name: &str, args: Array| -> Result<JsFuture, JsValue> {
        let f: Function = Reflect::get(&subtle, &name.into())?.dyn_into()?;
        let promise: Promise = f.apply(&subtle, &args)?.dyn_into()?;
        Ok(JsFuture::from(promise))
    };
    let algorithm = Object::new();
    Reflect::set(&algorithm, &"name".into(), &"ECDSA".into())?;
    Reflect::set(&algorithm, &"namedCurve".into(), &"P-256".into())?;
    let usages = Array::of1(&"verify".into());
    let import = Array::of5(
        &"raw".into(),
        &Uint8Array::from(&point[..]),
        &algorithm,
        &JsValue::FALSE,
        &usages,
    );
    let key = call("importKey", import)?.await?;
    Reflect::set(&algorithm, &"hash".into(), &"SHA-256".into())?;
    let verify = Array::of4(
        &algorithm,
        &key,
        &Uint8Array::from(&signature[..]),
        &Uint8Array::from(message),
    );
    Ok(call("verify", verify)?.await?.as_bool() == Some(true))
}
