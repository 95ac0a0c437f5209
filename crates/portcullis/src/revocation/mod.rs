//! Revocation: which tokens the gate refuses although their signature and claims verify.
//!
//! This module is pure: no I/O, no clock. `now` (NumericDate seconds) is always passed in.
//! The Worker glue does the KV calls; this module says what to write, what to delete and
//! what a lookup answers.
//!
//! # Three kinds of revocation
//! - [`Revocation::Token`]: one token, by its `jti`.
//! - [`Revocation::Subject`]: every token for a `sub` issued before a time (`iat < before`).
//!   A token for that subject **without** `iat` is treated as revoked: nothing proves it
//!   was issued after the cut-off.
//! - [`Revocation::Key`]: every token the key `kid` verifies (key compromise), whether or
//!   not its header names the `kid` (a one-key ring accepts tokens that name none).
//!
//! # Storage design
//! Nothing in a request handler reads, modifies and writes a shared KV key, so concurrent
//! admins never lose a revocation:
//! - **Source of truth**: one KV key per revocation ([`RevocationEntry::kv_key`]), written
//!   with `put(key, entry.to_json(), { expiration: entry.kv_expiration(now), metadata })`
//!   where `metadata` is [`RevocationEntry::metadata_json`]. Because the entry rides in the
//!   metadata, a rebuild `list`s the [`KEY_PREFIX`] and gets every entry without a `get`
//!   per key. Keys are deterministic, so two admins revoking the same thing write the same
//!   key (idempotent). A subject key includes `before`, so two different cut-offs for one
//!   subject are two keys and neither overwrites the other; the snapshot keeps the latest.
//! - **Snapshot**: [`SNAPSHOT_KEY`] holds a compacted [`RevocationSnapshot`], rebuilt by a
//!   Cron Trigger (and opportunistically after an admin write) from the listed entries after
//!   [`prune`]. Isolates hold it in memory and refresh it every few seconds; a request's
//!   check is a hash lookup ([`RevocationSnapshot::check`]).
//!
//! KV `list` is eventually consistent, so a rebuild right after a write may miss the new
//! entry; the glue can [`RevocationSnapshot::insert`] it into the snapshot it just rebuilt.
//! The next cron rebuild repairs anything a racing opportunistic rebuild dropped.
//!
//! # Expiry
//! An entry expires by itself once no token it covers can still be accepted
//! ([`entry_for`]): a `jti` at the token's `exp` + leeway (or `now + max_ttl + leeway` when
//! `exp` is unknown), a subject at `before + max_ttl + leeway`. A key revocation never
//! expires by time, because a compromised key can mint fresh tokens; it becomes moot only
//! when the `kid` leaves the key ring, and [`prune`] then reports it for deletion.

use std::collections::{HashMap, HashSet};
use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::jwt::keyring::Keyring;

/// Prefix of every per-revocation KV key; a rebuild lists this prefix.
pub const KEY_PREFIX: &str = "rev/";

/// KV key of the compacted snapshot. Outside [`KEY_PREFIX`], so listing entries skips it.
pub const SNAPSHOT_KEY: &str = "snapshot/v1";

/// Longest KV key Workers KV accepts, in bytes.
pub const MAX_KV_KEY_LEN: usize = 512;

/// Largest serialized KV metadata Workers KV accepts, in bytes.
pub const MAX_KV_METADATA_LEN: usize = 1024;

/// How far in the future a KV `expiration` is set at the least, in seconds.
///
/// KV rejects an expiration less than 60 s ahead of *its* clock. Ten seconds of slack cover
/// a Worker's clock, which only advances on I/O, lagging behind while a request runs.
pub const KV_MIN_EXPIRATION_AHEAD: i64 = 70;

// The identifier rule lives with the token profile, which enforces it; the store relies on it.
pub use crate::jwt::identifier::{identifier_problem, IdentifierProblem, MAX_IDENTIFIER_LEN};

/// Largest admin request body (revoke or introspect) accepted, in bytes.
pub const MAX_ADMIN_BODY_LEN: usize = 8 * 1024;

/// Version written in, and required of, entry JSON.
const ENTRY_VERSION: u64 = 1;

/// Version written in, and required of, snapshot JSON.
const SNAPSHOT_VERSION: u64 = 1;

// ---------------------------------------------------------------------------------------
// Revocations and entries
// ---------------------------------------------------------------------------------------

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
}

/// The kind of a [`Revocation`], without its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RevocationKind {
    /// By `jti`; written `"jti"`.
    #[serde(rename = "jti")]
    Token,
    /// By `sub` and cut-off; written `"sub"`.
    #[serde(rename = "sub")]
    Subject,
    /// By `kid`; written `"kid"`.
    #[serde(rename = "kid")]
    Key,
}

impl RevocationKind {
    /// The claim this kind matches on: `"jti"`, `"sub"` or `"kid"`.
    pub fn as_str(self) -> &'static str {
        match self {
            RevocationKind::Token => "jti",
            RevocationKind::Subject => "sub",
            RevocationKind::Key => "kid",
        }
    }
}

impl fmt::Display for RevocationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Revocation {
    /// The kind of revocation.
    pub fn kind(&self) -> RevocationKind {
        match self {
            Revocation::Token { .. } => RevocationKind::Token,
            Revocation::Subject { .. } => RevocationKind::Subject,
            Revocation::Key { .. } => RevocationKind::Key,
        }
    }

    /// The identifier revoked: the `jti`, `sub` or `kid`.
    pub fn target(&self) -> &str {
        match self {
            Revocation::Token { jti } => jti,
            Revocation::Subject { sub, .. } => sub,
            Revocation::Key { kid } => kid,
        }
    }

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

/// A revocation as stored: what, when, and until when it matters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationEntry {
    /// What is revoked.
    pub revocation: Revocation,
    /// When it was revoked, NumericDate seconds.
    pub revoked_at: i64,
    /// After this instant no token it covers can be accepted any more; `None` for never
    /// (key revocations, see [`prune`]).
    pub expires_at: Option<i64>,
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
/// - `kid`: never (`None`): a compromised key mints fresh tokens; see [`prune`].
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
    };
    RevocationEntry {
        revocation: rev,
        revoked_at: now,
        expires_at,
    }
}

/// Entry JSON: `{"v":1,"kind":"sub","sub":"alice","before":N,"at":N,"exp":N}`; only the
/// field named by `kind` (plus `before` for `sub`) is present; `exp` is absent for never.
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
    at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
}

impl RevocationEntry {
    /// The KV key of this entry; see [`Revocation::kv_key`].
    ///
    /// # Errors
    /// [`RevocationError::KeyTooLong`] if the key would exceed [`MAX_KV_KEY_LEN`].
    pub fn kv_key(&self) -> Result<String, RevocationError> {
        self.revocation.kv_key()
    }

