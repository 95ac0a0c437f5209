//! [`CompactList`]: the revocation list an isolate holds and checks every request against.
//!
//! - Targets of the membership kinds (`jti`, `sid`: any kind revoked by exact value) are
//!   [`TargetDigest`]s in one [`DigestTable`] (12 bytes an entry, sorted, binary search;
//!   deltas go to a small overlay);
//! - subject cut-offs are digests too, each with its latest `before`;
//! - key revocations are few and kept in clear (exact match, no collision possible).
//!
//! Lookups allocate nothing. As with [`RevocationSnapshot`], entries are not re-checked for
//! expiry on lookup: an expired entry covers only tokens the gate refuses anyway; they are
//! dropped when the overlay merges and when the writer publishes.

use std::collections::BTreeMap;
use std::fmt;

use super::digest::TargetDigest;
use super::table::{expiry_u32, DigestTable};
use crate::revocation::entry::{Revocation, RevocationEntry};
use crate::revocation::journal::Change;
use crate::revocation::kind::RevocationKind;
use crate::revocation::snapshot::{RevocationSnapshot, RevokedBy};

/// What the gate asks of a revocation list: is a token with these claims revoked, and by
/// what. Both list forms answer it ([`CompactList`] in isolates; [`RevocationSnapshot`], the
/// clear-text form, in tests and the migration).
pub trait RevocationLookup: fmt::Debug {
    /// `kid` is the kid of the key that verified the token (not the header's); `iat` is
    /// rounded down; `sid` is the token's session (grant) id. Checks `jti`, then `sid`, then
    /// subject, then key; answers the first match.
    fn check(
        &self,
        jti: Option<&str>,
        sub: Option<&str>,
        iat: Option<i64>,
        kid: Option<&str>,
        sid: Option<&str>,
    ) -> Option<RevokedBy>;
}

impl RevocationLookup for RevocationSnapshot {
    fn check(
        &self,
        jti: Option<&str>,
        sub: Option<&str>,
        iat: Option<i64>,
        kid: Option<&str>,
        sid: Option<&str>,
    ) -> Option<RevokedBy> {
        RevocationSnapshot::check(self, jti, sub, iat, kid, sid)
    }
}

/// A subject's cut-off: its tokens with `iat < before` are revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SubjectCut {
    pub before: i64,
    pub expires: u32,
}

/// The compact revocation list (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompactList {
    pub(super) built_at: i64,
    pub(super) version: u64,
    pub(super) targets: DigestTable,
    pub(super) subjects: BTreeMap<u64, SubjectCut>,
    pub(super) keys: BTreeMap<String, ()>,
}

/// The digest kind tag of a revocation whose target is matched by exact value, or `None`
/// for the kinds with their own structure (subject cut-offs, keys).
fn membership_kind(rev: &Revocation) -> Option<RevocationKind> {
    match rev {
        Revocation::Token { .. } => Some(RevocationKind::Token),
        Revocation::Session { .. } => Some(RevocationKind::Session),
        Revocation::Subject { .. } | Revocation::Key { .. } => None,
    }
}

impl CompactList {
    /// A list that revokes nothing, built at `now`.
    pub fn empty(now: i64) -> CompactList {
        CompactList {
            built_at: now,
            version: 0,
            targets: DigestTable::default(),
            subjects: BTreeMap::new(),
            keys: BTreeMap::new(),
        }
    }

    /// Builds the list at `now` from entries, skipping those already expired. Duplicate
    /// targets merge (latest expiry); per subject the latest cut-off wins.
    pub fn from_entries<I>(entries: I, now: i64) -> CompactList
    where
        I: IntoIterator<Item = RevocationEntry>,
    {
        let mut list = CompactList::empty(now);
        let mut targets = Vec::new();
        for entry in entries {
            if entry.is_expired(now) {
                continue;
            }
            match membership_kind(&entry.revocation) {
                Some(kind) => targets.push((
                    TargetDigest::of(kind.as_str(), entry.revocation.target()).0,
                    expiry_u32(entry.expires_at),
                )),
                None => list.insert_structured(&entry),
            }
        }
        list.targets = DigestTable::from_unsorted(targets);
        list
    }

    /// The compact form of a clear-text snapshot (a `snapshot/v1` read during a deploy, or
    /// the migration), same version and build time.
    pub fn from_snapshot(snapshot: &RevocationSnapshot) -> CompactList {
        let mut list = CompactList::from_entries(snapshot.entries(), snapshot.built_at());
        list.version = snapshot.version();
        list
    }

