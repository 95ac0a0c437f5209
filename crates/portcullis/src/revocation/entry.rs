//! The revocation model: what is revoked ([`Revocation`]), the entry stored for it
//! ([`RevocationEntry`]) and how long that entry matters ([`entry_for`]), plus the entry's
//! versioned JSON. Where entries live in KV is [`super::kv`]'s concern.

use serde::{Deserialize, Serialize};

use super::error::{check_version, DecodeError, RevocationError};
use super::kind::RevocationKind;
use super::reason::RevocationReason;

/// Version written in, and required of, entry JSON.
const ENTRY_VERSION: u64 = 1;

/// What is revoked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Revocation {
    /// One token, by its `jti` claim.
    Token {
        /// The revoked token's `jti`.
        jti: String,
    },
    /// Every token for `sub` issued strictly before `before` (`iat < before`).
    ///
    /// A token for `sub` without `iat` is revoked too: it cannot prove it is newer.
    Subject {
        /// The subject whose older tokens are revoked.
        sub: String,
        /// Cut-off, NumericDate seconds; tokens with `iat >= before` are spared.
        before: i64,
    },
    /// Every token the ring key `kid` verifies (key compromise).
    Key {
        /// The compromised key's id.
        kid: String,
    },
    /// Every access token of one grant (session), by its `sid` claim: a logout, or a grant
    /// revoked for refresh-token reuse.
    Session {
        /// The grant's id.
        sid: String,
    },
}

impl Revocation {
    /// The kind of revocation.
    pub fn kind(&self) -> RevocationKind {
        match self {
            Revocation::Token { .. } => RevocationKind::Token,
            Revocation::Subject { .. } => RevocationKind::Subject,
            Revocation::Key { .. } => RevocationKind::Key,
            Revocation::Session { .. } => RevocationKind::Session,
        }
    }

    /// The identifier revoked: the `jti`, `sub`, `kid` or `sid`.
    pub fn target(&self) -> &str {
        match self {
            Revocation::Token { jti } => jti,
            Revocation::Subject { sub, .. } => sub,
            Revocation::Key { kid } => kid,
            Revocation::Session { sid } => sid,
        }
    }
}

/// A revocation as stored: what, when, and until when it matters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationEntry {
    /// What is revoked.
    pub revocation: Revocation,
    /// When it was revoked, NumericDate seconds.
    pub revoked_at: i64,
    /// After this instant no token it covers can be accepted any more; `None` for never
    /// (key revocations, see [`prune`](super::prune)).
    pub expires_at: Option<i64>,
    /// Why it was revoked; [`RevocationReason::Admin`] unless [`RevocationEntry::because`]
    /// says otherwise.
    pub reason: RevocationReason,
}

/// Limits the gate enforces on every token, from which revocation lifetimes follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevocationPolicy {
    /// Longest lifetime the gate accepts for any token, in seconds.
    pub max_ttl: i64,
    /// Clock tolerance the gate grants on `exp`, in seconds.
    pub leeway: i64,
}

/// Builds the entry for `rev` revoked at `now`, with the expiry that outlives every token
/// it covers.
///
/// - `jti`: `token_exp + leeway` when the token was presented (its `exp` is known), else
///   `now + max_ttl + leeway`;
/// - `sub`: `before + max_ttl + leeway`: no token issued before `before` lives longer;
/// - `kid`: never (`None`): a compromised key mints fresh tokens; see [`prune`](super::prune);
/// - `sid`: `token_exp` is then the latest `exp` of the access tokens the grant issued (the
///   grant object records it, and a revoked grant mints no more): `max(token_exp, now) +
///   leeway`, else `now + max_ttl + leeway` like a `jti` of unknown `exp`.
///
/// Arithmetic saturates, so hostile values cannot overflow.
pub fn entry_for(
    rev: Revocation,
    now: i64,
    token_exp: Option<i64>,
    policy: &RevocationPolicy,
) -> RevocationEntry {
    let expires_at = match &rev {
        Revocation::Token { .. } => Some(match token_exp {
            Some(exp) => exp.saturating_add(policy.leeway),
            None => now
                .saturating_add(policy.max_ttl)
                .saturating_add(policy.leeway),
        }),
        Revocation::Subject { before, .. } => Some(
            before
                .saturating_add(policy.max_ttl)
                .saturating_add(policy.leeway),
        ),
        Revocation::Key { .. } => None,
        Revocation::Session { .. } => Some(match token_exp {
            Some(exp) => exp.max(now).saturating_add(policy.leeway),
            None => now
                .saturating_add(policy.max_ttl)
                .saturating_add(policy.leeway),
        }),
    };
    RevocationEntry {
        revocation: rev,
        revoked_at: now,
        expires_at,
        reason: RevocationReason::Admin,
    }
}

