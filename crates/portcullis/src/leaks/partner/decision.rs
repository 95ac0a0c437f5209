//! What a verified report changes: each token that is ours and live is revoked with reason
//! `leaked`; every token gets a feedback label; every token gets an audit line naming the
//! reporter's `url` and `source`.
//!
//! A JWT is decided here from the key ring. A refresh token or API key with a valid
//! checksum names its grant or key ([`IssuedTarget`]); only that store can say whether we
//! issued it and whether it is live, so the Worker asks it (revoking if live) and settles
//! the finding with [`LeakFinding::settle`]. One with a broken checksum is a false positive
//! decided here, with no storage read.

use serde_json::{json, Value};

use super::report::ReportedToken;
use crate::grant::leak::LeakStatus;
use crate::jwt::keyring::Keyring;
use crate::leaks::assess::{assess, Assessment};
use crate::leaks::format::token_hash;
use crate::leaks::issued::{issued_target, IssuedTarget};
use crate::revocation::{RevocationEntry, RevocationPolicy};

/// GitHub's feedback label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    /// Ours (live or expired): a real credential leaked.
    TruePositive,
    /// Not verified by our keys.
    FalsePositive,
}

impl Label {
    /// `true_positive` or `false_positive`.
    pub fn as_str(self) -> &'static str {
        match self {
            Label::TruePositive => "true_positive",
            Label::FalsePositive => "false_positive",
        }
    }
}

/// The decision for one reported token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeakFinding<'r> {
    /// What was reported.
    pub reported: &'r ReportedToken,
    /// What the key ring says of it.
    pub assessment: Assessment,
    /// The revocation to write: for a live token of ours whose revocation fits the store.
    pub revoke: Option<RevocationEntry>,
    /// The feedback label.
    pub label: Label,
    /// For a refresh token or API key of our format: the grant or key to ask.
    pub issued: Option<IssuedTarget>,
    /// What that store answered ([`LeakFinding::settle`]); `None` until asked.
    pub issued_status: Option<LeakStatus>,
    /// Whether the store revoked it for this report.
    pub issued_revoked_now: bool,
    /// The subject the store named, for the audit line.
    pub issued_sub: Option<String>,
}

impl LeakFinding<'_> {
    /// Records the store's answer for an opaque credential: ours (whatever its status) is a
    /// true positive; one the store does not know is a false positive.
    pub fn settle(&mut self, status: LeakStatus, revoked_now: bool) {
        self.issued_status = Some(status);
        self.issued_revoked_now = revoked_now;
        self.label = if status == LeakStatus::Unknown {
            Label::FalsePositive
        } else {
            Label::TruePositive
        };
    }

    /// The status for the audit line: the key ring's for a JWT, the store's for an opaque
    /// credential (`unchecked` if the store was not asked).
    pub fn status(&self) -> &'static str {
        match (&self.issued, self.issued_status) {
            (None, _) => self.assessment.status(),
            (Some(_), Some(s)) => s.as_str(),
            (Some(_), None) => "unchecked",
        }
    }

    /// The audit detail: label, status, what is revoked, and the reporter's `source` and
    /// `url` (control characters dropped, bounded); never the token.
    pub fn audit_detail(&self) -> String {
        let clean = |s: &str, max: usize| -> String {
            s.chars().filter(|c| !c.is_control()).take(max).collect()
        };
        let revoked = match (&self.revoke, &self.issued) {
            (Some(e), _) => format!(" revoked {} {}", e.revocation.kind(), e.revocation.target()),
            (None, Some(t)) if self.issued_revoked_now => {
                format!(" revoked {} {}", t.kind(), t.id())
            }
            _ => String::new(),
        };
        format!(
            "{} {}{revoked}; reported as {} from {} at {}",
            self.label.as_str(),
            self.status(),
            clean(&self.reported.kind, 64),
            clean(&self.reported.source, 64),
            clean(&self.reported.url, 512),
        )
    }
}

/// Decides every reported token against `ring` at `now` (`leeway` on `exp`, as the gate).
pub fn decide<'r>(
    reports: &'r [ReportedToken],
    ring: &Keyring,
    leeway: u64,
    policy: &RevocationPolicy,
    now: i64,
) -> Vec<LeakFinding<'r>> {
    reports
        .iter()
        .map(|reported| {
            if let Some((_, target)) = issued_target(&reported.token) {
                // Settled by the store; a false positive until it says otherwise.
                return LeakFinding {
                    reported,
                    assessment: Assessment::Foreign,
                    revoke: None,
                    label: Label::FalsePositive,
                    issued: Some(target),
                    issued_status: None,
                    issued_revoked_now: false,
                    issued_sub: None,
                };
            }
            let assessment = assess(&reported.token, ring, leeway, now);
            let revoke = assessment
                .revocation(now, policy)
                .filter(|e| e.kv_key().is_ok() && e.metadata_json().is_ok());
            let label = match assessment {
                Assessment::Foreign => Label::FalsePositive,
                _ => Label::TruePositive,
            };
            LeakFinding {
                reported,
                assessment,
                revoke,
                label,
                issued: None,
                issued_status: None,
                issued_revoked_now: false,
                issued_sub: None,
            }
        })
        .collect()
}

