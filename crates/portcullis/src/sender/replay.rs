//! The DPoP replay cache: every proof's (key, `jti`) this isolate accepted, kept until the
//! proof's `iat` leaves the acceptance window, after which the `iat` check refuses it anyway.
//!
//! It is per isolate: another isolate, in this location or another, has its own (see the
//! README's replay guarantee). Entries are 16 bytes of SHA-256 over key thumbprint and `jti`,
//! so a cache of [`DEFAULT_CAPACITY`] entries stays within a few megabytes.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::sender::BindingError;

/// Entries held at most. When the cache is full of live entries a proof cannot be checked for
/// replay, and is refused ([`BindingError::ReplayCacheFull`]): failing closed.
pub const DEFAULT_CAPACITY: usize = 100_000;

/// Proofs seen, by (thumbprint, `jti`), with the time each stops mattering.
#[derive(Debug, Clone)]
pub struct ReplayCache {
    seen: HashMap<[u8; 16], i64>,
    capacity: usize,
}

impl Default for ReplayCache {
    fn default() -> Self {
        ReplayCache::with_capacity(DEFAULT_CAPACITY)
    }
}

impl ReplayCache {
    /// An empty cache holding at most `capacity` live entries.
    pub fn with_capacity(capacity: usize) -> ReplayCache {
        ReplayCache {
            seen: HashMap::new(),
            capacity: capacity.max(1),
        }
    }

    /// Entries held (live or not yet pruned).
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether the cache holds nothing.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Records a proof's (`jkt`, `jti`) until `until`; refuses one already recorded and still
    /// live at `now`.
    pub fn record(
        &mut self,
        jkt: &str,
        jti: &str,
        until: i64,
        now: i64,
    ) -> Result<(), BindingError> {
        let mut hash = Sha256::new();
        hash.update(jkt.as_bytes());
        hash.update([0u8]);
        hash.update(jti.as_bytes());
        let mut id = [0u8; 16];
        id.copy_from_slice(&hash.finalize()[..16]);
        if self.seen.get(&id).is_some_and(|&t| t >= now) {
            return Err(BindingError::ProofReplayed);
        }
        if self.seen.len() >= self.capacity {
            // Amortized: a full sweep only when the cache fills.
            self.seen.retain(|_, &mut t| t >= now);
            if self.seen.len() >= self.capacity {
                return Err(BindingError::ReplayCacheFull);
            }
        }
        self.seen.insert(id, until);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proof_is_accepted_once_while_it_matters() {
        let mut cache = ReplayCache::with_capacity(2);
        assert_eq!(cache.record("k", "a", 160, 100), Ok(()));
        assert_eq!(
            cache.record("k", "a", 160, 150),
            Err(BindingError::ProofReplayed)
        );
        // Same jti under another key is another proof.
        assert_eq!(cache.record("k2", "a", 160, 150), Ok(()));
        // Full of live entries: fail closed.
        assert_eq!(
            cache.record("k", "b", 170, 150),
            Err(BindingError::ReplayCacheFull)
        );
        // Once they expire they are swept.
        assert_eq!(cache.record("k", "b", 230, 200), Ok(()));
        assert_eq!(cache.len(), 1);
        // An expired entry no longer counts as a replay (its iat is outside the window).
        assert_eq!(cache.record("k", "b", 400, 300), Ok(()));
    }
}
