//! The compact list in KV: its bytes split into chunks of at most [`CHUNK_BYTES`] under
//! keys named by the publication, and a small JSON manifest under [`MANIFEST_KEY`] naming
//! them.
//!
//! The writer puts the chunks first, then the manifest; a reader reads the manifest, then
//! the chunks it names. Chunk keys are new at every publication (never overwritten, so
//! KV's one-write-per-second-per-key rule never applies to them, and no location can hold
//! a cached older value under the same key); they expire by themselves after
//! [`CHUNK_TTL_S`], long after any manifest naming them stopped being the newest.
//!
//! **Chunk size 2 MiB**: KV takes values up to 25 MiB, but an isolate decodes the chunks as
//! they arrive ([`CompactDecoder`](super::CompactDecoder)), so what loading holds beyond the
//! list itself is one chunk: 2 MiB keeps a 10^6-entry load (12 MB list) under 16 MB of wasm
//! memory, which never shrinks once grown. 10^6 entries are six chunk reads (sequential:
//! about a KV read each, once per isolate load). The [`MAX_CHUNKS`] cap (64 MiB, about
//! 5 × 10^6 entries) bounds what a damaged manifest can make a reader fetch.

use serde::{Deserialize, Serialize};

use super::error::ChunkError;
use crate::revocation::error::check_version;

/// KV key of the manifest of the newest compact list.
pub const MANIFEST_KEY: &str = "revocations/compact/manifest";

/// Prefix of chunk keys: `revocations/compact/<publication id>/<index>`.
pub const CHUNK_PREFIX: &str = "revocations/compact/";

/// Largest chunk, in bytes (see the module docs for why 2 MiB).
pub const CHUNK_BYTES: usize = 2 << 20;

/// Most chunks a manifest may name.
pub const MAX_CHUNKS: u32 = 32;

/// Seconds a chunk lives in KV: well beyond KV's ~60 s propagation, so a reader holding
/// any recent manifest finds its chunks, and short enough that superseded chunks do not
/// pile up (KV's minimum is 60 s).
pub const CHUNK_TTL_S: u64 = 600;

const MANIFEST_VERSION: u64 = 1;

/// What the manifest says: which publication, how long, in how many chunks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Manifest format, 1.
    pub v: u64,
    /// The list version published.
    pub version: u64,
    /// The publication's id, unique per publication (`<version>-<built_at_ms>`): chunk
    /// keys are `CHUNK_PREFIX` + id + `/` + index.
    pub id: String,
    /// Total bytes of the encoded list.
    pub bytes: u64,
    /// Number of chunks.
    pub chunks: u32,
}

/// An encoded list split for KV: the manifest and the chunks, each with its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    /// The manifest to put under [`MANIFEST_KEY`] once every chunk is written.
    pub manifest: Manifest,
    /// (key, bytes) of each chunk, in order.
    pub chunks: Vec<(String, Vec<u8>)>,
}

impl Manifest {
    /// The manifest as JSON.
    // Plain strings and integers: serde_json cannot fail on them.
    #[allow(clippy::expect_used, reason = "serializing this wire type cannot fail")]
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a manifest always serializes")
    }

    /// Parses and checks manifest JSON.
    ///
    /// # Errors
    /// [`ChunkError::Manifest`] if unreadable, [`ChunkError::BadManifest`] if inconsistent.
    pub fn from_json(json: &str) -> Result<Manifest, ChunkError> {
        check_version(json, MANIFEST_VERSION).map_err(ChunkError::Manifest)?;
        let m: Manifest = serde_json::from_str(json).map_err(|e| ChunkError::Manifest(e.into()))?;
        let needed = m.bytes.div_ceil(CHUNK_BYTES as u64);
        let safe_id = !m.id.is_empty()
            && m.id.len() <= 64
            && m.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if u64::from(m.chunks) != needed.max(1) || m.chunks > MAX_CHUNKS || !safe_id {
            return Err(ChunkError::BadManifest);
        }
        Ok(m)
    }

    /// The KV keys of the chunks, in order.
    pub fn chunk_keys(&self) -> Vec<String> {
        (0..self.chunks)
            .map(|i| format!("{CHUNK_PREFIX}{}/{i}", self.id))
            .collect()
    }

    /// Checks chunk `index` as read (`None`: absent) against the manifest: its bytes, to push
    /// into a [`CompactDecoder`](super::CompactDecoder).
    ///
    /// # Errors
    /// [`ChunkError::Missing`], [`ChunkError::WrongLength`], or [`ChunkError::BadManifest`]
    /// for an index past the manifest's count.
    pub fn check_chunk<'a>(
        &self,
        index: u32,
        chunk: Option<&'a [u8]>,
    ) -> Result<&'a [u8], ChunkError> {
        if index >= self.chunks {
            return Err(ChunkError::BadManifest);
        }
        let chunk = chunk.ok_or(ChunkError::Missing { index })?;
        let before = u64::from(index) * CHUNK_BYTES as u64;
        let want = self.bytes.saturating_sub(before).min(CHUNK_BYTES as u64);
        if chunk.len() as u64 != want {
            return Err(ChunkError::WrongLength { index });
        }
        Ok(chunk)
    }

    /// Joins the chunks read for this manifest (`None`: absent) into the encoded list.
    ///
    /// # Errors
    /// [`ChunkError::Missing`] or [`ChunkError::WrongLength`]: the caller keeps its list.
    pub fn assemble(&self, chunks: Vec<Option<Vec<u8>>>) -> Result<Vec<u8>, ChunkError> {
        let mut out = Vec::with_capacity(usize::try_from(self.bytes).unwrap_or(0));
        let given = chunks.len() as u32;
        for (i, chunk) in chunks.iter().enumerate() {
            out.extend_from_slice(self.check_chunk(i as u32, chunk.as_deref())?);
        }
        if given < self.chunks {
            return Err(ChunkError::Missing { index: given });
        }
        Ok(out)
    }
}

