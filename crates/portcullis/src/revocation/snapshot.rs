//! The snapshot: the compacted revocation list an isolate holds in memory and checks every
//! request against with hash lookups, and its versioned JSON under [`super::SNAPSHOT_KEY`].

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::entry::{later_expiry, Revocation, RevocationEntry};
use super::error::{check_version, DecodeError, RevocationError};
use super::kind::RevocationKind;
use super::reason::RevocationReason;

/// Version written in, and required of, snapshot JSON.
const SNAPSHOT_VERSION: u64 = 1;

/// Why a token is revoked, as answered by [`RevocationSnapshot::check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokedBy {
    /// Its `jti` is revoked.
    Token,
    /// Its subject's tokens issued before `before` are revoked, and it was one of them (or
    /// had no `iat`).
    Subject {
        /// The subject's cut-off.
        before: i64,
    },
    /// Its signing key (`kid`) is revoked.
    Key,
    /// Its grant (`sid`) is revoked: a logout, or refresh-token reuse.
    Session,
}

/// When an entry was revoked and until when it matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    revoked_at: i64,
    expires_at: Option<i64>,
}

impl Stamp {
    /// Combines two stamps for the same target: earliest revocation, latest expiry.
    fn merge(self, other: Stamp) -> Stamp {
        Stamp {
            revoked_at: self.revoked_at.min(other.revoked_at),
            expires_at: later_expiry(self.expires_at, other.expires_at),
        }
    }
}

/// The in-memory revocation list an isolate checks every request against.
///
/// Lookups are hash lookups by `jti`, `sub` (latest cut-off only) and `kid`. Entries are
/// not re-checked for expiry after building: an expired entry covers only tokens the gate
/// rejects anyway, so holding it until the next refresh costs memory, not correctness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationSnapshot {
    built_at: i64,
    /// The writer's version this list is complete up to (0: not from the writer, e.g. a
    /// snapshot of the KV-only layout).
    version: u64,
    tokens: HashMap<String, Stamp>,
    /// Subject -> (latest cut-off, stamp).
    subjects: HashMap<String, (i64, Stamp)>,
    keys: HashMap<String, Stamp>,
    sessions: HashMap<String, Stamp>,
}

/// Snapshot JSON: `{"v":1,"built_at":N,"version":N,"jti":[[jti,at,exp]],"sub":[[sub,before,at,exp]],
/// "kid":[[kid,at]],"sid":[[sid,at,exp]]}`, each list sorted by target; `exp` is `null` for never;
/// `sid` is absent when empty (snapshots written before the kind existed read as none).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotWire {
    v: u64,
    built_at: i64,
    /// Absent in snapshots written before the single writer: version 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    version: u64,
    jti: Vec<(String, i64, Option<i64>)>,
    sub: Vec<(String, i64, i64, Option<i64>)>,
    kid: Vec<(String, i64)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    sid: Vec<(String, i64, Option<i64>)>,
}

fn is_zero(version: &u64) -> bool {
    *version == 0
}

impl RevocationSnapshot {
    /// A snapshot that revokes nothing, built at `now`.
    pub fn empty(now: i64) -> RevocationSnapshot {
        RevocationSnapshot {
            built_at: now,
            version: 0,
            tokens: HashMap::new(),
            subjects: HashMap::new(),
            keys: HashMap::new(),
            sessions: HashMap::new(),
        }
    }

    /// Builds a snapshot at `now` from entries (normally [`Pruned::keep`](super::Pruned::keep)), skipping those
    /// already expired. Duplicate targets merge; per subject the latest cut-off wins.
    pub fn from_entries<I>(entries: I, now: i64) -> RevocationSnapshot
    where
        I: IntoIterator<Item = RevocationEntry>,
    {
        let mut snapshot = RevocationSnapshot::empty(now);
        for entry in entries {
            if !entry.is_expired(now) {
                snapshot.insert(entry);
            }
        }
        snapshot
    }

