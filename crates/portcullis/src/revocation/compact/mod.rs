//! The compact revocation list: what isolates hold in memory and what the writer publishes
//! to KV, sized for 10^6 entries (12 bytes an entry in both).
//!
//! - `digest`: revoked targets as 64-bit digests of (kind, value) ([`TargetDigest`]), and
//!   why a collision can only refuse;
//! - `table`: the sorted digest array with its delta overlay ([`DigestTable`]);
//! - `list`: the list and its lookups ([`CompactList`], [`RevocationLookup`]);
//! - `encoding`: its versioned, checksummed binary form ([`CompactList::encode`]);
//! - `chunks`: that form split under KV's value limit, with a manifest ([`Manifest`]).

mod chunks;
mod digest;
mod encoding;
mod error;
mod list;
mod sorted;
mod table;

pub use chunks::{
    split, Manifest, Publication, CHUNK_BYTES, CHUNK_PREFIX, CHUNK_TTL_S, MANIFEST_KEY, MAX_CHUNKS,
};
pub use digest::TargetDigest;
pub use encoding::{CompactDecoder, FORMAT, HEADER_LEN};
pub use error::{ChunkError, CompactError};
pub use list::{CompactList, RevocationLookup};
pub use table::{DigestTable, OVERLAY_MERGE_AT};