/// Splits an encoded list of `version`, published at `now_ms`, into chunks and a manifest.
pub fn split(encoded: &[u8], version: u64, now_ms: u64) -> Publication {
    let id = format!("{version}-{now_ms}");
    let pieces: Vec<&[u8]> = if encoded.is_empty() {
        vec![&[][..]]
    } else {
        encoded.chunks(CHUNK_BYTES).collect()
    };
    let manifest = Manifest {
        v: MANIFEST_VERSION,
        version,
        id,
        bytes: encoded.len() as u64,
        chunks: pieces.len() as u32,
    };
    let chunks = manifest
        .chunk_keys()
        .into_iter()
        .zip(pieces)
        .map(|(k, p)| (k, p.to_vec()))
        .collect();
    Publication { manifest, chunks }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revocation::compact::CompactList;
    use crate::revocation::error::DecodeError;

    fn bytes(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn split_and_assemble_round_trip_across_chunk_boundaries() {
        for n in [
            0,
            1,
            CHUNK_BYTES - 1,
            CHUNK_BYTES,
            CHUNK_BYTES + 1,
            3 * CHUNK_BYTES + 5,
        ] {
            let data = bytes(n);
            let p = split(&data, 9, 1234);
            assert_eq!(
                p.manifest.chunks as usize,
                n.div_ceil(CHUNK_BYTES).max(1),
                "{n}"
            );
            assert!(p.chunks.iter().all(|(_, c)| c.len() <= CHUNK_BYTES));
            let m = Manifest::from_json(&p.manifest.to_json()).unwrap();
            assert_eq!(m, p.manifest);
            let back = m.assemble(p.chunks.into_iter().map(|(_, c)| Some(c)).collect());
            assert_eq!(back.unwrap(), data, "{n}");
        }
    }

    #[test]
    fn chunk_keys_are_unique_per_publication() {
        let p = split(&bytes(10), 9, 1234);
        assert_eq!(p.chunks[0].0, "revocations/compact/9-1234/0");
        assert_ne!(split(&bytes(10), 9, 1235).chunks[0].0, p.chunks[0].0);
    }

    #[test]
    fn a_missing_short_or_extra_chunk_is_an_error() {
        let p = split(&bytes(CHUNK_BYTES + 10), 1, 1);
        let good: Vec<Option<Vec<u8>>> = p.chunks.iter().map(|(_, c)| Some(c.clone())).collect();
        let mut missing = good.clone();
        missing[1] = None;
        assert_eq!(
            p.manifest.assemble(missing),
            Err(ChunkError::Missing { index: 1 })
        );
        let mut short = good.clone();
        if let Some(c) = short[0].as_mut() {
            c.pop();
        }
        assert_eq!(
            p.manifest.assemble(short),
            Err(ChunkError::WrongLength { index: 0 })
        );
        assert_eq!(
            p.manifest.assemble(good[..1].to_vec()),
            Err(ChunkError::Missing { index: 1 })
        );
        let mut extra = good;
        extra.push(Some(vec![1]));
        assert_eq!(p.manifest.assemble(extra), Err(ChunkError::BadManifest));
    }

    #[test]
    fn inconsistent_manifests_are_refused() {
        for json in [
            r#"{"v":1,"version":1,"id":"1-1","bytes":10,"chunks":2}"#,
            r#"{"v":1,"version":1,"id":"1-1","bytes":100000000,"chunks":48}"#,
            r#"{"v":1,"version":1,"id":"../x","bytes":10,"chunks":1}"#,
            r#"{"v":1,"version":1,"id":"","bytes":10,"chunks":1}"#,
        ] {
            assert_eq!(
                Manifest::from_json(json),
                Err(ChunkError::BadManifest),
                "{json}"
            );
        }
        assert!(matches!(
            Manifest::from_json(r#"{"v":2}"#),
            Err(ChunkError::Manifest(DecodeError::UnsupportedVersion {
                found: 2
            }))
        ));
        assert!(matches!(
            Manifest::from_json("{"),
            Err(ChunkError::Manifest(_))
        ));
    }

    #[test]
    fn a_list_survives_publication() {
        let list = CompactList::empty(5).with_version(3);
        let p = split(&list.encode(), list.version(), 5000);
        let joined = p
            .manifest
            .assemble(p.chunks.into_iter().map(|(_, c)| Some(c)).collect());
        assert_eq!(CompactList::decode(&joined.unwrap()).unwrap(), list);
    }
}
