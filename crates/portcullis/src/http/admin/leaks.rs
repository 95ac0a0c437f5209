//! `POST <admin prefix>/leaks`, the secret-scanning partner endpoint: the steps around the
//! Worker's signature check. No admin token: the reporter proves itself by signing the body
//! with a configured key ([`crate::leaks::partner`]).
//!
//! 1. [`leak_signature`]: the endpoint is on, the key is known, the signature is DER;
//! 2. the Worker verifies the raw signature over the raw body with WebCrypto;
//! 3. [`leak_findings`]: parse the body and decide; the Worker writes the revocations;
//! 4. [`leaks_answer`]: the feedback array.

use serde_json::{json, Value};

use crate::config::{self, GateConfig};
use crate::grant::credential::CredentialKind;
use crate::grant::leak::LeakStatus;
use crate::http::admin::AdminAnswer;
use crate::http::Denial;
use crate::leaks::partner::{
    self, parse_report, LeakFinding, LeakReportError, ReportedToken, SignedReport,
    MAX_REPORT_BODY_LEN,
};
use crate::revocation::RevocationPolicy;

/// The key and raw signature to verify the body with. `Content-Length` (when declared) is
/// checked here too, so an oversized body is refused before it is read.
pub fn leak_signature<'c>(
    config: &'c GateConfig,
    key_id: Option<&str>,
    signature: Option<&str>,
    declared_len: Option<usize>,
) -> Result<SignedReport<'c>, Denial> {
    let refused = Denial::LeakReportRefused;
    if config.leak_reporters.is_none() {
        return Err(refused(LeakReportError::NotConfigured));
    }
    if let Some(len) = declared_len {
        check_report_len(len)?;
    }
    partner::signed_by(config.leak_reporters.as_ref(), key_id, signature).map_err(refused)
}

/// Refuses a body over [`MAX_REPORT_BODY_LEN`].
pub fn check_report_len(len: usize) -> Result<(), Denial> {
    if len > MAX_REPORT_BODY_LEN {
        return Err(Denial::LeakReportRefused(LeakReportError::BodyTooLarge {
            len,
            max: MAX_REPORT_BODY_LEN,
        }));
    }
    Ok(())
}

/// The reported tokens of a body whose signature verified.
pub fn parse_leak_report(body: &[u8]) -> Result<Vec<ReportedToken>, Denial> {
    parse_report(body).map_err(Denial::LeakReportRefused)
}

/// The decision for each reported token at `now`.
pub fn leak_findings<'r>(
    config: &GateConfig,
    reports: &'r [ReportedToken],
    now: i64,
) -> Vec<LeakFinding<'r>> {
    let policy = RevocationPolicy {
        max_ttl: config.verify.max_ttl.unwrap_or(config::defaults::MAX_TTL_S) as i64,
        leeway: config.verify.leeway as i64,
    };
    partner::decide(reports, &config.keyring, config.verify.leeway, &policy, now)
}

/// The answer: 200 with GitHub's feedback array. The per-token audit lines are the Worker's
/// to write, one per finding ([`LeakFinding::audit_detail`]).
pub fn leaks_answer(findings: &[LeakFinding<'_>]) -> AdminAnswer {
    let revoked = findings
        .iter()
        .filter(|f| f.revoke.is_some() || f.issued_revoked_now)
        .count();
    AdminAnswer {
        status: 200,
        body: partner::feedback(findings),
        reason: "leaks_reported",
        detail: Some(format!("{} reported, {revoked} revoked", findings.len())),
        revocation_reason: None,
    }
}

/// The RFC 7662 answer for a refresh token or API key, from its store's leak check
/// (`{"status", "sub"}`): `active` only when live; `status` says why not (`expired`,
/// `revoked`, or `unknown`: not one this gate issued), for the scanner.
pub fn issued_introspection_answer(kind: CredentialKind, store: &Value) -> AdminAnswer {
    let status = LeakStatus::from_reply(store).unwrap_or(LeakStatus::Unknown);
    let token_type = match kind {
        CredentialKind::RefreshToken => "refresh_token",
        CredentialKind::ApiKey => "api_key",
    };
    let body = if status == LeakStatus::Unknown {
        json!({ "active": false, "status": status })
    } else {
        json!({
            "active": status == LeakStatus::Live,
            "status": status,
            "token_type": token_type,
            "sub": store.get("sub").cloned().unwrap_or(Value::Null),
        })
    };
    AdminAnswer {
        status: 200,
        body,
        reason: "introspected",
        detail: Some(format!("{token_type} {}", status.as_str())),
        revocation_reason: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_opaque_credential_is_active_only_when_its_store_says_live() {
        let live = json!({"status": "live", "revoked_now": false, "sub": "svc"});
        let a = issued_introspection_answer(CredentialKind::ApiKey, &live);
        assert_eq!(
            a.body,
            json!({"active": true, "status": "live", "token_type": "api_key", "sub": "svc"})
        );
        let revoked = json!({"status": "revoked", "sub": "alice"});
        let a = issued_introspection_answer(CredentialKind::RefreshToken, &revoked);
        assert_eq!(
            (a.body["active"].clone(), a.body["status"].clone()),
            (json!(false), json!("revoked"))
        );
        let unknown = json!({"status": "unknown", "sub": null});
        let a = issued_introspection_answer(CredentialKind::ApiKey, &unknown);
        assert_eq!(a.body, json!({"active": false, "status": "unknown"}));
        let garbled = json!({"error": "server_error"});
        assert_eq!(
            issued_introspection_answer(CredentialKind::ApiKey, &garbled).body["active"],
            false
        );
    }
}