    /// Whether no token this entry covers can be accepted at `now` any more.
    ///
    /// The entry still counts at `expires_at` itself and lapses one second later.
    pub fn is_expired(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|exp| now > exp)
    }

    /// The `expiration` to pass to KV `put`: `expires_at`, but at least
    /// [`KV_MIN_EXPIRATION_AHEAD`] seconds after `now` (KV rejects sooner ones).
    /// `None` means: put without an expiration.
    pub fn kv_expiration(&self, now: i64) -> Option<i64> {
        self.expires_at
            .map(|exp| exp.max(now.saturating_add(KV_MIN_EXPIRATION_AHEAD)))
    }

    /// The entry as compact, versioned JSON; used as the KV value.
    pub fn to_json(&self) -> String {
        let (jti, sub, before, kid) = match &self.revocation {
            Revocation::Token { jti } => (Some(jti.clone()), None, None, None),
            Revocation::Subject { sub, before } => (None, Some(sub.clone()), Some(*before), None),
            Revocation::Key { kid } => (None, None, None, Some(kid.clone())),
        };
        let wire = EntryWire {
            v: ENTRY_VERSION,
            kind: self.revocation.kind(),
            jti,
            sub,
            before,
            kid,
            at: self.revoked_at,
            exp: self.expires_at,
        };
        serde_json::to_string(&wire).expect("an entry always serializes")
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

    /// Parses entry JSON, from KV metadata or a KV value.
    ///
    /// # Errors
    /// [`RevocationError::MalformedEntry`] for anything but a version-1 entry with exactly
    /// the fields its kind requires.
    pub fn from_json(json: &str) -> Result<RevocationEntry, RevocationError> {
        check_version(json, ENTRY_VERSION).map_err(RevocationError::MalformedEntry)?;
        let wire: EntryWire =
            serde_json::from_str(json).map_err(|e| RevocationError::MalformedEntry(e.into()))?;
        let revocation = match (wire.kind, wire.jti, wire.sub, wire.before, wire.kid) {
            (RevocationKind::Token, Some(jti), None, None, None) => Revocation::Token { jti },
            (RevocationKind::Subject, None, Some(sub), Some(before), None) => {
                Revocation::Subject { sub, before }
            }
            (RevocationKind::Key, None, None, None, Some(kid)) => Revocation::Key { kid },
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
        })
    }
}

// ---------------------------------------------------------------------------------------
// Pruning
// ---------------------------------------------------------------------------------------

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

/// The later of two expiries, `None` being never.
fn later_expiry(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        _ => None,
    }
}

/// Whether expiry `a` is no earlier than `b`, `None` being never.
fn lasts_at_least(a: Option<i64>, b: Option<i64>) -> bool {
    match (a, b) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(a), Some(b)) => a >= b,
    }
}

// ---------------------------------------------------------------------------------------
// Snapshot
// ---------------------------------------------------------------------------------------

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
    tokens: HashMap<String, Stamp>,
    /// Subject -> (latest cut-off, stamp).
    subjects: HashMap<String, (i64, Stamp)>,
    keys: HashMap<String, Stamp>,
}

/// Snapshot JSON: `{"v":1,"built_at":N,"jti":[[jti,at,exp]],"sub":[[sub,before,at,exp]],
/// "kid":[[kid,at]]}`, each list sorted by target; `exp` is `null` for never.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotWire {
    v: u64,
    built_at: i64,
    jti: Vec<(String, i64, Option<i64>)>,
    sub: Vec<(String, i64, i64, Option<i64>)>,
    kid: Vec<(String, i64)>,
}

impl RevocationSnapshot {
    /// A snapshot that revokes nothing, built at `now`.
    pub fn empty(now: i64) -> RevocationSnapshot {
        RevocationSnapshot {
            built_at: now,
            tokens: HashMap::new(),
            subjects: HashMap::new(),
            keys: HashMap::new(),
        }
    }

