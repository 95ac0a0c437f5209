//! The binary form of a [`CompactList`], as published to KV (split by [`super::chunks`]).
//!
//! ```text
//! header (48 bytes, little-endian)
//!   0  magic  "PCRL"           4  format u16 (1)      6  reserved u16 (0)
//!   8  list version u64       16  built_at i64
//!  24  digest count n u32     28  subject count m u32 32  key count k u32
//!  36  body length u32        40  checksum u64 of header bytes 0..40 and the body
//! body
//!   n × u64 digests (strictly increasing), n × u32 expiries,
//!   m × (u64 digest, i64 before, u32 expiry) subjects (strictly increasing digests),
//!   k × (u32 length, UTF-8 kid) keys (strictly increasing)
//! ```
//!
//! 12 bytes a digest: 12 MB at 10^6 entries, the same in memory. The checksum is a word-wise
//! multiply-rotate hash, not SHA-256: it guards against truncation and corruption in
//! transit or storage (KV is written only by the writer, so there is no adversary to resist),
//! and hashing 12 MB with SHA-256 in wasm would cost most of the load budget.

use std::collections::BTreeMap;
use std::fmt;

use super::list::{CompactList, SubjectCut};
use super::table::DigestTable;

/// The first four bytes of every encoded list.
pub const MAGIC: [u8; 4] = *b"PCRL";
/// The format this build writes and reads.
pub const FORMAT: u16 = 1;
/// Header length in bytes.
pub const HEADER_LEN: usize = 48;

const SUBJECT_LEN: usize = 20;

/// Why bytes could not be read as a compact list. The reader never panics and never reads a
/// damaged list as a shorter one: the caller keeps the list it has, or fails closed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CompactError {
    /// Shorter than the header.
    Truncated {
        /// Bytes found.
        len: usize,
    },
    /// Not a compact list (wrong magic).
    NotACompactList,
    /// A format this build does not read.
    UnsupportedFormat {
        /// The format found.
        found: u16,
    },
    /// The body is not the length the header says, or the counts do not fit it.
    LengthMismatch {
        /// Bytes the header and counts call for.
        expected: u64,
        /// Bytes found.
        found: u64,
    },
    /// The body's checksum differs from the header's.
    ChecksumMismatch,
    /// A section is not strictly increasing (a duplicate or an unsorted entry).
    NotSorted {
        /// `"digests"`, `"subjects"` or `"keys"`.
        section: &'static str,
    },
    /// A key id that is not UTF-8 or runs past the body.
    BadKeyId,
    /// A chunked list whose manifest or chunks do not agree (see [`super::chunks`]).
    Chunks(super::chunks::ChunkError),
}