/// Entry JSON: `{"v":1,"kind":"sub","sub":"alice","before":N,"at":N,"exp":N,"reason":"leaked"}`;
/// only the field named by `kind` (plus `before` for `sub`) is present; `exp` is absent for
/// never; `reason` is absent for `admin`, so entries written before reasons existed read as
/// `admin` and an admin entry's bytes did not change.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryWire {
    v: u64,
    kind: RevocationKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    jti: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sub: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    before: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
    at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
    #[serde(default, skip_serializing_if = "RevocationReason::is_default")]
    reason: RevocationReason,
}

impl RevocationEntry {
    /// The same entry, recorded for `reason`.
    pub fn because(self, reason: RevocationReason) -> RevocationEntry {
        RevocationEntry { reason, ..self }
    }

    /// Whether no token this entry covers can be accepted at `now` any more.
    ///
    /// The entry still counts at `expires_at` itself and lapses one second later.
    pub fn is_expired(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|exp| now > exp)
    }

    /// The entry as compact, versioned JSON; used as the KV value.
    // Plain strings and integers under string keys: serde_json cannot fail on them.
    #[allow(clippy::expect_used, reason = "serializing this wire type cannot fail")]
    pub fn to_json(&self) -> String {
        let (mut jti, mut sub, mut before, mut kid, mut sid) = (None, None, None, None, None);
        match &self.revocation {
            Revocation::Token { jti: j } => jti = Some(j.clone()),
            Revocation::Subject { sub: s, before: b } => {
                (sub, before) = (Some(s.clone()), Some(*b))
            }
            Revocation::Key { kid: k } => kid = Some(k.clone()),
            Revocation::Session { sid: s } => sid = Some(s.clone()),
        }
        let wire = EntryWire {
            v: ENTRY_VERSION,
            kind: self.revocation.kind(),
            jti,
            sub,
            before,
            kid,
            sid,
            at: self.revoked_at,
            exp: self.expires_at,
            reason: self.reason,
        };
        serde_json::to_string(&wire).expect("an entry always serializes")
    }

    /// Parses entry JSON, from KV metadata or a KV value.
    ///
    /// # Errors
    /// [`RevocationError::MalformedEntry`] for anything but a version-1 entry with exactly
    /// the fields its kind requires.
    pub fn from_json(json: &str) -> Result<RevocationEntry, RevocationError> {
        check_version(json, ENTRY_VERSION).map_err(RevocationError::MalformedEntry)?;
        let wire: EntryWire =
            serde_json::from_str(json).map_err(|e| RevocationError::MalformedEntry(e.into()))?;
        let fields = (wire.jti, wire.sub, wire.before, wire.kid, wire.sid);
        let revocation = match (wire.kind, fields) {
            (RevocationKind::Token, (Some(jti), None, None, None, None)) => {
                Revocation::Token { jti }
            }
            (RevocationKind::Subject, (None, Some(sub), Some(before), None, None)) => {
                Revocation::Subject { sub, before }
            }
            (RevocationKind::Key, (None, None, None, Some(kid), None)) => Revocation::Key { kid },
            (RevocationKind::Session, (None, None, None, None, Some(sid))) => {
                Revocation::Session { sid }
            }
            (kind, ..) => {
                return Err(RevocationError::MalformedEntry(
                    DecodeError::FieldsDisagreeWithKind { kind },
                ))
            }
        };
        Ok(RevocationEntry {
            revocation,
            revoked_at: wire.at,
            expires_at: wire.exp,
            reason: wire.reason,
        })
    }
}