    /// Builds a snapshot at `now` from entries (normally [`Pruned::keep`]), skipping those
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
        }
    }

    /// When the snapshot was built, NumericDate seconds.
    pub fn built_at(&self) -> i64 {
        self.built_at
    }

    /// Whether a token with these claims is revoked, and by what. `kid` is the kid of the
    /// key that verified it (not the header's); `iat` is rounded down
    /// ([`crate::jwt::claims::Claims::iat_floor`]), so a fractional `iat` just below a cut-off is
    /// covered.
    ///
    /// Checks `jti`, then subject, then key, and answers the first match. Under a subject
    /// revocation, a token with `iat < before` is revoked, one with `iat >= before` is
    /// spared, and one without `iat` is revoked (it cannot prove it is newer).
    pub fn check(
        &self,
        jti: Option<&str>,
        sub: Option<&str>,
        iat: Option<i64>,
        kid: Option<&str>,
    ) -> Option<RevokedBy> {
        if jti.is_some_and(|jti| self.tokens.contains_key(jti)) {
            return Some(RevokedBy::Token);
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

    /// Number of revoked targets (jtis + subjects + kids).
    pub fn len(&self) -> usize {
        self.tokens.len() + self.subjects.len() + self.keys.len()
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
        out.sort_by(|a, b| {
            (a.revocation.kind(), a.revocation.target())
                .cmp(&(b.revocation.kind(), b.revocation.target()))
        });
        out
    }

    /// The snapshot as compact, versioned JSON with sorted lists (equal snapshots give equal
    /// bytes); stored in KV under [`SNAPSHOT_KEY`].
    pub fn to_json(&self) -> String {
        let mut wire = SnapshotWire {
            v: SNAPSHOT_VERSION,
            built_at: self.built_at,
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
        };
        wire.jti.sort_unstable_by(|a, b| a.0.cmp(&b.0));
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
        let mut snapshot = RevocationSnapshot::empty(wire.built_at);
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
        Ok(snapshot)
    }
}

/// Reads only `"v"` (ignoring every other field), so a future version is reported as such
/// rather than as a shape error.
fn check_version(json: &str, expected: u64) -> Result<(), DecodeError> {
    #[derive(Deserialize)]
    struct VersionProbe {
        v: Option<u64>,
    }
    let probe: VersionProbe = serde_json::from_str(json)?;
    match probe.v {
        None => Err(DecodeError::MissingVersion),
        Some(v) if v != expected => Err(DecodeError::UnsupportedVersion { found: v }),
        Some(_) => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// Why stored entry or snapshot JSON could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// Not JSON, or cut short.
    Syntax {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
    },
    /// JSON, but not the expected shape: a missing, unknown or mistyped field.
    Shape {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
    },
    /// No `"v"` field.
    MissingVersion,
    /// A version this build does not read.
    UnsupportedVersion {
        /// The version found.
        found: u64,
    },
    /// An entry whose fields do not match its `kind` (e.g. `"sub"` without `"before"`, or
    /// with a `"jti"` as well).
    FieldsDisagreeWithKind {
        /// The kind the entry claims.
        kind: RevocationKind,
    },
    /// A snapshot listing one target twice.
    DuplicateTarget {
        /// The list it appears twice in.
        kind: RevocationKind,
    },
}

impl From<serde_json::Error> for DecodeError {
    fn from(e: serde_json::Error) -> DecodeError {
        let (line, column) = (e.line(), e.column());
        match e.classify() {
            serde_json::error::Category::Data => DecodeError::Shape { line, column },
            _ => DecodeError::Syntax { line, column },
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Syntax { line, column } => {
                write!(f, "invalid JSON at line {line}, column {column}")
            }
            DecodeError::Shape { line, column } => {
                write!(f, "unexpected JSON shape at line {line}, column {column}")
            }
            DecodeError::MissingVersion => f.write_str("no version field \"v\""),
            DecodeError::UnsupportedVersion { found } => write!(f, "unsupported version {found}"),
            DecodeError::FieldsDisagreeWithKind { kind } => {
                write!(f, "fields do not match kind \"{kind}\"")
            }
            DecodeError::DuplicateTarget { kind } => write!(f, "a {kind} is listed twice"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Errors of the storage side of revocation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevocationError {
    /// The KV key for this identifier would exceed KV's key limit.
    KeyTooLong {
        /// Length the key would have, in bytes.
        len: usize,
        /// The limit, [`MAX_KV_KEY_LEN`].
        max: usize,
    },
    /// The entry's JSON exceeds KV's metadata limit.
    MetadataTooLarge {
        /// Length of the JSON, in bytes.
        len: usize,
        /// The limit, [`MAX_KV_METADATA_LEN`].
        max: usize,
    },
    /// Stored entry JSON could not be read.
    MalformedEntry(DecodeError),
    /// Stored snapshot JSON could not be read.
    MalformedSnapshot(DecodeError),
}

impl fmt::Display for RevocationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RevocationError::KeyTooLong { len, max } => {
                write!(
                    f,
                    "revocation KV key would be {len} bytes, over the {max}-byte limit"
                )
            }
            RevocationError::MetadataTooLarge { len, max } => {
                write!(
                    f,
                    "revocation metadata is {len} bytes, over the {max}-byte limit"
                )
            }
            RevocationError::MalformedEntry(e) => write!(f, "malformed revocation entry: {e}"),
            RevocationError::MalformedSnapshot(e) => {
                write!(f, "malformed revocation snapshot: {e}")
            }
        }
    }
}

impl std::error::Error for RevocationError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RevocationError::MalformedEntry(e) | RevocationError::MalformedSnapshot(e) => Some(e),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Admin requests
// ---------------------------------------------------------------------------------------

/// A parsed revoke request.
#[derive(Clone, PartialEq, Eq)]
pub enum RevokeRequest {
    /// Revoke this directly (a `jti` or a subject).
    Revoke(Revocation),
    /// Revoke a key of the ring: [`check_key_revocation`] decides whether it may be.
    Key {
        /// The key's id.
        kid: String,
        /// Whether the request said `"confirm": true`, needed for the signing key and the
        /// caller's own key.
        confirm: bool,
    },
    /// Revoke the presented token: the caller verifies it and revokes its `jti` (with its
    /// `exp` for the expiry, see [`entry_for`]).
    Token(String),
}

impl fmt::Debug for RevokeRequest {
    /// Never prints the presented token: it is a live credential.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RevokeRequest::Revoke(rev) => f.debug_tuple("Revoke").field(rev).finish(),
            RevokeRequest::Key { kid, confirm } => f
                .debug_struct("Key")
                .field("kid", kid)
                .field("confirm", confirm)
                .finish(),
            RevokeRequest::Token(token) => write!(f, "Token(<{} bytes redacted>)", token.len()),
        }
    }
}

/// Why an admin request body was rejected. `Display` is safe to show the client: it never
/// echoes a value from the body (field names only when short and plain).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AdminRequestError {
    /// The body exceeds [`MAX_ADMIN_BODY_LEN`].
    BodyTooLarge {
        /// Body length, in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The body is not JSON (or not UTF-8).
    InvalidJson,
    /// The body is JSON but not an object.
    NotAnObject,
    /// A field this request does not take.
    UnknownField {
        /// The field name as sent.
        field: String,
    },
    /// A field given twice.
    DuplicateField {
        /// The field.
        field: &'static str,
    },
    /// A field of the wrong JSON type.
    WrongType {
        /// The field.
        field: &'static str,
        /// The type it must have.
        expected: &'static str,
    },
    /// A field given as an empty string.
    EmptyField {
        /// The field.
        field: &'static str,
    },
    /// An identifier over [`MAX_IDENTIFIER_LEN`].
    FieldTooLong {
        /// The field.
        field: &'static str,
        /// Its length, in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// An identifier holding a control character: no token the gate accepts has one.
    ControlCharacter {
        /// The field.
        field: &'static str,
    },
    /// `confirm` with another target than `kid`.
    ConfirmWithoutKey,
    /// None of `jti`, `sub`, `kid`, `token`.
    MissingTarget,
    /// More than one of `jti`, `sub`, `kid`, `token`.
    MultipleTargets,
    /// `before` without `sub`.
    BeforeWithoutSubject,
    /// `before` is a number but not an integer (e.g. `1.5`, `1e3`).
    NonIntegerBefore,
    /// `before` is negative.
    NegativeBefore,
    /// `before` is later than now: it would revoke tokens not yet issued.
    BeforeInFuture {
        /// The requested cut-off (saturated to `i64::MAX`).
        before: i64,
        /// Now.
        now: i64,
    },
    /// An introspection request without a `Content-Type`.
    MissingContentType,
    /// An introspection request whose `Content-Type` is neither form nor JSON.
    UnsupportedContentType,
    /// A form body with a `%` not followed by two hex digits.
    InvalidPercentEncoding,
    /// A form `token` that is not UTF-8 once decoded.
    InvalidUtf8,
    /// An introspection request without `token`.
    MissingToken,
}

impl fmt::Display for AdminRequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdminRequestError::BodyTooLarge { len, max } => {
                write!(f, "request body is {len} bytes, over the {max}-byte limit")
            }
            AdminRequestError::InvalidJson => f.write_str("request body is not valid JSON"),
            AdminRequestError::NotAnObject => f.write_str("request body must be a JSON object"),
            AdminRequestError::UnknownField { field } if is_safe_to_echo(field) => {
                write!(f, "unknown field \"{field}\"")
            }
            AdminRequestError::UnknownField { .. } => f.write_str("unknown field"),
            AdminRequestError::DuplicateField { field } => {
                write!(f, "field \"{field}\" is given more than once")
            }
            AdminRequestError::WrongType { field, expected } => {
                write!(f, "field \"{field}\" must be {expected}")
            }
            AdminRequestError::EmptyField { field } => write!(f, "field \"{field}\" is empty"),
            AdminRequestError::FieldTooLong { field, len, max } => {
                write!(
                    f,
                    "field \"{field}\" is {len} bytes, over the {max}-byte limit"
                )
            }
            AdminRequestError::ControlCharacter { field } => {
                write!(f, "field \"{field}\" holds a control character")
            }
            AdminRequestError::ConfirmWithoutKey => {
                f.write_str("\"confirm\" is only allowed with \"kid\"")
            }
            AdminRequestError::MissingTarget => {
                f.write_str("give one of \"jti\", \"sub\", \"kid\" or \"token\"")
            }
            AdminRequestError::MultipleTargets => {
                f.write_str("give only one of \"jti\", \"sub\", \"kid\" or \"token\"")
            }
            AdminRequestError::BeforeWithoutSubject => {
                f.write_str("\"before\" is only allowed with \"sub\"")
            }
            AdminRequestError::NonIntegerBefore => {
                f.write_str("\"before\" must be an integer (NumericDate seconds)")
            }
            AdminRequestError::NegativeBefore => f.write_str("\"before\" must not be negative"),
            AdminRequestError::BeforeInFuture { before, now } => {
                write!(f, "\"before\" ({before}) is later than now ({now})")
            }
            AdminRequestError::MissingContentType => f.write_str("missing Content-Type"),
            AdminRequestError::UnsupportedContentType => f.write_str(
                "Content-Type must be application/x-www-form-urlencoded or application/json",
            ),
            AdminRequestError::InvalidPercentEncoding => {
                f.write_str("form body has invalid percent-encoding")
            }
            AdminRequestError::InvalidUtf8 => f.write_str("\"token\" is not valid UTF-8"),
            AdminRequestError::MissingToken => f.write_str("missing \"token\""),
        }
    }
}

impl std::error::Error for AdminRequestError {}

/// Whether a client-supplied field name is plain enough to repeat in an error message.
fn is_safe_to_echo(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A JSON object's members in order, duplicates kept (serde_json's `Map` keeps only the
/// last, which would let `{"jti":"a","jti":"b"}` pass silently).
struct Members(Vec<(String, serde_json::Value)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Members, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry::<String, serde_json::Value>()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(MembersVisitor)
    }
}