    /// Adds one entry, e.g. one just written, which an eventually consistent KV `list` may
    /// not show yet. Does not check expiry.
    pub fn insert(&mut self, entry: RevocationEntry) {
        let stamp = Stamp {
            revoked_at: entry.revoked_at,
            expires_at: entry.expires_at,
        };
        match entry.revocation {
            Revocation::Token { jti } => {
                self.tokens
                    .entry(jti)
                    .and_modify(|s| *s = s.merge(stamp))
                    .or_insert(stamp);
            }
            Revocation::Subject { sub, before } => {
                // A later cut-off covers every token an earlier one does; keeping the longer
                // expiry stays safe if the policy (max_ttl) changed between the two.
                self.subjects
                    .entry(sub)
                    .and_modify(|(b, s)| {
                        *b = (*b).max(before);
                        *s = s.merge(stamp);
                    })
                    .or_insert((before, stamp));
            }
            Revocation::Key { kid } => {
                self.keys
                    .entry(kid)
                    .and_modify(|s| *s = s.merge(stamp))
                    .or_insert(stamp);
            }
            Revocation::Session { sid } => {
                self.sessions
                    .entry(sid)
                    .and_modify(|s| *s = s.merge(stamp))
                    .or_insert(stamp);
            }
        }
    }

    /// When the snapshot was built, NumericDate seconds.
    pub fn built_at(&self) -> i64 {
        self.built_at
    }

    /// The writer's version this list holds every change up to (0 for a list the writer
    /// never stamped).
    pub fn version(&self) -> u64 {
        self.version
    }

    pub(super) fn set_version(&mut self, version: u64) {
        self.version = version;
    }

    /// Stamps the list as complete up to `version` (the writer does, when it publishes).
    pub fn with_version(mut self, version: u64) -> RevocationSnapshot {
        self.version = version;
        self
    }

    /// Whether a token with these claims is revoked, and by what. `kid` is the kid of the
    /// key that verified it (not the header's); `iat` is rounded down
    /// ([`crate::jwt::claims::Claims::iat_floor`]), so a fractional `iat` just below a cut-off is
    /// covered.
    ///
    /// Checks `jti`, then `sid` (the grant), then subject, then key, and answers the first
    /// match. Under a subject revocation, a token with `iat < before` is revoked, one with
    /// `iat >= before` is spared, and one without `iat` is revoked (it cannot prove it is
    /// newer).
    pub fn check(
        &self,
        jti: Option<&str>,
        sub: Option<&str>,
        iat: Option<i64>,
        kid: Option<&str>,
        sid: Option<&str>,
    ) -> Option<RevokedBy> {
        if jti.is_some_and(|jti| self.tokens.contains_key(jti)) {
            return Some(RevokedBy::Token);
        }
        if sid.is_some_and(|sid| self.sessions.contains_key(sid)) {
            return Some(RevokedBy::Session);
        }
        if let Some(&(before, _)) = sub.and_then(|sub| self.subjects.get(sub)) {
            if iat.is_none_or(|iat| iat < before) {
                return Some(RevokedBy::Subject { before });
            }
        }
        if kid.is_some_and(|kid| self.keys.contains_key(kid)) {
            return Some(RevokedBy::Key);
        }
        None
    }

    /// Number of revoked targets (jtis + subjects + kids + sids).
    pub fn len(&self) -> usize {
        self.tokens.len() + self.subjects.len() + self.keys.len() + self.sessions.len()
    }

    /// Whether the snapshot revokes nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every entry, sorted by kind then target, for the admin listing. A subject appears
    /// once, with its latest cut-off.
    pub fn entries(&self) -> Vec<RevocationEntry> {
        let mut out = Vec::with_capacity(self.len());
        let mut push = |revocation, stamp: &Stamp| {
            out.push(RevocationEntry {
                revocation,
                revoked_at: stamp.revoked_at,
                expires_at: stamp.expires_at,
                // The snapshot keeps what the gate checks, not why: the writer's changes,
                // which the admin listing reads, keep the reason.
                reason: RevocationReason::Admin,
            });
        };
        for (jti, stamp) in &self.tokens {
            push(Revocation::Token { jti: jti.clone() }, stamp);
        }
        for (sub, (before, stamp)) in &self.subjects {
            push(
                Revocation::Subject {
                    sub: sub.clone(),
                    before: *before,
                },
                stamp,
            );
        }
        for (kid, stamp) in &self.keys {
            push(Revocation::Key { kid: kid.clone() }, stamp);
        }
        for (sid, stamp) in &self.sessions {
            push(Revocation::Session { sid: sid.clone() }, stamp);
        }
        out.sort_by(|a, b| {
            (a.revocation.kind(), a.revocation.target())
                .cmp(&(b.revocation.kind(), b.revocation.target()))
        });
        out
    }