impl fmt::Display for CompactError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompactError::Truncated { len } => {
                write!(
                    f,
                    "compact list truncated: {len} bytes, shorter than its header"
                )
            }
            CompactError::NotACompactList => f.write_str("not a compact revocation list"),
            CompactError::UnsupportedFormat { found } => {
                write!(f, "unsupported compact list format {found}")
            }
            CompactError::LengthMismatch { expected, found } => write!(
                f,
                "compact list body is {found} bytes, its header calls for {expected}"
            ),
            CompactError::ChecksumMismatch => f.write_str("compact list checksum mismatch"),
            CompactError::NotSorted { section } => {
                write!(f, "compact list {section} are not strictly increasing")
            }
            CompactError::BadKeyId => f.write_str("compact list holds an invalid key id"),
            CompactError::Chunks(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for CompactError {}

/// The checksum of an encoded list: over its header up to the checksum field and its body.
pub fn list_checksum(bytes: &[u8]) -> u64 {
    checksum(&[
        bytes.get(..40).unwrap_or(&[]),
        bytes.get(HEADER_LEN..).unwrap_or(&[]),
    ])
}

/// A multiply-rotate hash over the parts' little-endian 64-bit words (then any tail bytes
/// one by one), seeded with the total length so a cut at a word boundary differs.
pub fn checksum(parts: &[&[u8]]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let total: usize = parts.iter().map(|p| p.len()).sum();
    let mut h = (total as u64) ^ 0xCBF2_9CE4_8422_2325;
    for part in parts {
        let mut words = part.chunks_exact(8);
        for w in &mut words {
            let mut b = [0u8; 8];
            b.copy_from_slice(w);
            h = (h ^ u64::from_le_bytes(b)).wrapping_mul(K).rotate_left(31);
        }
        for &b in words.remainder() {
            h = (h ^ u64::from(b)).wrapping_mul(K).rotate_left(31);
        }
    }
    h ^ (h >> 29)
}

impl CompactList {
    /// The list's binary form (overlay merged in, order canonical: equal lists give equal
    /// bytes).
    pub fn encode(&self) -> Vec<u8> {
        let n = self.targets.len();
        let keys_len: usize = self.keys.keys().map(|k| 4 + k.len()).sum();
        let body_len = n * 12 + self.subjects.len() * SUBJECT_LEN + keys_len;
        let mut out = Vec::with_capacity(HEADER_LEN + body_len);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&self.version.to_le_bytes());
        out.extend_from_slice(&self.built_at.to_le_bytes());
        out.extend_from_slice(&(n as u32).to_le_bytes());
        out.extend_from_slice(&(self.subjects.len() as u32).to_le_bytes());
        out.extend_from_slice(&(self.keys.len() as u32).to_le_bytes());
        out.extend_from_slice(&(body_len as u32).to_le_bytes());
        out.extend_from_slice(&0u64.to_le_bytes()); // checksum, filled below
        for (d, _) in self.targets.iter() {
            out.extend_from_slice(&d.to_le_bytes());
        }
        for (_, e) in self.targets.iter() {
            out.extend_from_slice(&e.to_le_bytes());
        }
        for (d, cut) in &self.subjects {
            out.extend_from_slice(&d.to_le_bytes());
            out.extend_from_slice(&cut.before.to_le_bytes());
            out.extend_from_slice(&cut.expires.to_le_bytes());
        }
        for kid in self.keys.keys() {
            // A kid is a key ring id (bounded far below 4 GiB); the list's own length is u32.
            out.extend_from_slice(&(kid.len() as u32).to_le_bytes());
            out.extend_from_slice(kid.as_bytes());
        }
        let sum = list_checksum(&out);
        out[40..48].copy_from_slice(&sum.to_le_bytes());
        out
    }

    /// Reads a list written by [`CompactList::encode`].
    ///
    /// # Errors
    /// A [`CompactError`] for anything else: short, foreign, of another format, of the
    /// wrong length, failing its checksum, unsorted, or with a bad key id.
    pub fn decode(bytes: &[u8]) -> Result<CompactList, CompactError> {
        let mut r = Reader { bytes, at: 0 };
        let header = r
            .take(HEADER_LEN)
            .ok_or(CompactError::Truncated { len: bytes.len() })?;
        let mut h = Reader {
            bytes: header,
            at: 0,
        };
        if h.take(4) != Some(&MAGIC[..]) {
            return Err(CompactError::NotACompactList);
        }
        let format = h.u16();
        if format != FORMAT {
            return Err(CompactError::UnsupportedFormat { found: format });
        }
        let _reserved = h.u16();
        let version = h.u64();
        let built_at = h.u64() as i64;
        let (n, m, k) = (h.u32() as u64, h.u32() as u64, h.u32() as u64);
        let body_len = u64::from(h.u32());
        let sum = h.u64();
        let body = &bytes[HEADER_LEN..];
        if body.len() as u64 != body_len {
            return Err(CompactError::LengthMismatch {
                expected: body_len,
                found: body.len() as u64,
            });
        }
        let fixed = n * 12 + m * SUBJECT_LEN as u64 + k * 4;
        if fixed > body_len {
            return Err(CompactError::LengthMismatch {
                expected: fixed,
                found: body_len,
            });
        }
        if list_checksum(bytes) != sum {
            return Err(CompactError::ChecksumMismatch);
        }
        let mut r = Reader { bytes: body, at: 0 };
        let (n, m, k) = (n as usize, m as usize, k as usize);
        let digests: Vec<u64> = r.words(n * 8, 8).map(le_u64).collect();
        if !digests.windows(2).all(|w| w[0] < w[1]) {
            return Err(CompactError::NotSorted { section: "digests" });
        }
        let expires: Vec<u32> = r.words(n * 4, 4).map(le_u32).collect();
        let mut subjects = BTreeMap::new();
        let mut last = None;
        for s in r.words(m * SUBJECT_LEN, SUBJECT_LEN) {
            let d = le_u64(&s[0..8]);
            if last.is_some_and(|l| l >= d) {
                return Err(CompactError::NotSorted {
                    section: "subjects",
                });
            }
            last = Some(d);
            let cut = SubjectCut {
                before: le_u64(&s[8..16]) as i64,
                expires: le_u32(&s[16..20]),
            };
            subjects.insert(d, cut);
        }
        let mut keys = BTreeMap::new();
        let mut last: Option<String> = None;
        for _ in 0..k {
            let len = r.take(4).map(le_u32);
            let kid = len
                .and_then(|l| r.take(l as usize))
                .and_then(|b| std::str::from_utf8(b).ok())
                .ok_or(CompactError::BadKeyId)?
                .to_owned();
            if last.as_ref().is_some_and(|l| *l >= kid) {
                return Err(CompactError::NotSorted { section: "keys" });
            }
            last = Some(kid.clone());
            keys.insert(kid, ());
        }
        if r.at != body.len() {
            return Err(CompactError::LengthMismatch {
                expected: r.at as u64,
                found: body.len() as u64,
            });
        }
        Ok(CompactList {
            built_at,
            version,
            targets: DigestTable::from_sorted(digests, expires),
            subjects,
            keys,
        })
    }
}

/// A cursor over bytes whose lengths were checked against the header before reading.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(len)?;
        let out = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(out)
    }

    /// `len` bytes as `size`-byte words; empty if fewer remain (lengths were checked).
    fn words(&mut self, len: usize, size: usize) -> std::slice::ChunksExact<'a, u8> {
        self.take(len).unwrap_or(&[]).chunks_exact(size)
    }

    fn u16(&mut self) -> u16 {
        self.take(2).map_or(0, |b| u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> u32 {
        self.take(4).map_or(0, le_u32)
    }

    fn u64(&mut self) -> u64 {
        self.take(8).map_or(0, le_u64)
    }
}

fn le_u64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_le_bytes(a)
}

