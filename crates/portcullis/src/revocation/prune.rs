//! Pruning: which entries still matter, and which the writer may delete.

use std::collections::{HashMap, HashSet};

use super::entry::{later_expiry, Revocation, RevocationEntry};

/// Why [`prune`] dropped an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PruneReason {
    /// Past `expires_at`: no token it covers can be accepted any more.
    Expired,
    /// A key revocation whose `kid` is no longer in the key ring: tokens naming it fail
    /// verification anyway.
    KeyRetired,
    /// A subject revocation covered by another for the same subject with a later `before`
    /// that lasts at least as long.
    Superseded,
}

/// The outcome of [`prune`]: entries to build the snapshot from, and entries whose KV keys
/// the glue deletes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pruned {
    /// Entries still in force.
    pub keep: Vec<RevocationEntry>,
    /// Entries no longer needed, each with the reason; delete their KV keys.
    pub remove: Vec<(RevocationEntry, PruneReason)>,
}

/// Splits listed entries into those still needed and those whose KV keys can be deleted.
///
/// Drops expired entries, subject entries superseded by a later cut-off for the same
/// subject, and key revocations whose `kid` is not in `live_kids` (the current key ring).
/// Key revocations expire only this way: if a retired `kid` is ever put back in the ring,
/// revoke it again.
///
/// An empty `live_kids` is taken as "key ring unknown" (a misread configuration), not as
/// "every key retired": key revocations are then all kept.
///
/// Two kept or removed entries never share a KV key unless the input did (a superseding
/// subject entry has a strictly later `before`, hence another key), so deleting the removed
/// keys never deletes a kept one.
pub fn prune<K: AsRef<str>>(entries: Vec<RevocationEntry>, now: i64, live_kids: &[K]) -> Pruned {
    let live: HashSet<&str> = live_kids.iter().map(AsRef::as_ref).collect();
    let mut pruned = Pruned::default();
    let mut candidates = Vec::with_capacity(entries.len());
    for entry in entries {
        let reason = if entry.is_expired(now) {
            Some(PruneReason::Expired)
        } else {
            match &entry.revocation {
                Revocation::Key { kid } if !live.is_empty() && !live.contains(kid.as_str()) => {
                    Some(PruneReason::KeyRetired)
                }
                _ => None,
            }
        };
        match reason {
            Some(reason) => pruned.remove.push((entry, reason)),
            None => candidates.push(entry),
        }
    }

    // Per subject, walk cut-offs from the latest down; an entry is superseded when some
    // entry with a strictly later cut-off lasts at least as long.
    let mut by_subject: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, entry) in candidates.iter().enumerate() {
        if let Revocation::Subject { sub, .. } = &entry.revocation {
            by_subject.entry(sub.as_str()).or_default().push(i);
        }
    }
    let before_of = |entry: &RevocationEntry| match entry.revocation {
        Revocation::Subject { before, .. } => before,
        _ => unreachable!("only subject entries are grouped"),
    };
    let mut superseded = vec![false; candidates.len()];
    for mut group in by_subject.into_values() {
        group.sort_by_key(|&i| std::cmp::Reverse(before_of(&candidates[i])));
        // Longest expiry among entries with a strictly later cut-off than the current run.
        let mut longest_later: Option<Option<i64>> = None;
        let mut start = 0;
        while start < group.len() {
            let before = before_of(&candidates[group[start]]);
            let end = start
                + group[start..]
                    .iter()
                    .take_while(|&&i| before_of(&candidates[i]) == before)
                    .count();
            if let Some(longest) = longest_later {
                for &i in &group[start..end] {
                    if lasts_at_least(longest, candidates[i].expires_at) {
                        superseded[i] = true;
                    }
                }
            }
            for &i in &group[start..end] {
                let exp = candidates[i].expires_at;
                longest_later = Some(match longest_later {
                    None => exp,
                    Some(longest) => later_expiry(longest, exp),
                });
            }
            start = end;
        }
    }
    for (entry, superseded) in candidates.into_iter().zip(superseded) {
        if superseded {
            pruned.remove.push((entry, PruneReason::Superseded));
        } else {
            pruned.keep.push(entry);
        }
    }
    pruned
}
/// Whether expiry `a` is no earlier than `b`, `None` being never.
fn lasts_at_least(a: Option<i64>, b: Option<i64>) -> bool {
    match (a, b) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(a), Some(b)) => a >= b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revocation::test_support::*;
    use crate::revocation::{entry_for, RevocationPolicy, RevocationSnapshot};
    use proptest::prelude::*;

    fn kinds_and_reasons(p: &Pruned) -> (Vec<String>, Vec<(String, PruneReason)>) {
        let key = |e: &RevocationEntry| e.kv_key().unwrap();
        (
            p.keep.iter().map(key).collect(),
            p.remove.iter().map(|(e, r)| (key(e), *r)).collect(),
        )
    }

    #[test]
    fn prune_drops_key_revocations_for_kids_no_longer_in_the_ring() {
        let entries = vec![
            entry_for(kid("retired"), NOW, None, &POLICY),
            entry_for(kid("live"), NOW, None, &POLICY),
        ];
        let p = prune(entries, NOW, &["live", "other"]);
        assert_eq!(p.keep.len(), 1);
        assert_eq!(p.keep[0].revocation, kid("live"));
        assert_eq!(
            p.remove,
            vec![(
                entry_for(kid("retired"), NOW, None, &POLICY),
                PruneReason::KeyRetired
            )]
        );
    }

    #[test]
    fn prune_keeps_key_revocations_when_the_ring_is_empty() {
        let entries = vec![entry_for(kid("k1"), NOW, None, &POLICY)];
        let p = prune(entries, NOW, &[] as &[&str]);
        assert_eq!(p.keep.len(), 1);
        assert!(p.remove.is_empty());
    }

    #[test]
    fn prune_accepts_owned_kid_strings() {
        let ring = vec![String::from("k1")];
        let p = prune(vec![entry_for(kid("k1"), NOW, None, &POLICY)], NOW, &ring);
        assert_eq!(p.keep.len(), 1);
    }

    #[test]
    fn prune_drops_expired_entries() {
        let entries = vec![
            entry_for(jti("old"), NOW - 5000, Some(NOW - 100), &POLICY),
            entry_for(jti("new"), NOW, Some(NOW + 100), &POLICY),
        ];
        let p = prune(entries, NOW, &["k1"]);
        let (keep, remove) = kinds_and_reasons(&p);
        assert_eq!(keep, vec![jti("new").kv_key().unwrap()]);
        assert_eq!(
            remove,
            vec![(jti("old").kv_key().unwrap(), PruneReason::Expired)]
        );
    }

    #[test]
    fn prune_drops_subject_revocations_superseded_by_a_later_before() {
        let entries = vec![
            entry_for(sub("alice", NOW - 100), NOW - 100, None, &POLICY),
            entry_for(sub("alice", NOW), NOW, None, &POLICY),
            entry_for(sub("alice", NOW - 50), NOW - 50, None, &POLICY),
            entry_for(sub("bob", NOW - 100), NOW - 100, None, &POLICY),
        ];
        let p = prune(entries, NOW, &["k1"]);
        let (mut keep, mut remove) = kinds_and_reasons(&p);
        keep.sort();
        remove.sort_by(|a, b| a.0.cmp(&b.0));
        let mut want_keep = vec![
            sub("alice", NOW).kv_key().unwrap(),
            sub("bob", NOW - 100).kv_key().unwrap(),
        ];
        want_keep.sort();
        assert_eq!(keep, want_keep);
        let mut want_remove = vec![
            (
                sub("alice", NOW - 100).kv_key().unwrap(),
                PruneReason::Superseded,
            ),
            (
                sub("alice", NOW - 50).kv_key().unwrap(),
                PruneReason::Superseded,
            ),
        ];
        want_remove.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(remove, want_remove);
    }

    #[test]
    fn prune_keeps_an_earlier_subject_revocation_that_outlasts_the_later_one() {
        // Written under a longer max_ttl, the earlier cut-off still matters after the later
        // entry lapses.
        let long = RevocationPolicy {
            max_ttl: 86_400,
            leeway: 30,
        };
        let entries = vec![
            entry_for(sub("alice", NOW - 100), NOW - 100, None, &long),
            entry_for(sub("alice", NOW), NOW, None, &POLICY),
        ];
        let p = prune(entries, NOW, &["k1"]);
        assert_eq!(p.keep.len(), 2);
        assert!(p.remove.is_empty());
    }

    #[test]
    fn prune_never_removes_an_entry_sharing_a_kept_entrys_key() {
        let entries = vec![
            entry_for(sub("alice", NOW), NOW, None, &POLICY),
            entry_for(sub("alice", NOW), NOW + 1, None, &POLICY),
        ];
        let p = prune(entries, NOW, &["k1"]);
        assert_eq!(p.keep.len(), 2);
    }

    proptest! {
        #[test]
        fn pruning_before_building_does_not_change_check_answers(
            entries in proptest::collection::vec(arb_entry(), 0..20),
            queries in proptest::collection::vec(arb_query(), 1..30),
        ) {
            // Every kid the generator can produce is in the ring, so only expiry and
            // supersession prune; neither may change an answer.
            let ring: Vec<String> = entries.iter()
                .filter_map(|e| match &e.revocation { Revocation::Key { kid } => Some(kid.clone()), _ => None })
                .chain(["ring-key".to_owned()])
                .collect();
            let full = RevocationSnapshot::from_entries(entries.clone(), NOW);
            let pruned = RevocationSnapshot::from_entries(prune(entries, NOW, &ring).keep, NOW);
            for (jti, sub, iat, kid, sid) in &queries {
                prop_assert_eq!(
                    pruned.check(jti.as_deref(), sub.as_deref(), *iat, kid.as_deref(), sid.as_deref()),
                    full.check(jti.as_deref(), sub.as_deref(), *iat, kid.as_deref(), sid.as_deref())
                );
            }
        }
    }
}
