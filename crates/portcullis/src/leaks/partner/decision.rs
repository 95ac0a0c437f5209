//! What a verified report changes: each token that is ours and live is revoked with reason
//! `leaked`; every token gets a feedback label; every token gets an audit line naming the
//! reporter's `url` and `source`.

use serde_json::{json, Value};

use super::report::ReportedToken;
use crate::jwt::keyring::Keyring;
use crate::leaks::assess::{assess, Assessment};
use crate::leaks::format::token_hash;
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
}

impl LeakFinding<'_> {
    /// The audit detail: label, status, what is revoked, and the reporter's `source` and
    /// `url` (control characters dropped, bounded); never the token.
    pub fn audit_detail(&self) -> String {
        let clean = |s: &str, max: usize| -> String {
            s.chars().filter(|c| !c.is_control()).take(max).collect()
        };
        let revoked = match &self.revoke {
            Some(e) => format!(" revoked {} {}", e.revocation.kind(), e.revocation.target()),
            None => String::new(),
        };
        format!(
            "{} {}{revoked}; reported as {} from {} at {}",
            self.label.as_str(),
            self.assessment.status(),
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
}