/// The later of two expiries, `None` being never.
pub(super) fn later_expiry(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revocation::test_support::*;
    use proptest::prelude::*;

    #[test]
    fn token_entry_expires_at_token_exp_plus_leeway() {
        let e = entry_for(jti("a"), NOW, Some(NOW + 600), &POLICY);
        assert_eq!(e.expires_at, Some(NOW + 600 + 30));
        assert_eq!(e.revoked_at, NOW);
    }

    #[test]
    fn token_entry_without_exp_expires_after_max_ttl_plus_leeway() {
        let e = entry_for(jti("a"), NOW, None, &POLICY);
        assert_eq!(e.expires_at, Some(NOW + 3600 + 30));
    }

    #[test]
    fn subject_entry_expires_max_ttl_plus_leeway_after_before() {
        let e = entry_for(sub("alice", NOW - 1000), NOW, None, &POLICY);
        assert_eq!(e.expires_at, Some(NOW - 1000 + 3600 + 30));
    }

    #[test]
    fn key_entry_never_expires() {
        let e = entry_for(kid("k1"), NOW, Some(NOW + 10), &POLICY);
        assert_eq!(e.expires_at, None);
        assert!(!e.is_expired(i64::MAX));
        assert_eq!(e.kv_expiration(NOW), None);
    }

    #[test]
    fn session_entry_outlives_the_grants_latest_access_token() {
        let e = entry_for(sid("g"), NOW, Some(NOW + 300), &POLICY);
        assert_eq!(e.expires_at, Some(NOW + 300 + 30));
        // Every token of the grant has expired: the entry still holds through the leeway.
        let e = entry_for(sid("g"), NOW, Some(NOW - 500), &POLICY);
        assert_eq!(e.expires_at, Some(NOW + 30));
        // Unknown: as long as any token may live.
        let e = entry_for(sid("g"), NOW, None, &POLICY);
        assert_eq!(e.expires_at, Some(NOW + 3600 + 30));
    }

    #[test]
    fn entry_counts_through_expires_at_and_lapses_after() {
        let e = entry_for(jti("a"), NOW, Some(NOW + 10), &POLICY);
        assert!(!e.is_expired(NOW + 40));
        assert!(e.is_expired(NOW + 41));
    }

    #[test]
    fn expiry_arithmetic_saturates_instead_of_overflowing() {
        let e = entry_for(jti("a"), NOW, Some(i64::MAX - 1), &POLICY);
        assert_eq!(e.expires_at, Some(i64::MAX));
        let e = entry_for(sub("alice", i64::MAX), NOW, None, &POLICY);
        assert_eq!(e.expires_at, Some(i64::MAX));
    }

    #[test]
    fn entry_json_has_the_documented_shape() {
        let e = entry_for(sub("alice", NOW - 10), NOW, None, &POLICY);
        assert_eq!(
            e.to_json(),
            format!(
                r#"{{"v":1,"kind":"sub","sub":"alice","before":{},"at":{NOW},"exp":{}}}"#,
                NOW - 10,
                NOW - 10 + 3630
            )
        );
        let e = entry_for(jti("t1"), NOW, Some(NOW + 5), &POLICY);
        assert_eq!(
            e.to_json(),
            format!(
                r#"{{"v":1,"kind":"jti","jti":"t1","at":{NOW},"exp":{}}}"#,
                NOW + 35
            )
        );
        let e = entry_for(kid("k1"), NOW, None, &POLICY);
        assert_eq!(
            e.to_json(),
            format!(r#"{{"v":1,"kind":"kid","kid":"k1","at":{NOW}}}"#)
        );
        let e = entry_for(sid("g1"), NOW, Some(NOW + 5), &POLICY);
        assert_eq!(
            e.to_json(),
            format!(
                r#"{{"v":1,"kind":"sid","sid":"g1","at":{NOW},"exp":{}}}"#,
                NOW + 35
            )
        );
    }

    #[test]
    fn entry_json_records_a_reason_other_than_admin_and_reads_its_absence_as_admin() {
        let e = entry_for(jti("t1"), NOW, Some(NOW + 5), &POLICY).because(RevocationReason::Leaked);
        let json = e.to_json();
        assert_eq!(
            json,
            format!(
                r#"{{"v":1,"kind":"jti","jti":"t1","at":{NOW},"exp":{},"reason":"leaked"}}"#,
                NOW + 35
            )
        );
        assert_eq!(RevocationEntry::from_json(&json).unwrap(), e);
        let old = r#"{"v":1,"kind":"jti","jti":"t1","at":1}"#;
        assert_eq!(
            RevocationEntry::from_json(old).unwrap().reason,
            RevocationReason::Admin
        );
        let unknown = r#"{"v":1,"kind":"jti","jti":"t1","at":1,"reason":"whim"}"#;
        assert!(RevocationEntry::from_json(unknown).is_err());
    }

    #[test]
    fn entry_json_round_trips_for_every_kind() {
        for rev in [jti("a\"/é"), sub("alice", -5), kid("k1"), sid("g1")] {
            let e = entry_for(rev, NOW, Some(NOW), &POLICY);
            assert_eq!(
                RevocationEntry::from_json(&e.metadata_json().unwrap()).unwrap(),
                e
            );
        }
    }

    #[test]
    fn entry_json_rejects_malformed_input() {
        let cases: &[(&str, DecodeCheck)] = &[
            ("{", |e| matches!(e, DecodeError::Syntax { .. })),
            ("[]", |e| matches!(e, DecodeError::Shape { .. })),
            (r#"{"kind":"jti","jti":"a","at":1}"#, |e| {
                *e == DecodeError::MissingVersion
            }),
            (r#"{"v":2,"kind":"jti","jti":"a","at":1}"#, |e| {
                *e == DecodeError::UnsupportedVersion { found: 2 }
            }),
            (r#"{"v":1,"kind":"jti","jti":"a","at":1,"extra":0}"#, |e| {
                matches!(e, DecodeError::Shape { .. })
            }),
            (r#"{"v":1,"kind":"nope","jti":"a","at":1}"#, |e| {
                matches!(e, DecodeError::Shape { .. })
            }),
            (r#"{"v":1,"kind":"jti","jti":"a"}"#, |e| {
                matches!(e, DecodeError::Shape { .. })
            }),
            (r#"{"v":1,"kind":"jti","jti":7,"at":1}"#, |e| {
                matches!(e, DecodeError::Shape { .. })
            }),
            (r#"{"v":1,"kind":"sub","sub":"a","at":1}"#, |e| {
                *e == DecodeError::FieldsDisagreeWithKind {
                    kind: RevocationKind::Subject,
                }
            }),
            (r#"{"v":1,"kind":"jti","jti":"a","kid":"k","at":1}"#, |e| {
                *e == DecodeError::FieldsDisagreeWithKind {
                    kind: RevocationKind::Token,
                }
            }),
            (r#"{"v":1,"kind":"kid","jti":"a","at":1}"#, |e| {
                *e == DecodeError::FieldsDisagreeWithKind {
                    kind: RevocationKind::Key,
                }
            }),
            (r#"{"v":1,"kind":"sid","jti":"a","at":1}"#, |e| {
                *e == DecodeError::FieldsDisagreeWithKind {
                    kind: RevocationKind::Session,
                }
            }),
            (r#"{"v":1,"kind":"jti","jti":"a","sid":"g","at":1}"#, |e| {
                *e == DecodeError::FieldsDisagreeWithKind {
                    kind: RevocationKind::Token,
                }
            }),
        ];
        for (json, expected) in cases {
            match RevocationEntry::from_json(json) {
                Err(RevocationError::MalformedEntry(e)) => assert!(expected(&e), "{json}: {e:?}"),
                other => panic!("{json}: {other:?}"),
            }
        }
    }

    proptest! {
        #[test]
        fn entry_json_round_trips(entry in arb_entry()) {
            prop_assert_eq!(RevocationEntry::from_json(&entry.to_json()).unwrap(), entry);
        }
    }
}