    fn insert_structured(&mut self, entry: &RevocationEntry) {
        let expires = expiry_u32(entry.expires_at);
        match &entry.revocation {
            Revocation::Subject { sub, before } => {
                let d = TargetDigest::of(RevocationKind::Subject.as_str(), sub).0;
                let cut = self.subjects.entry(d).or_insert(SubjectCut {
                    before: *before,
                    expires,
                });
                cut.before = cut.before.max(*before);
                cut.expires = cut.expires.max(expires);
            }
            Revocation::Key { kid } => {
                self.keys.insert(kid.clone(), ());
            }
            Revocation::Token { .. } | Revocation::Session { .. } => {}
        }
    }

    /// Adds one entry (not checked for expiry); `now` drops expired ones if the overlay merges.
    pub fn insert(&mut self, entry: &RevocationEntry, now: i64) {
        match membership_kind(&entry.revocation) {
            Some(kind) => self.targets.insert(
                TargetDigest::of(kind.as_str(), entry.revocation.target()),
                expiry_u32(entry.expires_at),
                now,
            ),
            None => self.insert_structured(entry),
        }
    }

    /// Applies changes (from [`plan_sync`](crate::revocation::plan_sync)) in order: each
    /// live entry is inserted and the version becomes the newest applied.
    pub fn apply(&mut self, changes: &[Change], now: i64) {
        for change in changes {
            if !change.entry.is_expired(now) {
                self.insert(&change.entry, now);
            }
            self.version = self.version.max(change.version);
        }
    }

    /// Merges the overlay into the sorted base now, dropping what expired at `now`.
    pub fn compact(&mut self, now: i64) {
        self.targets.merge(now);
        self.subjects.retain(|_, cut| i64::from(cut.expires) >= now);
    }

    /// Whether `value` is revoked as `kind` by exact value (`jti`, `sid`).
    /// False for subjects and keys, which [`RevocationLookup::check`] answers.
    pub fn revokes(&self, kind: RevocationKind, value: &str) -> bool {
        self.targets
            .contains(TargetDigest::of(kind.as_str(), value))
    }

    /// When the list was built, NumericDate seconds.
    pub fn built_at(&self) -> i64 {
        self.built_at
    }

    /// The writer's version this list holds every change up to (0: never stamped).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Stamps the list as complete up to `version` (the writer does, when it publishes).
    pub fn with_version(mut self, version: u64) -> CompactList {
        self.version = version;
        self
    }

    /// Number of revoked targets (digests + subjects + kids).
    pub fn len(&self) -> usize {
        self.targets.len() + self.subjects.len() + self.keys.len()
    }

    /// Whether the list revokes nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Entries waiting in the digest overlay.
    pub fn overlay_len(&self) -> usize {
        self.targets.overlay_len()
    }

    /// Approximate heap bytes held (the arrays, plus estimates for the maps).
    pub fn heap_bytes(&self) -> usize {
        self.targets.heap_bytes()
            + self.subjects.len() * 40
            + self.keys.keys().map(|k| k.len() + 40).sum::<usize>()
    }
}