fn le_u32(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[..4]);
    u32::from_le_bytes(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revocation::entry_for;
    use crate::revocation::test_support::*;
    use crate::revocation::RevocationLookup;
    use proptest::prelude::*;

    fn sample() -> CompactList {
        let mut list = CompactList::from_entries(
            [
                jti("a"),
                jti("b/é"),
                sub("alice", NOW - 3),
                kid("k1"),
                kid("k2"),
            ]
            .into_iter()
            .map(|r| entry_for(r, NOW, None, &POLICY)),
            NOW,
        )
        .with_version(42);
        // One entry still in the overlay: encoding merges it in.
        list.insert(&entry_for(jti("late"), NOW, None, &POLICY), NOW);
        list
    }

    #[test]
    fn encoding_round_trips_and_is_canonical() {
        let list = sample();
        let bytes = list.encode();
        assert_eq!(&bytes[..4], b"PCRL");
        assert_eq!(bytes.len(), HEADER_LEN + 3 * 12 + SUBJECT_LEN + 2 * (4 + 2));
        let back = CompactList::decode(&bytes).unwrap();
        assert_eq!((back.version(), back.built_at(), back.len()), (42, NOW, 6));
        assert_eq!(back.overlay_len(), 0);
        assert_eq!(back.encode(), bytes);
        assert_eq!(
            back.check(Some("late"), None, None, None),
            list.check(Some("late"), None, None, None)
        );
        let empty = CompactList::empty(NOW);
        assert_eq!(CompactList::decode(&empty.encode()).unwrap(), empty);
    }

    #[test]
    fn every_truncation_is_a_typed_error() {
        let bytes = sample().encode();
        for len in 0..bytes.len() {
            let err = CompactList::decode(&bytes[..len]).unwrap_err();
            assert!(
                matches!(
                    err,
                    CompactError::Truncated { .. } | CompactError::LengthMismatch { .. }
                ),
                "{len}: {err:?}"
            );
        }
    }

    #[test]
    fn every_single_bit_flip_is_refused() {
        // The checksum covers the header (but itself) and the body.
        let bytes = sample().encode();
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut bad = bytes.clone();
                bad[i] ^= 1 << bit;
                assert!(CompactList::decode(&bad).is_err(), "byte {i} bit {bit}");
            }
        }
    }

    #[test]
    fn foreign_and_future_input_is_refused() {
        let mut bytes = sample().encode();
        assert_eq!(
            CompactList::decode(
                b"{\"v\":1,\"built_at\":1,\"jti\":[],\"sub\":[],\"kid\":[]}0000000"
            ),
            Err(CompactError::NotACompactList)
        );
        bytes[4] = 2;
        assert_eq!(
            CompactList::decode(&bytes),
            Err(CompactError::UnsupportedFormat { found: 2 })
        );
    }

    #[test]
    fn unsorted_digests_are_refused_even_with_a_good_checksum() {
        let list = CompactList::from_entries(
            [jti("a"), jti("b")]
                .into_iter()
                .map(|r| entry_for(r, NOW, None, &POLICY)),
            NOW,
        );
        let mut bytes = list.encode();
        // Swap the two digests and recompute the checksum.
        let (a, b) = (bytes[48..56].to_vec(), bytes[56..64].to_vec());
        bytes[48..56].copy_from_slice(&b);
        bytes[56..64].copy_from_slice(&a);
        let sum = list_checksum(&bytes);
        bytes[40..48].copy_from_slice(&sum.to_le_bytes());
        assert_eq!(
            CompactList::decode(&bytes),
            Err(CompactError::NotSorted { section: "digests" })
        );
    }

    #[test]
    fn counts_larger_than_the_body_are_refused_without_allocating_them() {
        let mut bytes = CompactList::empty(NOW).encode();
        bytes[24..28].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            CompactList::decode(&bytes),
            Err(CompactError::LengthMismatch { .. })
        ));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = CompactList::decode(&bytes);
            let mut framed = sample().encode();
            framed.truncate(HEADER_LEN);
            framed.extend_from_slice(&bytes);
            let _ = CompactList::decode(&framed);
        }

        #[test]
        fn round_trip_preserves_answers(
            entries in proptest::collection::vec(arb_entry(), 0..30),
            queries in proptest::collection::vec(arb_query(), 1..20),
        ) {
            let list = CompactList::from_entries(entries, NOW).with_version(3);
            let back = CompactList::decode(&list.encode()).unwrap();
            prop_assert_eq!(&back, &list);
            for (jti, sub, iat, kid) in &queries {
                let q = (jti.as_deref(), sub.as_deref(), *iat, kid.as_deref());
                prop_assert_eq!(back.check(q.0, q.1, q.2, q.3), list.check(q.0, q.1, q.2, q.3));
            }
        }
    }
}
