//! When an isolate's copy of the revocation snapshot may decide a request.
//!
//! Each isolate holds the snapshot it last loaded. A request decides with that copy while it
//! is younger than the refresh interval; once older, the copy still decides (so the hot path
//! never waits for KV) while one background refresh runs; only an isolate with no copy, or
//! with one past the maximum age, loads the snapshot before deciding. If that load fails the
//! list is [`Unavailable`], and the rule's `fail_open` setting decides (fail closed by
//! default, in [`crate::http::check_revocation`]).
//!
//! This module only decides; the Worker performs the KV read it asks for and keeps the copy.
//! Times are milliseconds on the Worker's clock, passed in.

/// What to do with the held copy for one request; see [`SnapshotFreshness::decide`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotAction {
    /// Fresh (or a refresh is already under way): decide with the copy held.
    Use,
    /// Stale but within the maximum age: decide with the copy held, and start one background
    /// refresh.
    UseAndRefresh,
    /// No copy, or one past the maximum age: load the snapshot before deciding.
    Load,
}

/// No snapshot young enough to decide with: the load failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unavailable {
    /// Seconds after which a retry may find a snapshot: one refresh interval.
    pub retry_after_s: u64,
}

/// The freshness rules for an isolate's snapshot, from the refresh settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotFreshness {
    refresh_s: u64,
    max_age_s: u64,
}

impl SnapshotFreshness {
    /// Rules for a copy refreshed every `refresh_s` seconds and never used past `max_age_s`.
    /// The configuration guarantees `max_age_s >= refresh_s`; were it not so, a copy past
    /// the maximum age would still be reloaded, never used.
    pub fn new(refresh_s: u64, max_age_s: u64) -> SnapshotFreshness {
        SnapshotFreshness {
            refresh_s,
            max_age_s,
        }
    }

    /// Decides what a request does with the copy loaded at `loaded_ms` (`None`: no copy),
    /// at `now_ms`. `refresh_in_flight` says a background refresh already runs, so a stale
    /// copy starts no second one.
    ///
    /// A clock that went backwards gives an age of zero: the copy counts as fresh.
    pub fn decide(
        &self,
        loaded_ms: Option<u64>,
        now_ms: u64,
        refresh_in_flight: bool,
    ) -> SnapshotAction {
        let Some(loaded_ms) = loaded_ms else {
            return SnapshotAction::Load;
        };
        let age_ms = now_ms.saturating_sub(loaded_ms);
        if age_ms < self.refresh_s.saturating_mul(1000) {
            SnapshotAction::Use
        } else if age_ms < self.max_age_s.saturating_mul(1000) {
            if refresh_in_flight {
                SnapshotAction::Use
            } else {
                SnapshotAction::UseAndRefresh
            }
        } else {
            SnapshotAction::Load
        }
    }

    /// Whether a copy loaded at `loaded_ms` may decide at `now_ms`: younger than the maximum
    /// age. A request that waited for another request's load asks this before using the copy
    /// held afterwards, since a failed load leaves the old copy in place.
    pub fn usable(&self, loaded_ms: u64, now_ms: u64) -> bool {
        self.decide(Some(loaded_ms), now_ms, true) != SnapshotAction::Load
    }

    /// The answer when a [`SnapshotAction::Load`] failed. The stale copy, if any, is not used:
    /// past the maximum age it may miss revocations older than the operator allows.
    pub fn unavailable(&self) -> Unavailable {
        Unavailable {
            retry_after_s: self.refresh_s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOADED: u64 = 1_700_000_000_000;
    const RULES: SnapshotFreshness = SnapshotFreshness {
        refresh_s: 5,
        max_age_s: 60,
    };

    #[test]
    fn isolate_without_a_copy_loads() {
        assert_eq!(RULES.decide(None, LOADED, false), SnapshotAction::Load);
        assert_eq!(RULES.decide(None, LOADED, true), SnapshotAction::Load);
    }

    #[test]
    fn copy_younger_than_the_refresh_interval_is_used() {
        assert_eq!(
            RULES.decide(Some(LOADED), LOADED, false),
            SnapshotAction::Use
        );
        assert_eq!(
            RULES.decide(Some(LOADED), LOADED + 4_999, false),
            SnapshotAction::Use
        );
    }

    #[test]
    fn stale_copy_is_used_while_one_background_refresh_runs() {
        assert_eq!(
            RULES.decide(Some(LOADED), LOADED + 5_000, false),
            SnapshotAction::UseAndRefresh
        );
        assert_eq!(
            RULES.decide(Some(LOADED), LOADED + 59_999, false),
            SnapshotAction::UseAndRefresh
        );
        // A refresh already under way: no second one.
        assert_eq!(
            RULES.decide(Some(LOADED), LOADED + 5_000, true),
            SnapshotAction::Use
        );
    }

    #[test]
    fn copy_at_or_past_the_maximum_age_is_reloaded_before_deciding() {
        assert_eq!(
            RULES.decide(Some(LOADED), LOADED + 60_000, false),
            SnapshotAction::Load
        );
        // Even with a background refresh running: a copy this old must not decide.
        assert_eq!(
            RULES.decide(Some(LOADED), LOADED + 600_000, true),
            SnapshotAction::Load
        );
    }

    #[test]
    fn copy_is_usable_only_below_the_maximum_age() {
        assert!(RULES.usable(LOADED, LOADED));
        assert!(RULES.usable(LOADED, LOADED + 59_999));
        // What a waiter finds after another request's load failed: the old copy, too old.
        assert!(!RULES.usable(LOADED, LOADED + 60_000));
        assert!(!RULES.usable(LOADED, LOADED + 600_000));
    }

    #[test]
    fn clock_running_backwards_counts_the_copy_as_fresh() {
        assert_eq!(
            RULES.decide(Some(LOADED), LOADED - 10_000, false),
            SnapshotAction::Use
        );
    }

    #[test]
    fn huge_settings_saturate_instead_of_overflowing() {
        let rules = SnapshotFreshness::new(u64::MAX, u64::MAX);
        assert_eq!(
            rules.decide(Some(0), u64::MAX - 1, false),
            SnapshotAction::Use
        );
    }

    #[test]
    fn failed_load_is_unavailable_for_one_refresh_interval() {
        assert_eq!(RULES.unavailable(), Unavailable { retry_after_s: 5 });
    }
}