/// Parses a JSON object body into its members.
fn parse_object(body: &[u8]) -> Result<Vec<(String, serde_json::Value)>, AdminRequestError> {
    match serde_json::from_slice::<Members>(body) {
        Ok(Members(members)) => Ok(members),
        Err(e) if e.classify() == serde_json::error::Category::Data => {
            Err(AdminRequestError::NotAnObject)
        }
        Err(_) => Err(AdminRequestError::InvalidJson),
    }
}

fn check_body_len(body: &[u8]) -> Result<(), AdminRequestError> {
    if body.len() > MAX_ADMIN_BODY_LEN {
        return Err(AdminRequestError::BodyTooLarge {
            len: body.len(),
            max: MAX_ADMIN_BODY_LEN,
        });
    }
    Ok(())
}

/// Takes a string member, rejecting other types and the empty string.
fn string_member(
    field: &'static str,
    value: serde_json::Value,
) -> Result<String, AdminRequestError> {
    match value {
        serde_json::Value::String(s) if s.is_empty() => {
            Err(AdminRequestError::EmptyField { field })
        }
        serde_json::Value::String(s) => Ok(s),
        _ => Err(AdminRequestError::WrongType {
            field,
            expected: "a string",
        }),
    }
}

/// Takes an identifier member: a string that [`identifier_problem`] accepts.
fn identifier_member(
    field: &'static str,
    value: serde_json::Value,
) -> Result<String, AdminRequestError> {
    let s = string_member(field, value)?;
    match identifier_problem(&s) {
        None => Ok(s),
        Some(IdentifierProblem::Empty) => Err(AdminRequestError::EmptyField { field }),
        Some(IdentifierProblem::TooLong { len }) => Err(AdminRequestError::FieldTooLong {
            field,
            len,
            max: MAX_IDENTIFIER_LEN,
        }),
        Some(IdentifierProblem::ControlCharacter) => {
            Err(AdminRequestError::ControlCharacter { field })
        }
    }
}

/// Sets a field once, rejecting a second occurrence.
fn set_once<T>(
    slot: &mut Option<T>,
    field: &'static str,
    value: T,
) -> Result<(), AdminRequestError> {
    if slot.is_some() {
        return Err(AdminRequestError::DuplicateField { field });
    }
    *slot = Some(value);
    Ok(())
}

/// Parses a revoke request body at `now`: exactly one of `{"jti": "…"}`,
/// `{"sub": "…", "before": N}` (`before` optional, default `now`, not later than `now`),
/// `{"kid": "…", "confirm": true}` (`confirm` optional, see [`check_key_revocation`]) or
/// `{"token": "…"}` (the caller verifies the token and revokes its `jti`).
///
/// Identifiers must pass [`identifier_problem`]; the token is bounded only by
/// [`MAX_ADMIN_BODY_LEN`].
///
/// # Errors
/// One [`AdminRequestError`] variant per reason; none echoes a value.
pub fn parse_revoke_request(body: &[u8], now: i64) -> Result<RevokeRequest, AdminRequestError> {
    check_body_len(body)?;
    let (mut jti, mut sub, mut kid, mut token, mut before) = (None, None, None, None, None);
    let mut confirm = None;
    for (name, value) in parse_object(body)? {
        match name.as_str() {
            "jti" => set_once(&mut jti, "jti", identifier_member("jti", value)?)?,
            "sub" => set_once(&mut sub, "sub", identifier_member("sub", value)?)?,
            "kid" => set_once(&mut kid, "kid", identifier_member("kid", value)?)?,
            "token" => set_once(&mut token, "token", string_member("token", value)?)?,
            "before" => set_once(&mut before, "before", before_member(value, now)?)?,
            "confirm" => {
                let serde_json::Value::Bool(value) = value else {
                    return Err(AdminRequestError::WrongType {
                        field: "confirm",
                        expected: "a boolean",
                    });
                };
                set_once(&mut confirm, "confirm", value)?
            }
            _ => return Err(AdminRequestError::UnknownField { field: name }),
        }
    }
    let targets = [jti.is_some(), sub.is_some(), kid.is_some(), token.is_some()];
    match targets.iter().filter(|&&given| given).count() {
        0 => return Err(AdminRequestError::MissingTarget),
        1 => {}
        _ => return Err(AdminRequestError::MultipleTargets),
    }
    if before.is_some() && sub.is_none() {
        return Err(AdminRequestError::BeforeWithoutSubject);
    }
    if confirm.is_some() && kid.is_none() {
        return Err(AdminRequestError::ConfirmWithoutKey);
    }
    Ok(match (jti, sub, kid, token) {
        (Some(jti), ..) => RevokeRequest::Revoke(Revocation::Token { jti }),
        (_, Some(sub), ..) => RevokeRequest::Revoke(Revocation::Subject {
            sub,
            before: before.unwrap_or(now),
        }),
        (_, _, Some(kid), _) => RevokeRequest::Key {
            kid,
            confirm: confirm.unwrap_or(false),
        },
        (.., Some(token)) => RevokeRequest::Token(token),
        (None, None, None, None) => unreachable!("exactly one target was counted"),
    })
}

/// Takes `before`: a non-negative integer no later than `now`.
fn before_member(value: serde_json::Value, now: i64) -> Result<i64, AdminRequestError> {
    let serde_json::Value::Number(n) = value else {
        return Err(AdminRequestError::WrongType {
            field: "before",
            expected: "an integer",
        });
    };
    let before = if let Some(i) = n.as_i64() {
        i
    } else if let Some(u) = n.as_u64() {
        i64::try_from(u).unwrap_or(i64::MAX)
    } else {
        return Err(AdminRequestError::NonIntegerBefore);
    };
    if before < 0 {
        return Err(AdminRequestError::NegativeBefore);
    }
    if before > now {
        return Err(AdminRequestError::BeforeInFuture { before, now });
    }
    Ok(before)
}

/// Why a key revocation was refused; nothing is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRevocationRefusal {
    /// No key in the ring has this `kid`: revoking it would report success and revoke
    /// nothing (a typo, or the wrong deployment).
    NotInRing,
    /// The ring's signing key: every token minted from now on would be refused, admin
    /// tokens included. Needs `"confirm": true`.
    SigningKey,
    /// The key that verified the caller's own token: the caller locks themself out. Needs
    /// `"confirm": true`.
    CallersKey,
}

impl KeyRevocationRefusal {
    /// A stable code: the problem type's last part.
    pub fn code(self) -> &'static str {
        match self {
            KeyRevocationRefusal::NotInRing => "kid_not_in_ring",
            KeyRevocationRefusal::SigningKey => "signing_key_needs_confirm",
            KeyRevocationRefusal::CallersKey => "own_key_needs_confirm",
        }
    }
}

impl fmt::Display for KeyRevocationRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyRevocationRefusal::NotInRing => "no key in the key ring has this kid",
            KeyRevocationRefusal::SigningKey => {
                "this is the signing key: revoking it refuses every token it signs, admin \
                 tokens included; send \"confirm\": true to revoke it anyway"
            }
            KeyRevocationRefusal::CallersKey => {
                "this key verified your own token: revoking it locks you out; send \
                 \"confirm\": true to revoke it anyway"
            }
        })
    }
}

impl std::error::Error for KeyRevocationRefusal {}