/// GitHub's feedback array: `[{"token_hash", "token_type", "label"}]`, the hash (SHA-256,
/// hex) rather than `token_raw`, so the answer never carries a credential.
pub fn feedback(findings: &[LeakFinding<'_>]) -> Value {
    Value::Array(
        findings
            .iter()
            .map(|f| {
                json!({
                    "token_hash": token_hash(&f.reported.token),
                    "token_type": f.reported.kind,
                    "label": f.label.as_str(),
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::mint::sign_compact;
    use crate::revocation::{Revocation, RevocationReason};

    const NOW: i64 = 1_700_000_000;
    const POLICY: RevocationPolicy = RevocationPolicy {
        max_ttl: 3600,
        leeway: 0,
    };

    fn ring(byte: u8) -> Keyring {
        let k = crate::codec::b64::encode([byte; 32]);
        Keyring::from_jwks(&format!(
            r#"{{"keys":[{{"kty":"oct","kid":"k1","alg":"HS256","k":"{k}"}}]}}"#
        ))
        .unwrap()
    }

    fn reported(token: String) -> ReportedToken {
        ReportedToken {
            token,
            kind: "portcullis_jwt".into(),
            url: "https://github.com/o/r/blob/main/.env\n".into(),
            source: "content".into(),
        }
    }

    #[test]
    fn ours_and_live_is_revoked_as_leaked_expired_and_foreign_are_not() {
        let ours = ring(1);
        let mint = |r: &Keyring, claims| {
            sign_compact(&r.keys()[0], &json!({"alg":"HS256","kid":"k1"}), &claims)
        };
        let reports = vec![
            reported(mint(&ours, json!({"sub":"a","jti":"live-1","exp":NOW+60}))),
            reported(mint(&ours, json!({"sub":"a","jti":"old-1","exp":NOW-60}))),
            reported(mint(
                &ring(2),
                json!({"sub":"a","jti":"theirs","exp":NOW+60}),
            )),
        ];
        let findings = decide(&reports, &ours, 0, &POLICY, NOW);
        let live = findings[0].revoke.as_ref().unwrap();
        assert_eq!(
            live.revocation,
            Revocation::Token {
                jti: "live-1".into()
            }
        );
        assert_eq!(live.reason, RevocationReason::Leaked);
        assert_eq!(findings[1].revoke, None);
        assert_eq!(findings[2].revoke, None);
        let labels: Vec<_> = findings.iter().map(|f| f.label).collect();
        assert_eq!(
            labels,
            [
                Label::TruePositive,
                Label::TruePositive,
                Label::FalsePositive
            ]
        );
        let answer = feedback(&findings);
        assert_eq!(answer[0]["label"], "true_positive");
        assert_eq!(answer[2]["label"], "false_positive");
        assert_eq!(answer[0]["token_type"], "portcullis_jwt");
        assert_eq!(answer[0]["token_hash"], token_hash(&reports[0].token));
        let text = answer.to_string();
        assert!(reports.iter().all(|r| !text.contains(&r.token)));
        let detail = findings[0].audit_detail();
        assert!(detail.contains("from content at https://github.com/o/r/blob/main/.env"));
        assert!(detail.contains("revoked jti live-1") && !detail.contains('\n'));
        assert!(!detail.contains(&reports[0].token));
    }

    #[test]
    fn opaque_credentials_wait_for_their_store_and_a_broken_checksum_is_false_at_once() {
        use crate::grant::secrets::{ApiKey, ApiKeyId};
        let key = ApiKey {
            id: ApiKeyId([5; 12]),
            secret: [6; 20],
        }
        .encode();
        let mut broken = key.clone().into_bytes();
        broken[7] = if broken[7] == b'x' { b'y' } else { b'x' };
        let reports = vec![
            reported(key.clone()),
            reported(String::from_utf8(broken).unwrap()),
        ];
        let mut findings = decide(&reports, &ring(1), 0, &POLICY, NOW);
        assert_eq!(
            findings[0].issued,
            Some(IssuedTarget::ApiKey {
                id: ApiKeyId([5; 12]).to_text()
            })
        );
        assert_eq!(findings[0].status(), "unchecked");
        assert_eq!(findings[1].issued, None, "no store to ask");
        assert_eq!(findings[1].label, Label::FalsePositive);
        findings[0].settle(LeakStatus::Live, true);
        assert_eq!(findings[0].label, Label::TruePositive);
        let detail = findings[0].audit_detail();
        assert!(
            detail.starts_with("true_positive live revoked api_key "),
            "{detail}"
        );
        assert!(!detail.contains(&key));
        findings[0].settle(LeakStatus::Unknown, false);
        assert_eq!(findings[0].label, Label::FalsePositive);
    }
}
