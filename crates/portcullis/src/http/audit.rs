//! The audit record: one JSON line per decision, built here from what the Worker read of
//! the request, so the Worker only writes it.

use serde::Serialize;

use crate::http::{Denial, Principal};
use crate::revocation::RevocationReason;

/// Which decisions get an audit line (`PORTCULLIS_AUDIT_ALLOWED_ONE_IN`).
///
/// Every denial, every admin action and every security event (a loop, a revocation check
/// that failed open, a runtime error) is always recorded: no setting drops them. What can be
/// thinned is the trail of allowed requests, which on a busy route is nearly all of the log
/// (one `console.log` per request, a few µs of workerd CPU each; BENCHMARKS.md section 3d).
/// The default keeps every allowed line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditPolicy {
    /// One allowed request in this many gets a line: 1 every one, 0 none.
    pub allowed_one_in: u64,
}

impl Default for AuditPolicy {
    fn default() -> AuditPolicy {
        AuditPolicy { allowed_one_in: 1 }
    }
}

impl AuditPolicy {
    /// Whether the allowed request numbered `seq` (counted from 0 by the isolate) gets its
    /// line. Deterministic, so a sampled trail is a predictable fraction, and the first
    /// allowed request of an isolate is always recorded.
    pub fn records_allowed(&self, seq: u64) -> bool {
        match self.allowed_one_in {
            0 => false,
            n => seq.is_multiple_of(n),
        }
    }
}

/// What the audit log knows of a request before any decision: taken from the platform by
/// the Worker, passed in, so the records themselves are built here.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditRequest<'a> {
    /// Milliseconds since the epoch, when the record is made.
    pub time_ms: u64,
    /// The client's address (`CF-Connecting-IP`).
    pub client_ip: Option<&'a str>,
    /// `CF-Ray`.
    pub ray: Option<&'a str>,
    /// The method.
    pub method: &'a str,
    /// The normalized path; `None` when the path could not be normalized.
    pub path: Option<&'a str>,
}

/// One audit line per decision, for gate requests and admin actions alike. Holds
/// identifiers only: never a token, signature or key.
///
/// There is no timing field: a Worker's clock only advances on I/O, so a duration measured
/// inside the gate is 0 for the CPU work and, around a subrequest, the origin's time, not
/// the gate's. The platform's own request metrics are the honest source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord<'a> {
    /// `gate` for a request to the origin's routes, `admin` for the admin API.
    pub event: &'static str,
    /// Milliseconds since the epoch.
    pub time_ms: u64,
    /// The client's address (`CF-Connecting-IP`).
    pub client_ip: Option<&'a str>,
    /// `CF-Ray`.
    pub ray: Option<&'a str>,
    /// The method.
    pub method: &'a str,
    /// The normalized path, when it could be normalized.
    pub path: Option<&'a str>,
    /// The rule's position, when one matched.
    pub rule: Option<usize>,
    /// `allow` or `deny`.
    pub decision: &'static str,
    /// A stable reason code.
    pub reason: &'static str,
    /// The HTTP status sent (the origin's, when forwarded).
    pub status: u16,
    /// `sub` of a verified token.
    pub sub: Option<&'a str>,
    /// `jti` of a verified token.
    pub jti: Option<&'a str>,
    /// `kid` of the key that verified it.
    pub kid: Option<&'a str>,
    /// The full reason (a denial's internal detail, an admin action's outcome): may name the
    /// server's clock and limits, which the client is never shown; never a token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Why a revocation this request recorded was made (`admin`, `leaked`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revocation_reason: Option<RevocationReason>,
}

