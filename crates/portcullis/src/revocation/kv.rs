//! The KV layout: one key per revocation under [`KEY_PREFIX`], carrying its entry as
//! metadata, plus the compacted snapshot under [`SNAPSHOT_KEY`]; and the limits Workers KV
//! puts on keys, metadata and expirations, checked here so a write never fails half-way.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use super::entry::{Revocation, RevocationEntry};
use super::error::RevocationError;

/// Prefix of every per-revocation KV key of the legacy layout; the writer drains it.
pub const KEY_PREFIX: &str = "rev/";

/// KV key of the compacted snapshot. Outside [`KEY_PREFIX`], so listing entries skips it.
pub const SNAPSHOT_KEY: &str = "snapshot/v1";

/// Largest list (entries) the writer still publishes as `snapshot/v1` JSON beside the compact
/// form, for isolates of the previous release during a deploy (about 5 MB of JSON; that
/// release could not publish much more under KV's 25 MiB value limit anyway). Above it only
/// the compact form is written. Drop `snapshot/v1` publication in the release after this one.
pub const SNAPSHOT_V1_MAX_ENTRIES: usize = 100_000;

/// Longest KV key Workers KV accepts, in bytes.
pub const MAX_KV_KEY_LEN: usize = 512;

/// Largest serialized KV metadata Workers KV accepts, in bytes.
pub const MAX_KV_METADATA_LEN: usize = 1024;

/// How far in the future a KV `expiration` is set at the least, in seconds.
///
/// KV rejects an expiration less than 60 s ahead of *its* clock. Ten seconds of slack cover
/// a Worker's clock, which only advances on I/O, lagging behind while a request runs.
pub const KV_MIN_EXPIRATION_AHEAD: i64 = 70;

impl Revocation {
    /// The KV key of this revocation: `rev/jti/<b64>`, `rev/sub/<b64>/<before>` or
    /// `rev/kid/<b64>`, where `<b64>` is the base64url (unpadded) identifier.
    ///
    /// Deterministic, so revoking the same thing twice writes the same key; the kind is part
    /// of the key, so a `jti` and a `sub` with the same value never collide; base64url makes
    /// any string (slashes, unicode, control characters) a safe key segment.
    ///
    /// # Errors
    /// [`RevocationError::KeyTooLong`] if the key would exceed [`MAX_KV_KEY_LEN`].
    pub fn kv_key(&self) -> Result<String, RevocationError> {
        let encoded = URL_SAFE_NO_PAD.encode(self.target().as_bytes());
        let key = match self {
            Revocation::Subject { before, .. } => {
                format!("{KEY_PREFIX}{}/{encoded}/{before}", self.kind())
            }
            _ => format!("{KEY_PREFIX}{}/{encoded}", self.kind()),
        };
        if key.len() > MAX_KV_KEY_LEN {
            return Err(RevocationError::KeyTooLong {
                len: key.len(),
                max: MAX_KV_KEY_LEN,
            });
        }
        Ok(key)
    }
}

impl RevocationEntry {
    /// The KV key of this entry; see [`Revocation::kv_key`].
    ///
    /// # Errors
    /// [`RevocationError::KeyTooLong`] if the key would exceed [`MAX_KV_KEY_LEN`].
    pub fn kv_key(&self) -> Result<String, RevocationError> {
        self.revocation.kv_key()
    }