    /// The snapshot as compact, versioned JSON with sorted lists (equal snapshots give equal
    /// bytes); stored in KV under [`SNAPSHOT_KEY`](super::SNAPSHOT_KEY).
    // Plain strings and integers under string keys: serde_json cannot fail on them.
    #[allow(clippy::expect_used, reason = "serializing this wire type cannot fail")]
    pub fn to_json(&self) -> String {
        let mut wire = SnapshotWire {
            v: SNAPSHOT_VERSION,
            built_at: self.built_at,
            version: self.version,
            jti: self
                .tokens
                .iter()
                .map(|(jti, s)| (jti.clone(), s.revoked_at, s.expires_at))
                .collect(),
            sub: self
                .subjects
                .iter()
                .map(|(sub, (before, s))| (sub.clone(), *before, s.revoked_at, s.expires_at))
                .collect(),
            kid: self
                .keys
                .iter()
                .map(|(kid, s)| (kid.clone(), s.revoked_at))
                .collect(),
            sid: self
                .sessions
                .iter()
                .map(|(sid, s)| (sid.clone(), s.revoked_at, s.expires_at))
                .collect(),
        };
        wire.jti.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        wire.sid.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        wire.sub.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        wire.kid.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        serde_json::to_string(&wire).expect("a snapshot always serializes")
    }