impl RevocationLookup for CompactList {
    fn check(
        &self,
        jti: Option<&str>,
        sub: Option<&str>,
        iat: Option<i64>,
        kid: Option<&str>,
        sid: Option<&str>,
    ) -> Option<RevokedBy> {
        if jti.is_some_and(|jti| self.revokes(RevocationKind::Token, jti)) {
            return Some(RevokedBy::Token);
        }
        if sid.is_some_and(|sid| self.revokes(RevocationKind::Session, sid)) {
            return Some(RevokedBy::Session);
        }
        if let Some(sub) = sub {
            let d = TargetDigest::of(RevocationKind::Subject.as_str(), sub).0;
            if let Some(cut) = self.subjects.get(&d) {
                if iat.is_none_or(|iat| iat < cut.before) {
                    return Some(RevokedBy::Subject { before: cut.before });
                }
            }
        }
        if kid.is_some_and(|kid| self.keys.contains_key(kid)) {
            return Some(RevokedBy::Key);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revocation::entry_for;
    use crate::revocation::test_support::*;
    use proptest::prelude::*;

    fn compact_of(revs: Vec<Revocation>) -> CompactList {
        CompactList::from_entries(
            revs.into_iter().map(|r| entry_for(r, NOW, None, &POLICY)),
            NOW,
        )
    }

    #[test]
    fn each_kind_revokes_what_it_names_and_nothing_else() {
        let list = compact_of(vec![jti("a"), sub("alice", NOW), kid("k1"), sid("g1")]);
        assert_eq!(
            list.check(None, None, None, None, Some("g1")),
            Some(RevokedBy::Session)
        );
        // A sid is not a jti, nor the reverse: the kind is in the digest.
        assert_eq!(list.check(Some("g1"), None, None, None, None), None);
        assert_eq!(list.check(None, None, None, None, Some("a")), None);
        assert_eq!(
            list.check(Some("a"), None, None, None, None),
            Some(RevokedBy::Token)
        );
        assert_eq!(list.check(Some("b"), None, None, None, None), None);
        assert_eq!(
            list.check(None, Some("alice"), Some(NOW - 1), None, None),
            Some(RevokedBy::Subject { before: NOW })
        );
        assert_eq!(list.check(None, Some("alice"), Some(NOW), None, None), None);
        assert_eq!(
            list.check(None, Some("alice"), None, None, None),
            Some(RevokedBy::Subject { before: NOW })
        );
        assert_eq!(
            list.check(None, None, None, Some("k1"), None),
            Some(RevokedBy::Key)
        );
        // The same string under another claim is not revoked.
        assert_eq!(
            list.check(None, Some("a"), Some(NOW), Some("a"), None),
            None
        );
        assert_eq!(list.check(Some("k1"), None, None, None, None), None);
    }

    #[test]
    fn a_digest_collision_refuses_and_never_admits() {
        // Plant the digest of a value nobody revoked, as a colliding entry would.
        let mut list = compact_of(vec![jti("revoked")]);
        let innocent = TargetDigest::of("jti", "innocent");
        list.targets.insert(innocent, u32::MAX, NOW);
        // The collision refuses the innocent token...
        assert_eq!(
            list.check(Some("innocent"), None, None, None, None),
            Some(RevokedBy::Token)
        );
        // ...and the revoked value is still found: more digests only add refusals.
        assert_eq!(
            list.check(Some("revoked"), None, None, None, None),
            Some(RevokedBy::Token)
        );
    }

    #[test]
    fn applying_changes_uses_the_overlay_and_advances_the_version() {
        let mut list = compact_of(vec![jti("a")]);
        let changes: Vec<Change> = (1..=100)
            .map(|v| Change {
                version: v,
                entry: entry_for(jti(&format!("t{v}")), NOW, None, &POLICY),
            })
            .collect();
        list.apply(&changes, NOW);
        assert_eq!(
            (list.version(), list.len(), list.overlay_len()),
            (100, 101, 100)
        );
        assert!(list.revokes(RevocationKind::Token, "t57"));
        list.compact(NOW);
        assert_eq!((list.len(), list.overlay_len()), (101, 0));
        assert!(list.revokes(RevocationKind::Token, "t57"));
    }

    #[test]
    fn compacting_drops_expired_subjects_and_targets() {
        let mut list = CompactList::empty(NOW);
        list.insert(&entry_for(jti("old"), NOW, Some(NOW + 10), &POLICY), NOW);
        list.insert(&entry_for(sub("s", NOW - 5000), NOW, None, &POLICY), NOW);
        list.compact(NOW + 10_000);
        assert!(list.is_empty());
    }

    proptest! {
        #[test]
        fn compact_list_answers_as_the_clear_snapshot_does(
            entries in proptest::collection::vec(arb_entry(), 0..30),
            delta in proptest::collection::vec(arb_entry(), 0..10),
            queries in proptest::collection::vec(arb_query(), 1..30),
        ) {
            let mut clear = RevocationSnapshot::from_entries(entries.clone(), NOW);
            let mut compact = CompactList::from_entries(entries, NOW);
            let changes: Vec<Change> = delta
                .into_iter()
                .enumerate()
                .map(|(i, entry)| Change { version: i as u64 + 1, entry })
                .collect();
            clear.apply(&changes, NOW);
            compact.apply(&changes, NOW);
            for (jti, sub, iat, kid, sid) in &queries {
                let q = (jti.as_deref(), sub.as_deref(), *iat, kid.as_deref(), sid.as_deref());
                prop_assert_eq!(
                    RevocationLookup::check(&compact, q.0, q.1, q.2, q.3, q.4),
                    clear.check(q.0, q.1, q.2, q.3, q.4)
                );
            }
        }

        #[test]
        fn compact_form_of_a_clear_snapshot_answers_as_it_does(
            entries in proptest::collection::vec(arb_entry(), 0..30),
            queries in proptest::collection::vec(arb_query(), 1..30),
        ) {
            let clear = RevocationSnapshot::from_entries(entries, NOW).with_version(7);
            let compact = CompactList::from_snapshot(&clear);
            prop_assert_eq!((compact.version(), compact.len()), (7, clear.len()));
            for (jti, sub, iat, kid, sid) in &queries {
                let q = (jti.as_deref(), sub.as_deref(), *iat, kid.as_deref(), sid.as_deref());
                prop_assert_eq!(
                    RevocationLookup::check(&compact, q.0, q.1, q.2, q.3, q.4),
                    clear.check(q.0, q.1, q.2, q.3, q.4)
                );
            }
        }
    }
}