    /// The `expiration` to pass to KV `put`: `expires_at`, but at least
    /// [`KV_MIN_EXPIRATION_AHEAD`] seconds after `now` (KV rejects sooner ones).
    /// `None` means: put without an expiration.
    pub fn kv_expiration(&self, now: i64) -> Option<i64> {
        self.expires_at
            .map(|exp| exp.max(now.saturating_add(KV_MIN_EXPIRATION_AHEAD)))
    }
    /// The entry as KV metadata: the same JSON as [`RevocationEntry::to_json`], checked
    /// against KV's metadata limit.
    ///
    /// # Errors
    /// [`RevocationError::MetadataTooLarge`] if it exceeds [`MAX_KV_METADATA_LEN`] (possible
    /// for identifiers full of characters JSON must escape).
    pub fn metadata_json(&self) -> Result<String, RevocationError> {
        let json = self.to_json();
        if json.len() > MAX_KV_METADATA_LEN {
            return Err(RevocationError::MetadataTooLarge {
                len: json.len(),
                max: MAX_KV_METADATA_LEN,
            });
        }
        Ok(json)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::revocation::test_support::*;
    use crate::revocation::{entry_for, identifier_problem, IdentifierProblem, MAX_IDENTIFIER_LEN};
    use proptest::prelude::*;

    #[test]
    fn kv_expiration_is_expires_at_when_far_enough_ahead() {
        let e = entry_for(jti("a"), NOW, Some(NOW + 600), &POLICY);
        assert_eq!(e.kv_expiration(NOW), Some(NOW + 630));
    }

    #[test]
    fn kv_expiration_is_at_least_the_kv_minimum_ahead() {
        // A token that is about to expire (or already has) still needs a legal KV expiration.
        let e = entry_for(jti("a"), NOW, Some(NOW - 5), &POLICY);
        assert_eq!(e.kv_expiration(NOW), Some(NOW + KV_MIN_EXPIRATION_AHEAD));
        const { assert!(KV_MIN_EXPIRATION_AHEAD >= 60) };
        let e = entry_for(sub("alice", NOW - 3600), NOW, None, &POLICY);
        assert_eq!(e.kv_expiration(NOW), Some(NOW + KV_MIN_EXPIRATION_AHEAD));
    }

    #[test]
    fn kv_key_is_deterministic_for_the_same_revocation() {
        for rev in [jti("a/b"), sub("alice", NOW), kid("k1")] {
            assert_eq!(rev.kv_key().unwrap(), rev.clone().kv_key().unwrap());
            let at_other_time = entry_for(rev.clone(), NOW + 77, Some(NOW + 999), &POLICY);
            assert_eq!(at_other_time.kv_key().unwrap(), rev.kv_key().unwrap());
        }
    }

    #[test]
    fn kv_key_differs_by_kind_for_the_same_target() {
        let keys: HashSet<String> = [jti("x"), sub("x", NOW), kid("x")]
            .iter()
            .map(|r| r.kv_key().unwrap())
            .collect();
        assert_eq!(keys.len(), 3);
    }

    #[test]
    fn kv_key_differs_by_target_and_by_subject_cutoff() {
        assert_ne!(jti("x").kv_key().unwrap(), jti("y").kv_key().unwrap());
        assert_ne!(sub("x", 1).kv_key().unwrap(), sub("x", 2).kv_key().unwrap());
    }

    #[test]
    fn kv_key_has_the_documented_shape() {
        assert_eq!(jti("x").kv_key().unwrap(), "rev/jti/eA");
        assert_eq!(sub("x", 42).kv_key().unwrap(), "rev/sub/eA/42");
        assert_eq!(kid("x").kv_key().unwrap(), "rev/kid/eA");
        assert!(!SNAPSHOT_KEY.starts_with(KEY_PREFIX));
    }

    #[test]
    fn kv_key_is_safe_for_hostile_identifiers() {
        let hostile = [
            "../../snapshot/v1",
            "a/b/c",
            "ключ🔑",
            "\0\n\r\t",
            "..",
            " ",
            "%2F",
            "rev/kid/x",
        ];
        let mut seen = HashSet::new();
        for id in hostile {
            for rev in [jti(id), sub(id, NOW), kid(id)] {
                let key = rev.kv_key().unwrap();
                let rest = key.strip_prefix(KEY_PREFIX).unwrap();
                let segments: Vec<&str> = rest.split('/').collect();
                assert_eq!(segments[0], rev.kind().as_str());
                assert_eq!(URL_SAFE_NO_PAD.decode(segments[1]).unwrap(), id.as_bytes());
                assert!(segments[1]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
                assert!(seen.insert(key), "keys collide");
            }
        }
    }

    #[test]
    fn kv_key_accepts_the_longest_admin_identifier() {
        let id = "é".repeat(MAX_IDENTIFIER_LEN / 2);
        assert!(sub(&id, i64::MIN).kv_key().unwrap().len() <= MAX_KV_KEY_LEN);
    }

    #[test]
    fn kv_key_rejects_identifiers_that_would_exceed_the_kv_limit() {
        let id = "x".repeat(400);
        assert_eq!(
            jti(&id).kv_key(),
            Err(RevocationError::KeyTooLong {
                len: 8 + 534,
                max: MAX_KV_KEY_LEN
            })
        );
        // 378 bytes encode to 504 characters: exactly at the limit with "rev/kid/".
        assert_eq!(
            kid(&"x".repeat(378)).kv_key().unwrap().len(),
            MAX_KV_KEY_LEN
        );
        assert!(matches!(
            kid(&"x".repeat(379)).kv_key(),
            Err(RevocationError::KeyTooLong { .. })
        ));
    }

    #[test]
    fn metadata_json_rejects_entries_over_the_kv_metadata_limit() {
        // Control characters escape to six bytes each in JSON.
        let e = entry_for(jti(&"\u{1}".repeat(MAX_IDENTIFIER_LEN)), NOW, None, &POLICY);
        assert!(matches!(
            e.metadata_json(),
            Err(RevocationError::MetadataTooLarge { max: 1024, .. })
        ));
        let e = entry_for(jti(&"x".repeat(MAX_IDENTIFIER_LEN)), NOW, None, &POLICY);
        assert!(e.metadata_json().is_ok());
    }

    #[test]
    fn identifier_rule_refuses_empty_long_and_control_identifiers() {
        assert_eq!(identifier_problem(""), Some(IdentifierProblem::Empty));
        assert_eq!(
            identifier_problem(&"x".repeat(MAX_IDENTIFIER_LEN + 1)),
            Some(IdentifierProblem::TooLong {
                len: MAX_IDENTIFIER_LEN + 1
            })
        );
        for bad in ["a\0", "\t", "a\nb", "\u{7f}"] {
            assert_eq!(
                identifier_problem(bad),
                Some(IdentifierProblem::ControlCharacter),
                "{bad:?}"
            );
        }
        for good in ["a", "user@example.com", "é", " padded ", "\u{80}", "\"\\"] {
            assert_eq!(identifier_problem(good), None, "{good:?}");
        }
        assert_eq!(identifier_problem(&"x".repeat(MAX_IDENTIFIER_LEN)), None);
    }

    #[test]
    fn every_valid_identifier_fits_the_store() {
        // The worst cases: the longest identifier of characters JSON escapes (`"`, `\`),
        // and of the longest UTF-8 characters (base64 grows the KV key with bytes).
        let worst = [
            "\"".repeat(MAX_IDENTIFIER_LEN),
            "\\".repeat(MAX_IDENTIFIER_LEN),
            "\u{10FFFF}".repeat(MAX_IDENTIFIER_LEN / 4),
        ];
        for id in worst {
            assert_eq!(identifier_problem(&id), None);
            for rev in [jti(&id), sub(&id, i64::MIN), kid(&id)] {
                let entry = RevocationEntry {
                    revocation: rev,
                    revoked_at: i64::MIN,
                    expires_at: Some(i64::MIN),
                    reason: crate::revocation::RevocationReason::Leaked,
                };
                entry.kv_key().unwrap();
                entry.metadata_json().unwrap();
            }
        }
    }

    proptest! {
        #[test]
        fn kv_keys_of_distinct_revocations_differ(a in arb_revocation(), b in arb_revocation()) {
            prop_assert_eq!(a.kv_key().unwrap() == b.kv_key().unwrap(), a == b);
        }
    }
}
