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
//! - **Single writer**: a Durable Object (the Worker's `writer.rs`) records every revocation
//!   as a [`Change`] with a strictly increasing version; nothing read-modify-writes a shared
//!   KV key and nothing lists KV keys that grow with the entries.
//! - **Replicated list**: the writer publishes the [`CompactList`], stamped with its version,
//!   in chunks named by [`compact::MANIFEST_KEY`] (and, while small, the clear-text
//!   [`RevocationSnapshot`] under [`SNAPSHOT_KEY`] for the previous release), at most once a
//!   second ([`publish_at`]).
//! - **Deltas**: isolates follow the writer's [`Feed`] (head + recent changes, cached per
//!   location) and catch up by [`plan_sync`]: apply the changes after the version they hold,
//!   or reload the snapshot when they fell behind the feed's window.
//! - **Legacy layout**: one KV key per revocation under [`KEY_PREFIX`] with its entry as
//!   metadata ([`RevocationEntry::kv_key`]); the writer drains such keys once (migration).
//!
//! # Expiry
//! An entry expires by itself once no token it covers can still be accepted
//! ([`entry_for`]): a `jti` at the token's `exp` + leeway (or `now + max_ttl + leeway` when
//! `exp` is unknown), a subject at `before + max_ttl + leeway`. A key revocation never
//! expires by time, because a compromised key can mint fresh tokens; it becomes moot only
//! when the `kid` leaves the key ring, and [`prune`] then reports it for deletion.
//!
//! # Modules
//! - `reason`: why something was revoked ([`RevocationReason`]), stored with each entry;
//! - `kind`: the three kinds ([`RevocationKind`]), named by the model and the errors alike;
//! - `entry`: the model ([`Revocation`], [`RevocationEntry`], [`entry_for`]) and its JSON;
//! - `kv`: the KV layout ([`SNAPSHOT_KEY`], the legacy [`KEY_PREFIX`]) and KV's limits;
//! - `prune`: which listed entries still matter ([`prune`]);
//! - `journal`: versioned changes, the feed, catching up ([`plan_sync`], [`Feed`]);
//! - `snapshot`: the clear-text list and its `snapshot/v1` JSON ([`RevocationSnapshot`]):
//!   the migration's and the previous release's form, and the model the compact one is
//!   tested against;
//! - `compact`: the list isolates hold and the writer publishes ([`CompactList`]): 64-bit
//!   digests, sorted, binary-searched, chunked into KV;
//! - `freshness`: when an isolate's copy of the snapshot may decide ([`SnapshotFreshness`]);
//! - `admin`: admin request bodies ([`parse_revoke_request`], [`parse_introspect_request`]);
//! - `error`: what can go wrong reading, writing or fetching revocations.

mod admin;
pub mod compact;
mod entry;
mod error;
mod freshness;
mod journal;
mod kind;
mod kv;
mod prune;
mod reason;
mod snapshot;
#[cfg(test)]
mod test_support;

pub use admin::{
    check_key_revocation, parse_introspect_request, parse_revoke_order, parse_revoke_request,
    AdminRequestError, KeyRevocationRefusal, RevokeOrder, RevokeRequest, MAX_ADMIN_BODY_LEN,
};
pub use compact::{CompactList, RevocationLookup};
pub use entry::{entry_for, Revocation, RevocationEntry, RevocationPolicy};
pub use error::{DecodeError, KvOperation, RevocationError, StoreError};
pub use freshness::{SnapshotAction, SnapshotFreshness, Unavailable};
pub use journal::{
    latest_entries, plan_sync, publish_at, Change, Feed, SyncStep, PUBLISH_DEBOUNCE_MS,
};
pub use kind::RevocationKind;
pub use kv::{
    KEY_PREFIX, KV_MIN_EXPIRATION_AHEAD, MAX_KV_KEY_LEN, MAX_KV_METADATA_LEN, SNAPSHOT_KEY,
    SNAPSHOT_V1_MAX_ENTRIES,
};
pub use prune::{prune, PruneReason, Pruned};
pub use reason::RevocationReason;
pub use snapshot::{RevocationSnapshot, RevokedBy};

// The identifier rule lives with the token profile, which enforces it; the store relies on it.
pub use crate::jwt::identifier::{identifier_problem, IdentifierProblem, MAX_IDENTIFIER_LEN};