    /// Parses snapshot JSON as written by [`RevocationSnapshot::to_json`].
    ///
    /// # Errors
    /// [`RevocationError::MalformedSnapshot`] for anything else, including a target listed
    /// twice. A malformed snapshot is never read as an empty one: the caller keeps the
    /// snapshot it has, or fails closed.
    pub fn from_json(json: &str) -> Result<RevocationSnapshot, RevocationError> {
        check_version(json, SNAPSHOT_VERSION).map_err(RevocationError::MalformedSnapshot)?;
        let wire: SnapshotWire =
            serde_json::from_str(json).map_err(|e| RevocationError::MalformedSnapshot(e.into()))?;
        let duplicate =
            |kind| RevocationError::MalformedSnapshot(DecodeError::DuplicateTarget { kind });
        let mut snapshot = RevocationSnapshot::empty(wire.built_at).with_version(wire.version);
        for (jti, revoked_at, expires_at) in wire.jti {
            if snapshot
                .tokens
                .insert(
                    jti,
                    Stamp {
                        revoked_at,
                        expires_at,
                    },
                )
                .is_some()
            {
                return Err(duplicate(RevocationKind::Token));
            }
        }
        for (sub, before, revoked_at, expires_at) in wire.sub {
            let stamp = Stamp {
                revoked_at,
                expires_at,
            };
            if snapshot.subjects.insert(sub, (before, stamp)).is_some() {
                return Err(duplicate(RevocationKind::Subject));
            }
        }
        for (kid, revoked_at) in wire.kid {
            let stamp = Stamp {
                revoked_at,
                expires_at: None,
            };
            if snapshot.keys.insert(kid, stamp).is_some() {
                return Err(duplicate(RevocationKind::Key));
            }
        }
        for (sid, revoked_at, expires_at) in wire.sid {
            let stamp = Stamp {
                revoked_at,
                expires_at,
            };
            if snapshot.sessions.insert(sid, stamp).is_some() {
                return Err(duplicate(RevocationKind::Session));
            }
        }
        Ok(snapshot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revocation::entry_for;
    use crate::revocation::test_support::*;
    use proptest::prelude::*;

    #[test]
    fn token_revocation_revokes_only_that_jti() {
        let snap = snapshot_of(vec![jti("a")]);
        assert_eq!(
            snap.check(Some("a"), Some("alice"), Some(NOW), Some("k1"), None),
            Some(RevokedBy::Token)
        );
        assert_eq!(
            snap.check(Some("b"), Some("alice"), Some(NOW), Some("k1"), None),
            None
        );
        assert_eq!(
            snap.check(None, Some("a"), Some(NOW), Some("a"), None),
            None
        );
    }

    #[test]
    fn subject_revocation_revokes_tokens_issued_before_before() {
        let snap = snapshot_of(vec![sub("alice", NOW)]);
        assert_eq!(
            snap.check(Some("t"), Some("alice"), Some(NOW - 1), None, None),
            Some(RevokedBy::Subject { before: NOW })
        );
    }

    #[test]
    fn subject_revocation_spares_tokens_issued_at_or_after_before() {
        let snap = snapshot_of(vec![sub("alice", NOW)]);
        assert_eq!(
            snap.check(Some("t"), Some("alice"), Some(NOW), None, None),
            None
        );
        assert_eq!(
            snap.check(Some("t"), Some("alice"), Some(NOW + 1), None, None),
            None
        );
    }

    #[test]
    fn subject_revocation_spares_other_subjects() {
        let snap = snapshot_of(vec![sub("alice", NOW)]);
        assert_eq!(
            snap.check(Some("t"), Some("bob"), Some(NOW - 1), None, None),
            None
        );
        assert_eq!(snap.check(Some("t"), None, None, None, None), None);
    }

    #[test]
    fn subject_revocation_revokes_token_without_iat() {
        let snap = snapshot_of(vec![sub("alice", NOW)]);
        assert_eq!(
            snap.check(Some("t"), Some("alice"), None, None, None),
            Some(RevokedBy::Subject { before: NOW })
        );
    }

    #[test]
    fn subject_revocation_uses_latest_before_of_several() {
        let snap = snapshot_of(vec![
            sub("alice", NOW - 100),
            sub("alice", NOW - 10),
            sub("alice", NOW - 50),
        ]);
        assert_eq!(
            snap.check(None, Some("alice"), Some(NOW - 11), None, None),
            Some(RevokedBy::Subject { before: NOW - 10 })
        );
        assert_eq!(
            snap.check(None, Some("alice"), Some(NOW - 10), None, None),
            None
        );
        assert_eq!(snap.len(), 1);
    }

    #[test]
    fn key_revocation_revokes_every_token_with_that_kid() {
        let snap = snapshot_of(vec![kid("k1")]);
        assert_eq!(
            snap.check(None, None, None, Some("k1"), None),
            Some(RevokedBy::Key)
        );
        assert_eq!(
            snap.check(Some("x"), Some("bob"), Some(NOW + 999), Some("k1"), None),
            Some(RevokedBy::Key)
        );
        assert_eq!(snap.check(None, None, None, Some("k2"), None), None);
        assert_eq!(snap.check(None, None, None, None, None), None);
    }

    #[test]
    fn session_revocation_revokes_every_token_of_that_grant_only() {
        let snap = snapshot_of(vec![sid("g1")]);
        assert_eq!(
            snap.check(Some("t1"), Some("alice"), Some(NOW), Some("k1"), Some("g1")),
            Some(RevokedBy::Session)
        );
        assert_eq!(
            snap.check(Some("t2"), Some("alice"), Some(NOW + 9), None, Some("g1")),
            Some(RevokedBy::Session)
        );
        assert_eq!(
            snap.check(Some("t1"), Some("alice"), Some(NOW), Some("k1"), Some("g2")),
            None
        );
        assert_eq!(
            snap.check(Some("g1"), Some("g1"), None, Some("g1"), None),
            None
        );
        let listed = snap.entries();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].revocation, sid("g1"));
    }

