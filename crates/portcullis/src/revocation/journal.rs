//! The single writer's journal: every revocation is a [`Change`] with a strictly increasing
//! version, and isolates follow the head through a [`Feed`] of the most recent changes.
//!
//! The writer (a Durable Object) assigns versions and keeps the changes; this module says
//! what a feed holds ([`Feed::recent`]), how an isolate catches up from the version it holds
//! ([`plan_sync`], [`RevocationSnapshot::apply`]), and when the writer publishes its
//! snapshot to KV ([`publish_at`]). No I/O, no clock: times are passed in.
//!
//! A feed covers the versions `(from, head]`; changes in that range that the writer pruned
//! (expired) are simply absent, which is harmless: an expired entry covers only tokens the
//! gate refuses anyway. An isolate holding a version below `from` cannot tell what it
//! missed, so it reloads the whole snapshot from KV.

use serde::{Deserialize, Serialize};

use super::entry::RevocationEntry;
use super::error::{check_version, RevocationError};
use super::snapshot::RevocationSnapshot;

/// Version written in, and required of, feed JSON.
const FEED_VERSION: u64 = 1;

/// KV's rule: at most one write per second to one key. The writer publishes the snapshot
/// no sooner than this after its last publication.
pub const PUBLISH_DEBOUNCE_MS: u64 = 1000;

/// One recorded revocation and the version the writer gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Strictly increasing across the writer's life, never reused.
    pub version: u64,
    /// What was revoked.
    pub entry: RevocationEntry,
}

/// The head version and the changes of the last `window` versions: what every isolate of a
/// location reads (through the location's cache) to learn what changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    /// The newest version the writer assigned (0: none yet).
    pub head: u64,
    /// The feed holds every live change with `from < version <= head`.
    pub from: u64,
    /// Those changes, oldest first.
    pub changes: Vec<Change>,
}

/// Feed JSON: `{"v":1,"head":N,"from":N,"changes":[[version,{entry}]]}`, the entry as
/// [`RevocationEntry::to_json`] writes it.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedWire {
    v: u64,
    head: u64,
    from: u64,
    changes: Vec<(u64, serde_json::Value)>,
}

impl Feed {
    /// The feed for a writer at `head` keeping `window` versions, from the changes it holds
    /// (any order, any range: those at or below `head - window` are left out).
    pub fn recent(head: u64, window: u64, changes: impl IntoIterator<Item = Change>) -> Feed {
        let from = head.saturating_sub(window);
        let mut changes: Vec<Change> = changes
            .into_iter()
            .filter(|c| c.version > from && c.version <= head)
            .collect();
        changes.sort_by_key(|c| c.version);
        Feed {
            head,
            from,
            changes,
        }
    }

    /// The feed as versioned JSON.
    // Entry JSON is serde_json's own output, so it parses back into a Value.
    #[allow(clippy::expect_used, reason = "serializing this wire type cannot fail")]
    pub fn to_json(&self) -> String {
        let wire = FeedWire {
            v: FEED_VERSION,
            head: self.head,
            from: self.from,
            changes: self
                .changes
                .iter()
                .map(|c| {
                    let entry =
                        serde_json::from_str(&c.entry.to_json()).expect("entry JSON is valid JSON");
                    (c.version, entry)
                })
                .collect(),
        };
        serde_json::to_string(&wire).expect("a feed always serializes")
    }

    /// Parses feed JSON as [`Feed::to_json`] writes it.
    ///
    /// # Errors
    /// [`RevocationError::MalformedFeed`] for anything else, including a change outside
    /// `(from, head]` or versions out of order: an isolate never applies a feed it cannot
    /// trust, it keeps what it holds.
    pub fn from_json(json: &str) -> Result<Feed, RevocationError> {
        check_version(json, FEED_VERSION).map_err(RevocationError::MalformedFeed)?;
        let wire: FeedWire =
            serde_json::from_str(json).map_err(|e| RevocationError::MalformedFeed(e.into()))?;
        let mut changes = Vec::with_capacity(wire.changes.len());
        let mut last = wire.from;
        for (version, entry) in wire.changes {
            if version <= last || version > wire.head {
                return Err(RevocationError::FeedOutOfOrder { version });
            }
            last = version;
            let entry = RevocationEntry::from_json(&entry.to_string())?;
            changes.push(Change { version, entry });
        }
        if wire.from > wire.head {
            return Err(RevocationError::FeedOutOfOrder { version: wire.from });
        }
        Ok(Feed {
            head: wire.head,
            from: wire.from,
            changes,
        })
    }
}