/// Decides whether `kid` may be revoked by a caller whose token `caller_kid` verified.
///
/// Refuses a `kid` not in `ring` (always), and, unless `confirm`, the ring's signing key and
/// the caller's own key. Answers the revocation to write.
pub fn check_key_revocation(
    ring: &Keyring,
    caller_kid: Option<&str>,
    kid: &str,
    confirm: bool,
) -> Result<Revocation, KeyRevocationRefusal> {
    let key = ring.get(kid).ok_or(KeyRevocationRefusal::NotInRing)?;
    if !confirm {
        if key.signs() {
            return Err(KeyRevocationRefusal::SigningKey);
        }
        if caller_kid == Some(kid) {
            return Err(KeyRevocationRefusal::CallersKey);
        }
    }
    Ok(Revocation::Key {
        kid: kid.to_owned(),
    })
}

/// Parses a token introspection body (RFC 7662) and returns the token.
///
/// `content_type` selects the format (parameters such as `charset` are ignored):
/// - `application/x-www-form-urlencoded`: `token=…`, percent-decoded with `+` as space;
///   other parameters (`token_type_hint`, …) are ignored, but must be well encoded;
/// - `application/json`: `{"token": "…"}`, optionally with a string `token_type_hint`.
///
/// # Errors
/// One [`AdminRequestError`] variant per reason; none echoes the token.
pub fn parse_introspect_request(
    body: &[u8],
    content_type: Option<&str>,
) -> Result<String, AdminRequestError> {
    check_body_len(body)?;
    let content_type = content_type.ok_or(AdminRequestError::MissingContentType)?;
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        parse_introspect_form(body)
    } else if media_type.eq_ignore_ascii_case("application/json") {
        parse_introspect_json(body)
    } else {
        Err(AdminRequestError::UnsupportedContentType)
    }
}

fn parse_introspect_form(body: &[u8]) -> Result<String, AdminRequestError> {
    let mut token = None;
    for pair in body.split(|&b| b == b'&').filter(|pair| !pair.is_empty()) {
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &pair[..0]),
        };
        let name = form_decode(name)?;
        let value = form_decode(value)?;
        if name == b"token" {
            let value = String::from_utf8(value).map_err(|_| AdminRequestError::InvalidUtf8)?;
            if value.is_empty() {
                return Err(AdminRequestError::EmptyField { field: "token" });
            }
            set_once(&mut token, "token", value)?;
        }
    }
    token.ok_or(AdminRequestError::MissingToken)
}

