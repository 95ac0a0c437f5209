//! Rebuilding the snapshot from the listed entries: what to delete, what to build, and
//! whether to publish it. The Worker lists, deletes, reads and writes; this module decides.

use super::entry::RevocationEntry;
use super::prune::prune;
use super::snapshot::RevocationSnapshot;
use crate::jwt::keyring::Keyring;

/// What a rebuild does, from [`plan_rebuild`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebuildPlan {
    /// The snapshot to publish (unless [`RebuildPlan::should_publish`] says it is unchanged).
    pub snapshot: RevocationSnapshot,
    /// KV keys of the entries [`prune`](super::prune) removed; delete them.
    pub delete: Vec<String>,
    /// How many entries were pruned (an entry whose key cannot be formed is counted, not
    /// deleted: it was never written under one).
    pub pruned: usize,
}

/// Plans a rebuild at `now` from the `listed` entries plus `just_written` (which KV's
/// eventually consistent `list` may not show yet), pruning against the kids of `ring`.
pub fn plan_rebuild(
    mut listed: Vec<RevocationEntry>,
    just_written: Option<&RevocationEntry>,
    ring: &Keyring,
    now: i64,
) -> RebuildPlan {
    if let Some(entry) = just_written {
        if !listed.contains(entry) {
            listed.push(entry.clone());
        }
    }
    let live_kids: Vec<&str> = ring.keys().iter().filter_map(|k| k.kid()).collect();
    let pruned = prune(listed, now, &live_kids);
    RebuildPlan {
        delete: pruned
            .remove
            .iter()
            .filter_map(|(entry, _)| entry.kv_key().ok())
            .collect(),
        pruned: pruned.remove.len(),
        snapshot: RevocationSnapshot::from_entries(pruned.keep, now),
    }
}

impl RebuildPlan {
    /// Whether the snapshot must be written: the `published` one (`None`: no snapshot key)
    /// is missing, unreadable, or lists other entries. Publishing only on change keeps an
    /// idle cron to one read and one list, no writes.
    pub fn should_publish(&self, published: Option<&str>) -> bool {
        !published
            .and_then(|text| RevocationSnapshot::from_json(text).ok())
            .is_some_and(|old| old.entries() == self.snapshot.entries())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revocation::test_support::*;
    use crate::revocation::{entry_for, RevokedBy};

    const K: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    fn ring() -> Keyring {
        Keyring::from_jwks(&format!(
            r#"{{"keys":[{{"kty":"oct","kid":"k1","alg":"HS256","k":"{K}"}}]}}"#
        ))
        .unwrap()
    }

    #[test]
    fn rebuild_includes_the_entry_just_written_once() {
        let written = entry_for(jti("new"), NOW, None, &POLICY);
        let plan = plan_rebuild(vec![], Some(&written), &ring(), NOW);
        assert_eq!(
            plan.snapshot.check(Some("new"), None, None, None),
            Some(RevokedBy::Token)
        );
        let plan = plan_rebuild(vec![written.clone()], Some(&written), &ring(), NOW);
        assert_eq!(plan.snapshot.len(), 1);
        assert!(plan.delete.is_empty());
    }

    #[test]
    fn rebuild_deletes_the_keys_of_pruned_entries() {
        let expired = entry_for(jti("old"), NOW - 5000, Some(NOW - 100), &POLICY);
        let retired = entry_for(kid("gone"), NOW, None, &POLICY);
        let kept = entry_for(kid("k1"), NOW, None, &POLICY);
        let plan = plan_rebuild(
            vec![expired.clone(), retired.clone(), kept],
            None,
            &ring(),
            NOW,
        );
        assert_eq!(plan.pruned, 2);
        assert_eq!(
            plan.delete,
            vec![expired.kv_key().unwrap(), retired.kv_key().unwrap()]
        );
        assert_eq!(plan.snapshot.len(), 1);
    }

    #[test]
    fn rebuild_counts_but_does_not_delete_an_entry_without_a_key() {
        let unkeyable = entry_for(jti(&"x".repeat(400)), NOW - 5000, Some(NOW - 100), &POLICY);
        let plan = plan_rebuild(vec![unkeyable], None, &ring(), NOW);
        assert_eq!(plan.pruned, 1);
        assert!(plan.delete.is_empty());
    }

    #[test]
    fn rebuild_publishes_only_when_the_entries_changed() {
        let entry = entry_for(jti("a"), NOW, None, &POLICY);
        let plan = plan_rebuild(vec![entry.clone()], None, &ring(), NOW);
        // Same entries, built at another time: unchanged.
        let published = RevocationSnapshot::from_entries(vec![entry], NOW - 60).to_json();
        assert!(!plan.should_publish(Some(&published)));
        // No snapshot yet, an unreadable one, or other entries: publish.
        assert!(plan.should_publish(None));
        assert!(plan.should_publish(Some("{")));
        let other = snapshot_of(vec![jti("b")]).to_json();
        assert!(plan.should_publish(Some(&other)));
    }
}