/// How an isolate holding version `held` catches up with a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncStep {
    /// Nothing newer: what it holds is the head.
    UpToDate,
    /// Apply these changes (every change after `held`), then it holds the head.
    Apply(Vec<Change>),
    /// It fell behind the feed's window: reload the whole snapshot, then sync again.
    Reload,
}

/// Decides how an isolate at version `held` reaches the feed's head.
pub fn plan_sync(held: u64, feed: &Feed) -> SyncStep {
    if held >= feed.head {
        SyncStep::UpToDate
    } else if held < feed.from {
        SyncStep::Reload
    } else {
        SyncStep::Apply(
            feed.changes
                .iter()
                .filter(|c| c.version > held)
                .cloned()
                .collect(),
        )
    }
}

impl RevocationSnapshot {
    /// Applies changes (from [`plan_sync`]) in order: each entry is inserted and the
    /// version becomes the newest applied. An expired entry is skipped, as in
    /// [`RevocationSnapshot::from_entries`].
    pub fn apply(&mut self, changes: &[Change], now: i64) {
        for change in changes {
            if !change.entry.is_expired(now) {
                self.insert(change.entry.clone());
            }
            if change.version > self.version() {
                self.set_version(change.version);
            }
        }
    }
}

/// The entries in force at `now`, one per revocation: when the same thing was revoked more
/// than once (or imported twice by the migration), the latest change wins, reason included.
/// Sorted by version, the order the admin listing shows.
pub fn latest_entries(changes: impl IntoIterator<Item = Change>, now: i64) -> Vec<RevocationEntry> {
    let mut latest: std::collections::HashMap<super::entry::Revocation, Change> =
        std::collections::HashMap::new();
    for change in changes {
        if change.entry.is_expired(now) {
            continue;
        }
        match latest.get(&change.entry.revocation) {
            Some(kept) if kept.version > change.version => {}
            _ => {
                latest.insert(change.entry.revocation.clone(), change);
            }
        }
    }
    let mut kept: Vec<Change> = latest.into_values().collect();
    kept.sort_by_key(|c| c.version);
    kept.into_iter().map(|c| c.entry).collect()
}

