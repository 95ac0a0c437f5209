//! `POST <admin prefix>/leaks`, the secret-scanning partner endpoint: the steps around the
//! Worker's signature check. No admin token: the reporter proves itself by signing the body
//! with a configured key ([`crate::leaks::partner`]).
//!
//! 1. [`leak_signature`]: the endpoint is on, the key is known, the signature is DER;
//! 2. the Worker verifies the raw signature over the raw body with WebCrypto;
//! 3. [`leak_findings`]: parse the body and decide; the Worker writes the revocations;
//! 4. [`leaks_answer`]: the feedback array.

use crate::config::{self, GateConfig};
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
    let revoked = findings.iter().filter(|f| f.revoke.is_some()).count();
    AdminAnswer {
        status: 200,
        body: partner::feedback(findings),
        reason: "leaks_reported",
        detail: Some(format!("{} reported, {revoked} revoked", findings.len())),
        revocation_reason: None,
    }
}