/// Decodes one `application/x-www-form-urlencoded` component: `+` is a space, `%XX` a byte.
fn form_decode(input: &[u8]) -> Result<Vec<u8>, AdminRequestError> {
    fn hex(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let byte = input
                    .get(i + 1)
                    .and_then(|&h| hex(h))
                    .zip(input.get(i + 2).and_then(|&l| hex(l)))
                    .map(|(h, l)| h << 4 | l)
                    .ok_or(AdminRequestError::InvalidPercentEncoding)?;
                out.push(byte);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    Ok(out)
}

fn parse_introspect_json(body: &[u8]) -> Result<String, AdminRequestError> {
    let (mut token, mut hint) = (None, None);
    for (name, value) in parse_object(body)? {
        match name.as_str() {
            "token" => set_once(&mut token, "token", string_member("token", value)?)?,
            "token_type_hint" => {
                let value = string_member("token_type_hint", value)?;
                set_once(&mut hint, "token_type_hint", value)?;
            }
            _ => return Err(AdminRequestError::UnknownField { field: name }),
        }
    }
    token.ok_or(AdminRequestError::MissingToken)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: i64 = 1_700_000_000;
    type DecodeCheck = fn(&DecodeError) -> bool;
    const POLICY: RevocationPolicy = RevocationPolicy {
        max_ttl: 3600,
        leeway: 30,
    };

    fn jti(s: &str) -> Revocation {
        Revocation::Token { jti: s.to_owned() }
    }
    fn sub(s: &str, before: i64) -> Revocation {
        Revocation::Subject {
            sub: s.to_owned(),
            before,
        }
    }
    fn kid(s: &str) -> Revocation {
        Revocation::Key { kid: s.to_owned() }
    }
    fn snapshot_of(revs: Vec<Revocation>) -> RevocationSnapshot {
        RevocationSnapshot::from_entries(
            revs.into_iter().map(|r| entry_for(r, NOW, None, &POLICY)),
            NOW,
        )
    }

    // --- check: each kind revokes what it should and spares what it shouldn't ---

    #[test]
    fn token_revocation_revokes_only_that_jti() {
        let snap = snapshot_of(vec![jti("a")]);
        assert_eq!(
            snap.check(Some("a"), Some("alice"), Some(NOW), Some("k1")),
            Some(RevokedBy::Token)
        );
        assert_eq!(
            snap.check(Some("b"), Some("alice"), Some(NOW), Some("k1")),
            None
        );
        assert_eq!(snap.check(None, Some("a"), Some(NOW), Some("a")), None);
    }

    #[test]
    fn subject_revocation_revokes_tokens_issued_before_before() {
        let snap = snapshot_of(vec![sub("alice", NOW)]);
        assert_eq!(
            snap.check(Some("t"), Some("alice"), Some(NOW - 1), None),
            Some(RevokedBy::Subject { before: NOW })
        );
    }

    #[test]
    fn subject_revocation_spares_tokens_issued_at_or_after_before() {
        let snap = snapshot_of(vec![sub("alice", NOW)]);
        assert_eq!(snap.check(Some("t"), Some("alice"), Some(NOW), None), None);
        assert_eq!(
            snap.check(Some("t"), Some("alice"), Some(NOW + 1), None),
            None
        );
    }

    #[test]
    fn subject_revocation_spares_other_subjects() {
        let snap = snapshot_of(vec![sub("alice", NOW)]);
        assert_eq!(
            snap.check(Some("t"), Some("bob"), Some(NOW - 1), None),
            None
        );
        assert_eq!(snap.check(Some("t"), None, None, None), None);
    }

    #[test]
    fn subject_revocation_revokes_token_without_iat() {
        let snap = snapshot_of(vec![sub("alice", NOW)]);
        assert_eq!(
            snap.check(Some("t"), Some("alice"), None, None),
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
            snap.check(None, Some("alice"), Some(NOW - 11), None),
            Some(RevokedBy::Subject { before: NOW - 10 })
        );
        assert_eq!(snap.check(None, Some("alice"), Some(NOW - 10), None), None);
        assert_eq!(snap.len(), 1);
    }

    #[test]
    fn key_revocation_revokes_every_token_with_that_kid() {
        let snap = snapshot_of(vec![kid("k1")]);
        assert_eq!(
            snap.check(None, None, None, Some("k1")),
            Some(RevokedBy::Key)
        );
        assert_eq!(
            snap.check(Some("x"), Some("bob"), Some(NOW + 999), Some("k1")),
            Some(RevokedBy::Key)
        );
        assert_eq!(snap.check(None, None, None, Some("k2")), None);
        assert_eq!(snap.check(None, None, None, None), None);
    }

    #[test]
    fn identifiers_of_one_kind_do_not_match_another_kind() {
        let snap = snapshot_of(vec![jti("x")]);
        assert_eq!(snap.check(None, Some("x"), None, Some("x")), None);
        let snap = snapshot_of(vec![kid("x")]);
        assert_eq!(snap.check(Some("x"), Some("x"), None, None), None);
    }

    #[test]
    fn empty_snapshot_revokes_nothing() {
        let snap = RevocationSnapshot::empty(NOW);
        assert!(snap.is_empty());
        assert_eq!(snap.built_at(), NOW);
        assert_eq!(snap.check(Some("a"), Some("b"), None, Some("c")), None);
    }

    // --- expiry ---

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
    fn snapshot_drops_expired_entries() {
        let expired = entry_for(jti("old"), NOW - 5000, Some(NOW - 100), &POLICY);
        let live = entry_for(jti("new"), NOW, Some(NOW + 100), &POLICY);
        let expired_sub = entry_for(sub("alice", NOW - 10_000), NOW, None, &POLICY);
        let snap = RevocationSnapshot::from_entries(vec![expired, live, expired_sub], NOW);
        assert_eq!(snap.len(), 1);
        assert_eq!(snap.check(Some("old"), None, None, None), None);
        assert_eq!(snap.check(None, Some("alice"), None, None), None);
        assert_eq!(
            snap.check(Some("new"), None, None, None),
            Some(RevokedBy::Token)
        );
    }

    #[test]
    fn snapshot_insert_adds_an_entry_not_yet_listed() {
        let mut snap = RevocationSnapshot::empty(NOW);
        snap.insert(entry_for(kid("k9"), NOW, None, &POLICY));
        assert_eq!(
            snap.check(None, None, None, Some("k9")),
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

    // --- prune ---

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

    // --- KV keys ---

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

    // --- entry JSON / metadata ---

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
    }

    #[test]
    fn entry_json_round_trips_for_every_kind() {
        for rev in [jti("a\"/é"), sub("alice", -5), kid("k1")] {
            let e = entry_for(rev, NOW, Some(NOW), &POLICY);
            assert_eq!(
                RevocationEntry::from_json(&e.metadata_json().unwrap()).unwrap(),
                e
            );
        }
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
        ];
        for (json, expected) in cases {
            match RevocationEntry::from_json(json) {
                Err(RevocationError::MalformedEntry(e)) => assert!(expected(&e), "{json}: {e:?}"),
                other => panic!("{json}: {other:?}"),
            }
        }
    }

    // --- snapshot JSON ---

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

    #[test]
    fn revocation_error_display_names_the_problem() {
        let e = RevocationSnapshot::from_json(r#"{"v":3}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "malformed revocation snapshot: unsupported version 3"
        );
        assert!(std::error::Error::source(&e).is_some());
    }

    // --- parse_revoke_request ---

    fn revoke(body: &str) -> Result<RevokeRequest, AdminRequestError> {
        parse_revoke_request(body.as_bytes(), NOW)
    }

    #[test]
    fn revoke_request_parses_each_target() {
        assert_eq!(
            revoke(r#"{"jti":"a"}"#),
            Ok(RevokeRequest::Revoke(jti("a")))
        );
        assert_eq!(
            revoke(r#"{"kid":"k1"}"#),
            Ok(RevokeRequest::Key {
                kid: "k1".into(),
                confirm: false
            })
        );
        assert_eq!(
            revoke(r#"{"kid":"k1","confirm":true}"#),
            Ok(RevokeRequest::Key {
                kid: "k1".into(),
                confirm: true
            })
        );
        assert_eq!(
            revoke(r#"{"token":"eyJ.x.y"}"#),
            Ok(RevokeRequest::Token("eyJ.x.y".into()))
        );
        assert_eq!(
            revoke(&format!(r#"{{"sub":"alice","before":{}}}"#, NOW - 5)),
            Ok(RevokeRequest::Revoke(sub("alice", NOW - 5)))
        );
    }

    #[test]
    fn revoke_request_subject_before_defaults_to_now() {
        assert_eq!(
            revoke(r#"{"sub":"alice"}"#),
            Ok(RevokeRequest::Revoke(sub("alice", NOW)))
        );
    }

    #[test]
    fn revoke_request_accepts_before_equal_to_now_and_zero() {
        assert_eq!(
            revoke(&format!(r#"{{"before":{NOW},"sub":"a"}}"#)),
            Ok(RevokeRequest::Revoke(sub("a", NOW)))
        );
        assert_eq!(
            revoke(r#"{"sub":"a","before":0}"#),
            Ok(RevokeRequest::Revoke(sub("a", 0)))
        );
    }

    #[test]
    fn revoke_request_rejects_body_over_the_size_limit() {
        let body = format!(
            r#"{{"jti":"a","pad":"{}"}}"#,
            "x".repeat(MAX_ADMIN_BODY_LEN)
        );
        assert_eq!(
            revoke(&body),
            Err(AdminRequestError::BodyTooLarge {
                len: body.len(),
                max: MAX_ADMIN_BODY_LEN
            })
        );
    }

    #[test]
    fn revoke_request_rejects_invalid_json() {
        assert_eq!(revoke(r#"{"jti":"a""#), Err(AdminRequestError::InvalidJson));
        assert_eq!(revoke(""), Err(AdminRequestError::InvalidJson));
        assert_eq!(
            parse_revoke_request(b"{\"jti\":\"\xff\"}", NOW),
            Err(AdminRequestError::InvalidJson)
        );
    }

    #[test]
    fn revoke_request_rejects_non_object_json() {
        for body in [r#"["jti","a"]"#, r#""a""#, "null", "42", "true"] {
            assert_eq!(revoke(body), Err(AdminRequestError::NotAnObject), "{body}");
        }
    }

    #[test]
    fn revoke_request_rejects_unknown_field() {
        assert_eq!(
            revoke(r#"{"jti":"a","reason":"x"}"#),
            Err(AdminRequestError::UnknownField {
                field: "reason".into()
            })
        );
    }

    #[test]
    fn revoke_request_rejects_duplicate_field() {
        assert_eq!(
            revoke(r#"{"jti":"a","jti":"b"}"#),
            Err(AdminRequestError::DuplicateField { field: "jti" })
        );
        // An escaped name is the same name.
        assert_eq!(
            revoke(r#"{"jti":"a","j\u0074i":"b"}"#),
            Err(AdminRequestError::DuplicateField { field: "jti" })
        );
    }

    #[test]
    fn revoke_request_rejects_wrong_types() {
        for (body, field, expected) in [
            (r#"{"jti":1}"#, "jti", "a string"),
            (r#"{"sub":null}"#, "sub", "a string"),
            (r#"{"kid":["k"]}"#, "kid", "a string"),
            (r#"{"token":{}}"#, "token", "a string"),
            (r#"{"sub":"a","before":"1"}"#, "before", "an integer"),
        ] {
            assert_eq!(
                revoke(body),
                Err(AdminRequestError::WrongType { field, expected }),
                "{body}"
            );
        }
    }

    #[test]
    fn revoke_request_rejects_empty_strings() {
        for (body, field) in [
            (r#"{"jti":""}"#, "jti"),
            (r#"{"sub":""}"#, "sub"),
            (r#"{"kid":""}"#, "kid"),
            (r#"{"token":""}"#, "token"),
        ] {
            assert_eq!(
                revoke(body),
                Err(AdminRequestError::EmptyField { field }),
                "{body}"
            );
        }
    }

    #[test]
    fn revoke_request_rejects_identifiers_over_the_length_limit() {
        let long = "x".repeat(MAX_IDENTIFIER_LEN + 1);
        assert_eq!(
            revoke(&format!(r#"{{"sub":"{long}"}}"#)),
            Err(AdminRequestError::FieldTooLong {
                field: "sub",
                len: MAX_IDENTIFIER_LEN + 1,
                max: MAX_IDENTIFIER_LEN
            })
        );
        let at_limit = "x".repeat(MAX_IDENTIFIER_LEN);
        assert!(revoke(&format!(r#"{{"kid":"{at_limit}"}}"#)).is_ok());
        // A presented token is not an identifier: only the body limit applies.
        let token = "x".repeat(2 * MAX_IDENTIFIER_LEN);
        assert_eq!(
            revoke(&format!(r#"{{"token":"{token}"}}"#)),
            Ok(RevokeRequest::Token(token))
        );
    }

    #[test]
    fn revoke_request_takes_confirm_only_as_a_boolean_with_kid() {
        assert_eq!(
            revoke(r#"{"jti":"a","confirm":true}"#),
            Err(AdminRequestError::ConfirmWithoutKey)
        );
        assert_eq!(
            revoke(r#"{"kid":"a","confirm":"yes"}"#),
            Err(AdminRequestError::WrongType {
                field: "confirm",
                expected: "a boolean"
            })
        );
        assert_eq!(
            revoke(r#"{"kid":"a","confirm":true,"confirm":true}"#),
            Err(AdminRequestError::DuplicateField { field: "confirm" })
        );
    }

    #[test]
    fn revoke_request_rejects_identifiers_with_control_characters() {
        for body in [
            r#"{"jti":"a\u0000"}"#,
            r#"{"sub":"\u007f"}"#,
            r#"{"kid":"\n"}"#,
        ] {
            assert!(
                matches!(
                    revoke(body),
                    Err(AdminRequestError::ControlCharacter { .. })
                ),
                "{body}"
            );
        }
        assert!(revoke(r#"{"sub":"é \" \\ /"}"#).is_ok());
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
                };
                entry.kv_key().unwrap();
                entry.metadata_json().unwrap();
            }
        }
    }

    fn ring(keys: &str) -> Keyring {
        Keyring::from_jwks(&format!(r#"{{"keys":[{keys}]}}"#)).unwrap()
    }

    const K: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    #[test]
    fn key_revocation_refuses_a_kid_not_in_the_ring() {
        let ring = ring(&format!(
            r#"{{"kty":"oct","kid":"k1","alg":"HS256","k":"{K}"}}"#
        ));
        for confirm in [false, true] {
            assert_eq!(
                check_key_revocation(&ring, None, "k2", confirm),
                Err(KeyRevocationRefusal::NotInRing)
            );
        }
    }

    #[test]
    fn key_revocation_of_the_signing_or_own_key_needs_confirm() {
        let ring = ring(&format!(
            r#"{{"kty":"oct","kid":"old","alg":"HS256","k":"{K}","key_ops":["verify"]}},
               {{"kty":"oct","kid":"new","alg":"HS256","k":"{K}","key_ops":["sign","verify"]}},
               {{"kty":"oct","kid":"other","alg":"HS256","k":"{K}","key_ops":["verify"]}}"#
        ));
        assert_eq!(
            check_key_revocation(&ring, Some("old"), "new", false),
            Err(KeyRevocationRefusal::SigningKey)
        );
        assert_eq!(
            check_key_revocation(&ring, Some("old"), "old", false),
            Err(KeyRevocationRefusal::CallersKey)
        );
        assert_eq!(
            check_key_revocation(&ring, Some("new"), "new", false),
            Err(KeyRevocationRefusal::SigningKey)
        );
        assert_eq!(
            check_key_revocation(&ring, Some("old"), "other", false),
            Ok(kid("other"))
        );
        assert_eq!(
            check_key_revocation(&ring, None, "other", false),
            Ok(kid("other"))
        );
        for target in ["new", "old"] {
            assert_eq!(
                check_key_revocation(&ring, Some("old"), target, true),
                Ok(kid(target))
            );
        }
    }

    #[test]
    fn key_revocation_refusals_have_distinct_codes() {
        let codes = [
            KeyRevocationRefusal::NotInRing,
            KeyRevocationRefusal::SigningKey,
            KeyRevocationRefusal::CallersKey,
        ]
        .map(KeyRevocationRefusal::code);
        assert_eq!(
            codes,
            [
                "kid_not_in_ring",
                "signing_key_needs_confirm",
                "own_key_needs_confirm"
            ]
        );
    }

    #[test]
    fn revoke_request_rejects_missing_target() {
        assert_eq!(revoke("{}"), Err(AdminRequestError::MissingTarget));
    }

    #[test]
    fn revoke_request_rejects_multiple_targets() {
        assert_eq!(
            revoke(r#"{"jti":"a","kid":"k"}"#),
            Err(AdminRequestError::MultipleTargets)
        );
        assert_eq!(
            revoke(r#"{"sub":"a","token":"t"}"#),
            Err(AdminRequestError::MultipleTargets)
        );
    }

    #[test]
    fn revoke_request_rejects_before_without_subject() {
        assert_eq!(
            revoke(r#"{"jti":"a","before":1}"#),
            Err(AdminRequestError::BeforeWithoutSubject)
        );
        assert_eq!(
            revoke(r#"{"before":1}"#),
            Err(AdminRequestError::MissingTarget)
        );
    }

    #[test]
    fn revoke_request_rejects_non_integer_before() {
        for body in [
            r#"{"sub":"a","before":1.5}"#,
            r#"{"sub":"a","before":1.0}"#,
            r#"{"sub":"a","before":1e3}"#,
        ] {
            assert_eq!(
                revoke(body),
                Err(AdminRequestError::NonIntegerBefore),
                "{body}"
            );
        }
    }

    #[test]
    fn revoke_request_rejects_negative_before() {
        assert_eq!(
            revoke(r#"{"sub":"a","before":-1}"#),
            Err(AdminRequestError::NegativeBefore)
        );
    }

    #[test]
    fn revoke_request_rejects_before_in_the_future() {
        assert_eq!(
            revoke(&format!(r#"{{"sub":"a","before":{}}}"#, NOW + 1)),
            Err(AdminRequestError::BeforeInFuture {
                before: NOW + 1,
                now: NOW
            })
        );
        assert_eq!(
            revoke(r#"{"sub":"a","before":18446744073709551615}"#),
            Err(AdminRequestError::BeforeInFuture {
                before: i64::MAX,
                now: NOW
            })
        );
    }

    #[test]
    fn admin_errors_never_echo_the_token_or_hostile_field_names() {
        let secret = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.sig";
        let bodies = [
            format!(r#"{{"token":"{secret}","jti":"a"}}"#),
            format!(r#"{{"token":"{secret}","token":"{secret}"}}"#),
            format!(r#"{{"token":"{secret}","before":1}}"#),
            format!(r#"{{"{secret}":1}}"#),
            format!(r#"{{"token":"{secret}""#),
        ];
        for body in &bodies {
            let e = revoke(body).unwrap_err();
            assert!(!e.to_string().contains(secret), "{e}");
        }
        assert_eq!(
            AdminRequestError::UnknownField {
                field: secret.into()
            }
            .to_string(),
            "unknown field"
        );
        assert_eq!(
            AdminRequestError::UnknownField {
                field: "reason".into()
            }
            .to_string(),
            "unknown field \"reason\""
        );
        let debug = format!("{:?}", RevokeRequest::Token(secret.into()));
        assert!(!debug.contains(secret), "{debug}");
    }

    // --- parse_introspect_request ---

    const FORM: Option<&str> = Some("application/x-www-form-urlencoded");
    const JSON: Option<&str> = Some("application/json");

    #[test]
    fn introspect_form_returns_the_token_and_ignores_other_params() {
        assert_eq!(
            parse_introspect_request(b"token=abc.def.ghi&token_type_hint=access_token", FORM),
            Ok("abc.def.ghi".into())
        );
        assert_eq!(
            parse_introspect_request(b"foo=bar&&token=t", FORM),
            Ok("t".into())
        );
    }

    #[test]
    fn introspect_form_percent_decodes_with_plus_as_space() {
        assert_eq!(
            parse_introspect_request(b"token=a+b%2Bc%2fd%C3%A9", FORM),
            Ok("a b+c/dé".into())
        );
        assert_eq!(parse_introspect_request(b"t%6Fken=x", FORM), Ok("x".into()));
    }

    #[test]
    fn introspect_content_type_is_case_insensitive_and_ignores_parameters() {
        assert_eq!(
            parse_introspect_request(
                b"token=t",
                Some("Application/X-WWW-Form-Urlencoded; charset=UTF-8")
            ),
            Ok("t".into())
        );
        assert_eq!(
            parse_introspect_request(br#"{"token":"t"}"#, Some("application/json;charset=utf-8")),
            Ok("t".into())
        );
    }

    #[test]
    fn introspect_form_rejects_bad_percent_encoding() {
        for body in [
            &b"token=%zz"[..],
            b"token=abc%",
            b"token=%4",
            b"x=%g1&token=t",
        ] {
            assert_eq!(
                parse_introspect_request(body, FORM),
                Err(AdminRequestError::InvalidPercentEncoding)
            );
        }
    }

    #[test]
    fn introspect_form_rejects_non_utf8_token() {
        assert_eq!(
            parse_introspect_request(b"token=%FF", FORM),
            Err(AdminRequestError::InvalidUtf8)
        );
    }

    #[test]
    fn introspect_form_rejects_missing_empty_and_repeated_token() {
        assert_eq!(
            parse_introspect_request(b"token_type_hint=x", FORM),
            Err(AdminRequestError::MissingToken)
        );
        assert_eq!(
            parse_introspect_request(b"", FORM),
            Err(AdminRequestError::MissingToken)
        );
        assert_eq!(
            parse_introspect_request(b"token=", FORM),
            Err(AdminRequestError::EmptyField { field: "token" })
        );
        assert_eq!(
            parse_introspect_request(b"token", FORM),
            Err(AdminRequestError::EmptyField { field: "token" })
        );
        assert_eq!(
            parse_introspect_request(b"token=a&token=b", FORM),
            Err(AdminRequestError::DuplicateField { field: "token" })
        );
    }

    #[test]
    fn introspect_json_returns_the_token() {
        assert_eq!(
            parse_introspect_request(br#"{"token":"t"}"#, JSON),
            Ok("t".into())
        );
        assert_eq!(
            parse_introspect_request(br#"{"token_type_hint":"access_token","token":"t"}"#, JSON),
            Ok("t".into())
        );
    }

    #[test]
    fn introspect_json_rejects_bad_bodies() {
        for (body, expected) in [
            (
                &br#"{"token":"t","x":1}"#[..],
                AdminRequestError::UnknownField { field: "x".into() },
            ),
            (
                br#"{"token":1}"#,
                AdminRequestError::WrongType {
                    field: "token",
                    expected: "a string",
                },
            ),
            (
                br#"{"token":""}"#,
                AdminRequestError::EmptyField { field: "token" },
            ),
            (
                br#"{"token":"a","token":"b"}"#,
                AdminRequestError::DuplicateField { field: "token" },
            ),
            (br#"{}"#, AdminRequestError::MissingToken),
            (br#"["t"]"#, AdminRequestError::NotAnObject),
            (b"token=t", AdminRequestError::InvalidJson),
        ] {
            assert_eq!(parse_introspect_request(body, JSON), Err(expected));
        }
    }

    #[test]
    fn introspect_rejects_missing_or_unsupported_content_type() {
        assert_eq!(
            parse_introspect_request(b"token=t", None),
            Err(AdminRequestError::MissingContentType)
        );
        for ct in ["text/plain", "multipart/form-data", "", "application/jsonx"] {
            assert_eq!(
                parse_introspect_request(b"token=t", Some(ct)),
                Err(AdminRequestError::UnsupportedContentType),
                "{ct}"
            );
        }
    }

    #[test]
    fn introspect_rejects_body_over_the_size_limit() {
        let body = vec![b'a'; MAX_ADMIN_BODY_LEN + 1];
        assert_eq!(
            parse_introspect_request(&body, FORM),
            Err(AdminRequestError::BodyTooLarge {
                len: MAX_ADMIN_BODY_LEN + 1,
                max: MAX_ADMIN_BODY_LEN
            })
        );
    }

    // --- properties ---

    fn arb_revocation() -> impl Strategy<Value = Revocation> {
        // A small alphabet so targets collide across entries and kinds.
        let id = "[ab/é]{0,3}";
        prop_oneof![
            id.prop_map(|jti| Revocation::Token { jti }),
            (id, NOW - 5000..NOW).prop_map(|(sub, before)| Revocation::Subject { sub, before }),
            id.prop_map(|kid| Revocation::Key { kid }),
        ]
    }

    fn arb_entry() -> impl Strategy<Value = RevocationEntry> {
        (
            arb_revocation(),
            NOW - 5000..NOW,
            proptest::option::of(NOW - 5000..NOW + 5000),
        )
            .prop_map(|(rev, at, exp)| entry_for(rev, at, exp, &POLICY))
    }

    fn arb_query(
    ) -> impl Strategy<Value = (Option<String>, Option<String>, Option<i64>, Option<String>)> {
        let id = proptest::option::of("[ab/é]{0,3}");
        (
            id.clone(),
            id.clone(),
            proptest::option::of(NOW - 6000..NOW + 100),
            id,
        )
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
            for (jti, sub, iat, kid) in &queries {
                prop_assert_eq!(
                    back.check(jti.as_deref(), sub.as_deref(), *iat, kid.as_deref()),
                    snap.check(jti.as_deref(), sub.as_deref(), *iat, kid.as_deref())
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
            for (jti, sub, iat, kid) in &queries {
                let naive = live.iter().any(|e| match &e.revocation {
                    Revocation::Token { jti: j } => jti.as_deref() == Some(j.as_str()),
                    Revocation::Subject { sub: s, before } => {
                        sub.as_deref() == Some(s.as_str()) && iat.is_none_or(|iat| iat < *before)
                    }
                    Revocation::Key { kid: k } => kid.as_deref() == Some(k.as_str()),
                });
                let got = snap.check(jti.as_deref(), sub.as_deref(), *iat, kid.as_deref());
                prop_assert_eq!(got.is_some(), naive);
            }
        }

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
            for (jti, sub, iat, kid) in &queries {
                prop_assert_eq!(
                    pruned.check(jti.as_deref(), sub.as_deref(), *iat, kid.as_deref()),
                    full.check(jti.as_deref(), sub.as_deref(), *iat, kid.as_deref())
                );
            }
        }

        #[test]
        fn entry_json_round_trips(entry in arb_entry()) {
            prop_assert_eq!(RevocationEntry::from_json(&entry.to_json()).unwrap(), entry);
        }

        #[test]
        fn kv_keys_of_distinct_revocations_differ(a in arb_revocation(), b in arb_revocation()) {
            prop_assert_eq!(a.kv_key().unwrap() == b.kv_key().unwrap(), a == b);
        }

        #[test]
        fn admin_parsers_never_panic(body in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = parse_revoke_request(&body, NOW);
            let _ = parse_introspect_request(&body, FORM);
            let _ = parse_introspect_request(&body, JSON);
        }
    }
}