    #[test]
    fn snapshot_json_lists_sessions_only_when_there_are_some() {
        let snap = snapshot_of(vec![sid("g2"), sid("g1")]);
        let json = snap.to_json();
        assert!(
            json.ends_with(&format!(
                r#""kid":[],"sid":[["g1",{NOW},{e}],["g2",{NOW},{e}]]}}"#,
                e = NOW + 3630
            )),
            "{json}"
        );
        assert_eq!(RevocationSnapshot::from_json(&json).unwrap(), snap);
        let dup = json.replace(r#"["g2""#, r#"["g1""#);
        assert!(matches!(
            RevocationSnapshot::from_json(&dup),
            Err(RevocationError::MalformedSnapshot(
                DecodeError::DuplicateTarget {
                    kind: RevocationKind::Session
                }
            ))
        ));
    }

    #[test]
    fn identifiers_of_one_kind_do_not_match_another_kind() {
        let snap = snapshot_of(vec![jti("x")]);
        assert_eq!(snap.check(None, Some("x"), None, Some("x"), None), None);
        let snap = snapshot_of(vec![kid("x")]);
        assert_eq!(snap.check(Some("x"), Some("x"), None, None, None), None);
    }

    #[test]
    fn empty_snapshot_revokes_nothing() {
        let snap = RevocationSnapshot::empty(NOW);
        assert!(snap.is_empty());
        assert_eq!(snap.built_at(), NOW);
        assert_eq!(
            snap.check(Some("a"), Some("b"), None, Some("c"), None),
            None
        );
    }

    #[test]
    fn snapshot_drops_expired_entries() {
        let expired = entry_for(jti("old"), NOW - 5000, Some(NOW - 100), &POLICY);
        let live = entry_for(jti("new"), NOW, Some(NOW + 100), &POLICY);
        let expired_sub = entry_for(sub("alice", NOW - 10_000), NOW, None, &POLICY);
        let snap = RevocationSnapshot::from_entries(vec![expired, live, expired_sub], NOW);
        assert_eq!(snap.len(), 1);
        assert_eq!(snap.check(Some("old"), None, None, None, None), None);
        assert_eq!(snap.check(None, Some("alice"), None, None, None), None);
        assert_eq!(
            snap.check(Some("new"), None, None, None, None),
            Some(RevokedBy::Token)
        );
    }

    #[test]
    fn snapshot_insert_adds_an_entry_not_yet_listed() {
        let mut snap = RevocationSnapshot::empty(NOW);
        snap.insert(entry_for(kid("k9"), NOW, None, &POLICY));
        assert_eq!(
            snap.check(None, None, None, Some("k9"), None),
            Some(RevokedBy::Key)
        );
    }

    #[test]
    fn snapshot_merging_one_jti_keeps_longest_expiry_and_earliest_revocation() {
        let a = entry_for(jti("a"), NOW, Some(NOW + 100), &POLICY);
        let b = entry_for(jti("a"), NOW + 5, Some(NOW + 900), &POLICY);
        let snap = RevocationSnapshot::from_entries(vec![a, b], NOW);
        let listed = snap.entries();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].revoked_at, NOW);
        assert_eq!(listed[0].expires_at, Some(NOW + 930));
    }

    #[test]
    fn snapshot_entries_are_sorted_by_kind_then_target() {
        let snap = snapshot_of(vec![kid("b"), sub("z", NOW), jti("y"), jti("x"), kid("a")]);
        let listed: Vec<(RevocationKind, String)> = snap
            .entries()
            .iter()
            .map(|e| (e.revocation.kind(), e.revocation.target().to_owned()))
            .collect();
        assert_eq!(
            listed,
            vec![
                (RevocationKind::Token, "x".into()),
                (RevocationKind::Token, "y".into()),
                (RevocationKind::Subject, "z".into()),
                (RevocationKind::Key, "a".into()),
                (RevocationKind::Key, "b".into()),
            ]
        );
    }

    #[test]
    fn snapshot_json_has_the_documented_shape() {
        let snap = RevocationSnapshot::from_entries(
            vec![
                entry_for(jti("t"), NOW, Some(NOW + 10), &POLICY),
                entry_for(sub("s", NOW), NOW, None, &POLICY),
                entry_for(kid("k"), NOW, None, &POLICY),
            ],
            NOW,
        );
        assert_eq!(
            snap.to_json(),
            format!(
                r#"{{"v":1,"built_at":{NOW},"jti":[["t",{NOW},{}]],"sub":[["s",{NOW},{NOW},{}]],"kid":[["k",{NOW}]]}}"#,
                NOW + 40,
                NOW + 3630
            )
        );
    }

    #[test]
    fn snapshot_json_round_trips() {
        let snap = snapshot_of(vec![
            jti("a"),
            jti("b/é"),
            sub("alice", NOW - 3),
            kid("k1"),
            kid("k2"),
        ]);
        let back = RevocationSnapshot::from_json(&snap.to_json()).unwrap();
        assert_eq!(back, snap);
        assert_eq!(back.to_json(), snap.to_json());
        let empty = RevocationSnapshot::empty(NOW);
        assert_eq!(
            RevocationSnapshot::from_json(&empty.to_json()).unwrap(),
            empty
        );
    }

    #[test]
    fn malformed_snapshot_is_an_error_not_an_empty_snapshot() {
        let cases: &[(&str, DecodeCheck)] = &[
            ("", |e| matches!(e, DecodeError::Syntax { .. })),
            ("null", |e| matches!(e, DecodeError::Shape { .. })),
            ("{}", |e| *e == DecodeError::MissingVersion),
            (r#"{"v":1,"built_at":1,"jti":[],"sub":[],"kid":[]"#, |e| {
                matches!(e, DecodeError::Syntax { .. })
            }),
            (r#"{"v":9,"built_at":1}"#, |e| {
                *e == DecodeError::UnsupportedVersion { found: 9 }
            }),
            (r#"{"v":1,"built_at":1,"jti":[],"sub":[]}"#, |e| {
                matches!(e, DecodeError::Shape { .. })
            }),
            (
                r#"{"v":1,"built_at":1,"jti":[["a"]],"sub":[],"kid":[]}"#,
                |e| matches!(e, DecodeError::Shape { .. }),
            ),
            (
                r#"{"v":1,"built_at":1,"jti":[],"sub":[],"kid":[],"more":[]}"#,
                |e| matches!(e, DecodeError::Shape { .. }),
            ),
            (
                r#"{"v":1,"built_at":1,"jti":[["a",1,null],["a",1,2]],"sub":[],"kid":[]}"#,
                |e| {
                    *e == DecodeError::DuplicateTarget {
                        kind: RevocationKind::Token,
                    }
                },
            ),
            (
                r#"{"v":1,"built_at":1,"jti":[],"sub":[["s",1,1,null],["s",2,1,null]],"kid":[]}"#,
                |e| {
                    *e == DecodeError::DuplicateTarget {
                        kind: RevocationKind::Subject,
                    }
                },
            ),
            (
                r#"{"v":1,"built_at":1,"jti":[],"sub":[],"kid":[["k",1],["k",1]]}"#,
                |e| {
                    *e == DecodeError::DuplicateTarget {
                        kind: RevocationKind::Key,
                    }
                },
            ),
        ];
        for (json, expected) in cases {
            match RevocationSnapshot::from_json(json) {
                Err(RevocationError::MalformedSnapshot(e)) => {
                    assert!(expected(&e), "{json}: {e:?}")
                }
                other => panic!("{json}: {other:?}"),
            }
        }
    }

    proptest! {
        #[test]
        fn snapshot_round_trip_preserves_check_answers(
            entries in proptest::collection::vec(arb_entry(), 0..20),
            queries in proptest::collection::vec(arb_query(), 1..30),
        ) {
            let snap = RevocationSnapshot::from_entries(entries, NOW);
            let back = RevocationSnapshot::from_json(&snap.to_json()).unwrap();
            prop_assert_eq!(&back, &snap);
            for (jti, sub, iat, kid, sid) in &queries {
                prop_assert_eq!(
                    back.check(jti.as_deref(), sub.as_deref(), *iat, kid.as_deref(), sid.as_deref()),
                    snap.check(jti.as_deref(), sub.as_deref(), *iat, kid.as_deref(), sid.as_deref())
                );
            }
        }

        #[test]
        fn snapshot_check_agrees_with_a_naive_scan_of_live_entries(
            entries in proptest::collection::vec(arb_entry(), 0..20),
            queries in proptest::collection::vec(arb_query(), 1..30),
        ) {
            let snap = RevocationSnapshot::from_entries(entries.clone(), NOW);
            let live: Vec<&RevocationEntry> = entries.iter().filter(|e| !e.is_expired(NOW)).collect();
            for (jti, sub, iat, kid, sid) in &queries {
                let naive = live.iter().any(|e| match &e.revocation {
                    Revocation::Token { jti: j } => jti.as_deref() == Some(j.as_str()),
                    Revocation::Subject { sub: s, before } => {
                        sub.as_deref() == Some(s.as_str()) && iat.is_none_or(|iat| iat < *before)
                    }
                    Revocation::Key { kid: k } => kid.as_deref() == Some(k.as_str()),
                    Revocation::Session { sid: s } => sid.as_deref() == Some(s.as_str()),
                });
                let got = snap.check(jti.as_deref(), sub.as_deref(), *iat, kid.as_deref(), sid.as_deref());
                prop_assert_eq!(got.is_some(), naive);
            }
        }
    }
}