impl<'a> AuditRecord<'a> {
    /// An allowed request or admin action: `reason` says how (`authorized`, `public`, ...).
    pub fn allow(
        event: &'static str,
        request: &AuditRequest<'a>,
        rule: Option<usize>,
        reason: &'static str,
        status: u16,
        who: Option<&'a Principal>,
    ) -> AuditRecord<'a> {
        AuditRecord {
            event,
            time_ms: request.time_ms,
            client_ip: request.client_ip,
            ray: request.ray,
            method: request.method,
            path: request.path,
            rule,
            decision: "allow",
            reason,
            status,
            sub: who.and_then(|p| p.sub.as_deref()),
            jti: who.and_then(|p| p.jti.as_deref()),
            kid: who.and_then(|p| p.kid.as_deref()),
            detail: None,
            revocation_reason: None,
        }
    }

    /// A refused request: status, reason and detail from the denial; the rule is the one the
    /// caller knows, or the one the denial carries (`missing_token`).
    pub fn deny(
        event: &'static str,
        request: &AuditRequest<'a>,
        rule: Option<usize>,
        denial: &'a Denial,
    ) -> AuditRecord<'a> {
        let mut record = AuditRecord::allow(
            event,
            request,
            rule.or(denial.rule()),
            denial.code(),
            denial.status(),
            denial.principal(),
        );
        record.decision = "deny";
        record.detail = denial.audit_detail();
        record
    }

    /// The same record with `detail` set.
    pub fn with_detail(mut self, detail: Option<String>) -> AuditRecord<'a> {
        self.detail = detail;
        self
    }

    /// The same record naming why the revocation it records was made.
    pub fn with_revocation_reason(mut self, reason: Option<RevocationReason>) -> AuditRecord<'a> {
        self.revocation_reason = reason;
        self
    }

    /// The log line: one JSON object.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The request and principal the audit and telemetry tests record.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::{AuditRequest, Principal};

    /// `GET /orders/1` from 203.0.113.7.
    pub fn request() -> AuditRequest<'static> {
        AuditRequest {
            time_ms: 1_700_000_000_123,
            client_ip: Some("203.0.113.7"),
            ray: Some("8a1b2c3d4e5f6a7b-LHR"),
            method: "GET",
            path: Some("/orders/1"),
        }
    }

    /// alice, token `t1` signed by `k1`.
    pub fn alice() -> Principal {
        Principal {
            sub: Some("alice".into()),
            jti: Some("t1".into()),
            kid: Some("k1".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{alice, request};
    use super::*;
    use crate::revocation::RevokedBy;
    use serde_json::json;

    #[test]
    fn audit_policy_records_every_allowed_request_by_default_and_samples_when_asked() {
        let every = AuditPolicy::default();
        assert!((0..5).all(|seq| every.records_allowed(seq)));
        let one_in_4 = AuditPolicy { allowed_one_in: 4 };
        let kept: Vec<u64> = (0..10).filter(|&s| one_in_4.records_allowed(s)).collect();
        assert_eq!(kept, [0, 4, 8]);
        let none = AuditPolicy { allowed_one_in: 0 };
        assert!((0..5).all(|seq| !none.records_allowed(seq)));
    }

    #[test]
    fn audit_records_carry_the_request_the_rule_and_the_principal() {
        let (request, who) = (request(), alice());
        let allowed = AuditRecord::allow("gate", &request, Some(1), "authorized", 200, Some(&who));
        let line: serde_json::Value = serde_json::from_str(&allowed.to_line()).unwrap();
        assert_eq!(
            line,
            json!({
                "event": "gate", "time_ms": 1_700_000_000_123u64, "client_ip": "203.0.113.7",
                "ray": "8a1b2c3d4e5f6a7b-LHR", "method": "GET", "path": "/orders/1", "rule": 1,
                "decision": "allow", "reason": "authorized", "status": 200,
                "sub": "alice", "jti": "t1", "kid": "k1",
            })
        );
        let revoked = Denial::Revoked {
            by: RevokedBy::Key,
            principal: who.clone(),
        };
        let denied = AuditRecord::deny("gate", &request, Some(1), &revoked);
        assert_eq!(
            (denied.decision, denied.reason, denied.status, denied.kid),
            ("deny", "revoked", 401, Some("k1"))
        );
        assert_eq!(denied.detail.as_deref(), Some("revoked by its key"));
        let recorded =
            AuditRecord::allow("admin", &request, None, "revocation_recorded", 201, None)
                .with_revocation_reason(Some(RevocationReason::Leaked));
        let line: serde_json::Value = serde_json::from_str(&recorded.to_line()).unwrap();
        assert_eq!(line["revocation_reason"], "leaked");
    }

    #[test]
    fn missing_token_names_the_rule_that_matched() {
        let missing = Denial::MissingToken { rule: Some(3) };
        let request = AuditRequest::default();
        let record = AuditRecord::deny("gate", &request, None, &missing);
        assert_eq!((record.rule, record.reason), (Some(3), "missing_token"));
    }
}