/// When the writer should publish its snapshot after a change at `now_ms`, given its last
/// publication at `last_ms` (`None`: never): at once, or as soon as KV's
/// one-write-per-second-per-key rule allows. Changes arriving before then ride along.
pub fn publish_at(last_ms: Option<u64>, now_ms: u64) -> u64 {
    match last_ms {
        Some(last) => now_ms.max(last.saturating_add(PUBLISH_DEBOUNCE_MS)),
        None => now_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revocation::entry_for;
    use crate::revocation::test_support::*;
    use crate::revocation::RevokedBy;

    fn change(version: u64, id: &str) -> Change {
        Change {
            version,
            entry: entry_for(jti(id), NOW, None, &POLICY),
        }
    }

    #[test]
    fn feed_keeps_only_the_window_in_version_order() {
        let feed = Feed::recent(10, 3, (1..=10).rev().map(|v| change(v, &v.to_string())));
        assert_eq!((feed.head, feed.from), (10, 7));
        let versions: Vec<u64> = feed.changes.iter().map(|c| c.version).collect();
        assert_eq!(versions, vec![8, 9, 10]);
        let empty = Feed::recent(0, 3, []);
        assert_eq!((empty.head, empty.from, empty.changes.len()), (0, 0, 0));
    }

    #[test]
    fn feed_json_round_trips() {
        let feed = Feed::recent(
            5,
            10,
            [
                change(2, "a"),
                Change {
                    version: 5,
                    entry: entry_for(sub("s/é", NOW - 1), NOW, None, &POLICY),
                },
            ],
        );
        let back = Feed::from_json(&feed.to_json()).unwrap();
        assert_eq!(back, feed);
        assert!(feed
            .to_json()
            .starts_with(r#"{"v":1,"head":5,"from":0,"changes":[[2,{"#));
    }

    #[test]
    fn feed_out_of_order_or_outside_its_range_is_refused() {
        let entry = r#"{"v":1,"kind":"jti","jti":"a","at":1}"#;
        for json in [
            format!(r#"{{"v":1,"head":5,"from":0,"changes":[[3,{entry}],[2,{entry}]]}}"#),
            format!(r#"{{"v":1,"head":5,"from":0,"changes":[[3,{entry}],[3,{entry}]]}}"#),
            format!(r#"{{"v":1,"head":5,"from":0,"changes":[[6,{entry}]]}}"#),
            format!(r#"{{"v":1,"head":5,"from":2,"changes":[[2,{entry}]]}}"#),
            r#"{"v":1,"head":5,"from":6,"changes":[]}"#.to_owned(),
        ] {
            assert!(
                matches!(
                    Feed::from_json(&json),
                    Err(RevocationError::FeedOutOfOrder { .. })
                ),
                "{json}"
            );
        }
        assert!(matches!(
            Feed::from_json(r#"{"v":2,"head":0,"from":0,"changes":[]}"#),
            Err(RevocationError::MalformedFeed(_))
        ));
        assert!(matches!(
            Feed::from_json(r#"{"v":1,"head":1,"from":0,"changes":[[1,{"v":1}]]}"#),
            Err(RevocationError::MalformedEntry(_))
        ));
    }

    #[test]
    fn sync_is_up_to_date_at_or_past_the_head() {
        let feed = Feed::recent(4, 10, (1..=4).map(|v| change(v, "x")));
        assert_eq!(plan_sync(4, &feed), SyncStep::UpToDate);
        assert_eq!(plan_sync(9, &feed), SyncStep::UpToDate);
    }

    #[test]
    fn sync_applies_only_the_changes_after_the_version_held() {
        let feed = Feed::recent(4, 10, (1..=4).map(|v| change(v, &v.to_string())));
        let SyncStep::Apply(changes) = plan_sync(2, &feed) else {
            panic!("expected Apply")
        };
        assert_eq!(
            changes.iter().map(|c| c.version).collect::<Vec<_>>(),
            vec![3, 4]
        );
    }

    #[test]
    fn sync_reloads_when_behind_the_window() {
        let feed = Feed::recent(10, 3, (1..=10).map(|v| change(v, "x")));
        assert_eq!(plan_sync(6, &feed), SyncStep::Reload);
        // At `from` exactly, every later change is in the feed.
        assert!(matches!(plan_sync(7, &feed), SyncStep::Apply(c) if c.len() == 3));
    }

    #[test]
    fn applying_a_feed_reaches_the_same_answers_as_a_full_rebuild() {
        let changes: Vec<Change> = (1..=20).map(|v| change(v, &format!("t{v}"))).collect();
        let full = RevocationSnapshot::from_entries(changes.iter().map(|c| c.entry.clone()), NOW)
            .with_version(20);
        let mut held =
            RevocationSnapshot::from_entries(changes[..12].iter().map(|c| c.entry.clone()), NOW)
                .with_version(12);
        let feed = Feed::recent(20, 10, changes.clone());
        let SyncStep::Apply(delta) = plan_sync(held.version(), &feed) else {
            panic!("expected Apply")
        };
        held.apply(&delta, NOW);
        assert_eq!(held.version(), 20);
        assert_eq!(held.entries(), full.entries());
        // The version rides in the published snapshot; a snapshot without one reads as 0.
        assert_eq!(
            RevocationSnapshot::from_json(&held.to_json())
                .unwrap()
                .version(),
            20
        );
        assert!(!RevocationSnapshot::empty(NOW).to_json().contains("version"));
        assert_eq!(
            held.check(Some("t17"), None, None, None, None),
            Some(RevokedBy::Token)
        );
    }

    #[test]
    fn applying_skips_expired_entries_but_still_advances_the_version() {
        let mut snap = RevocationSnapshot::empty(NOW);
        let expired = Change {
            version: 3,
            entry: entry_for(jti("old"), NOW - 5000, Some(NOW - 100), &POLICY),
        };
        snap.apply(&[expired], NOW);
        assert_eq!((snap.version(), snap.len()), (3, 0));
    }

    #[test]
    fn listing_keeps_the_latest_change_per_revocation_and_drops_expired_ones() {
        use crate::revocation::RevocationReason;
        let mut again = change(3, "a");
        again.entry.reason = RevocationReason::Leaked;
        let expired = Change {
            version: 4,
            entry: entry_for(jti("old"), NOW - 5000, Some(NOW - 100), &POLICY),
        };
        let listed = latest_entries([again, change(1, "a"), change(2, "b"), expired], NOW);
        let targets: Vec<(&str, RevocationReason)> = listed
            .iter()
            .map(|e| (e.revocation.target(), e.reason))
            .collect();
        assert_eq!(
            targets,
            vec![
                ("b", RevocationReason::Admin),
                ("a", RevocationReason::Leaked)
            ]
        );
    }

    #[test]
    fn publication_waits_a_second_after_the_last_one() {
        assert_eq!(publish_at(None, 5_000), 5_000);
        assert_eq!(publish_at(Some(4_500), 5_000), 5_500);
        assert_eq!(publish_at(Some(1_000), 5_000), 5_000);
        assert_eq!(publish_at(Some(u64::MAX), 5_000), u64::MAX);
    }
}
