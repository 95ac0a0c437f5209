//! The binary form of a [`CompactList`], as published to KV (split by [`split`](super::split)).
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

use super::sorted::SortedMap;

use super::error::CompactError;
use super::list::{CompactList, SubjectCut};
use super::table::DigestTable;

/// The first four bytes of every encoded list.
pub const MAGIC: [u8; 4] = *b"PCRL";
/// The format this build writes and reads.
pub const FORMAT: u16 = 1;
/// Header length in bytes.
pub const HEADER_LEN: usize = 48;

const SUBJECT_LEN: usize = 20;

/// The checksum of an encoded list: over its header up to the checksum field and its body.
pub fn list_checksum(bytes: &[u8]) -> u64 {
    let mut sum = Checksum::default();
    sum.update(bytes.get(..40).unwrap_or(&[]));
    sum.update(bytes.get(HEADER_LEN..).unwrap_or(&[]));
    sum.finish()
}

/// A multiply-rotate hash over the stream's little-endian 64-bit words (then any tail bytes
/// one by one), seeded with the total length so a cut at a word boundary differs. Fed in
/// pieces of any size, it gives the same answer as over the whole.
#[derive(Debug, Clone, Default)]
pub struct Checksum {
    h: u64,
    len: u64,
    partial: [u8; 8],
    partial_len: usize,
}

const CHECKSUM_K: u64 = 0x9E37_79B9_7F4A_7C15;

impl Checksum {
    fn word(&mut self, w: u64) {
        self.h = (self.h ^ w).wrapping_mul(CHECKSUM_K).rotate_left(31);
    }

    /// Feeds bytes.
    pub fn update(&mut self, mut bytes: &[u8]) {
        self.len += bytes.len() as u64;
        if self.partial_len > 0 {
            let take = (8 - self.partial_len).min(bytes.len());
            self.partial[self.partial_len..self.partial_len + take].copy_from_slice(&bytes[..take]);
            self.partial_len += take;
            bytes = &bytes[take..];
            if self.partial_len < 8 {
                return;
            }
            let w = u64::from_le_bytes(self.partial);
            self.word(w);
            self.partial_len = 0;
        }
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            self.word(le_u64(w));
        }
        let rest = words.remainder();
        self.partial[..rest.len()].copy_from_slice(rest);
        self.partial_len = rest.len();
    }

    /// The checksum of everything fed.
    pub fn finish(&self) -> u64 {
        let mut h = self.h ^ self.len ^ 0xCBF2_9CE4_8422_2325;
        for &b in &self.partial[..self.partial_len] {
            h = (h ^ u64::from(b)).wrapping_mul(CHECKSUM_K).rotate_left(31);
        }
        h ^ (h >> 29)
    }
}

/// The header's fields.
#[derive(Debug, Clone, Copy)]
struct Header {
    version: u64,
    built_at: i64,
    digests: usize,
    subjects: usize,
    keys: usize,
    body_len: u64,
    checksum: u64,
}

fn parse_header(h: &[u8]) -> Result<Header, CompactError> {
    let mut r = Reader { bytes: h, at: 0 };
    if r.take(4) != Some(&MAGIC[..]) {
        return Err(CompactError::NotACompactList);
    }
    let format = r.u16();
    if format != FORMAT {
        return Err(CompactError::UnsupportedFormat { found: format });
    }
    let _reserved = r.u16();
    let version = r.u64();
    let built_at = r.u64() as i64;
    let (n, m, k) = (u64::from(r.u32()), u64::from(r.u32()), u64::from(r.u32()));
    let body_len = u64::from(r.u32());
    let checksum = r.u64();
    let fixed = n * 12 + m * SUBJECT_LEN as u64 + k * 4;
    if fixed > body_len {
        return Err(CompactError::LengthMismatch {
            expected: fixed,
            found: body_len,
        });
    }
    Ok(Header {
        version,
        built_at,
        digests: n as usize,
        subjects: m as usize,
        keys: k as usize,
        body_len,
        checksum,
    })
}

/// Reads an encoded list pushed in pieces (the KV chunks as they arrive), so loading holds
/// the list being built plus one chunk, never the whole encoded list as well. Nothing it
/// builds is used unless [`CompactDecoder::finish`] accepts the whole.
#[derive(Debug)]
pub struct CompactDecoder {
    /// The total length announced beside the bytes (the manifest's): the header must agree
    /// before anything is allocated by its counts.
    total_len: u64,
    header: Option<Header>,
    /// Bytes of an element (or of the header) cut by a piece boundary; the key section is
    /// kept here whole (kids are few) and read at the end.
    pending: Vec<u8>,
    body_seen: u64,
    sum: Checksum,
    digests: Vec<u64>,
    expires: Vec<u32>,
    subjects: SortedMap<u64, SubjectCut>,
    last_subject: Option<u64>,
    unsorted: Option<&'static str>,
}

impl CompactDecoder {
    /// A decoder awaiting the first piece of an encoded list of `total_len` bytes.
    pub fn new(total_len: u64) -> CompactDecoder {
        CompactDecoder {
            total_len,
            header: None,
            pending: Vec::new(),
            body_seen: 0,
            sum: Checksum::default(),
            digests: Vec::new(),
            expires: Vec::new(),
            subjects: SortedMap::new(),
            last_subject: None,
            unsorted: None,
        }
    }

    /// Feeds the next piece.
    ///
    /// # Errors
    /// A [`CompactError`] as soon as the header is refused or the body runs past its length.
    pub fn push(&mut self, mut piece: &[u8]) -> Result<(), CompactError> {
        let header = match self.header {
            Some(h) => h,
            None => {
                let take = (HEADER_LEN - self.pending.len()).min(piece.len());
                self.pending.extend_from_slice(&piece[..take]);
                piece = &piece[take..];
                if self.pending.len() < HEADER_LEN {
                    return Ok(());
                }
                let h = parse_header(&self.pending)?;
                if h.body_len + HEADER_LEN as u64 != self.total_len {
                    return Err(CompactError::LengthMismatch {
                        expected: h.body_len + HEADER_LEN as u64,
                        found: self.total_len,
                    });
                }
                self.sum.update(&self.pending[..40]);
                self.pending.clear();
                // Capacity from the header only once its counts fit its length and its length
                // is the announced one; anything else wrong is caught by the checksum.
                self.digests.reserve_exact(h.digests);
                self.expires.reserve_exact(h.digests);
                self.header = Some(h);
                h
            }
        };
        self.body_seen += piece.len() as u64;
        if self.body_seen > header.body_len {
            return Err(CompactError::LengthMismatch {
                expected: header.body_len,
                found: self.body_seen,
            });
        }
        self.sum.update(piece);
        while !piece.is_empty() {
            let (size, section_left) = self.next_element(&header);
            if size == 0 {
                // The key section: kept whole, read in finish().
                self.pending.extend_from_slice(piece);
                return Ok(());
            }
            if !self.pending.is_empty() || piece.len() < size {
                let take = (size - self.pending.len()).min(piece.len());
                self.pending.extend_from_slice(&piece[..take]);
                piece = &piece[take..];
                if self.pending.len() == size {
                    let element = std::mem::take(&mut self.pending);
                    self.element(&element, &header);
                }
                continue;
            }
            // Whole elements straight from the piece, as many as this section still has.
            let count = (piece.len() / size).min(section_left);
            for element in piece[..count * size].chunks_exact(size) {
                self.element(element, &header);
            }
            piece = &piece[count * size..];
        }
        Ok(())
    }

    /// The size of the next element and how many the current section still holds
    /// (size 0: the key section).
    fn next_element(&self, h: &Header) -> (usize, usize) {
        if self.digests.len() < h.digests {
            (8, h.digests - self.digests.len())
        } else if self.expires.len() < h.digests {
            (4, h.digests - self.expires.len())
        } else if self.subjects_read() < h.subjects {
            (SUBJECT_LEN, h.subjects - self.subjects_read())
        } else {
            (0, 0)
        }
    }

    fn subjects_read(&self) -> usize {
        // A duplicate subject stops insertion counting; `unsorted` reports it.
        self.subjects.len() + usize::from(self.unsorted == Some("subjects"))
    }

    fn element(&mut self, e: &[u8], h: &Header) {
        if self.digests.len() < h.digests {
            let d = le_u64(e);
            if self.digests.last().is_some_and(|&l| l >= d) {
                self.unsorted.get_or_insert("digests");
            }
            self.digests.push(d);
        } else if self.expires.len() < h.digests {
            self.expires.push(le_u32(e));
        } else {
            let d = le_u64(&e[0..8]);
            if self.last_subject.is_some_and(|l| l >= d) {
                self.unsorted.get_or_insert("subjects");
                return;
            }
            self.last_subject = Some(d);
            let cut = SubjectCut {
                before: le_u64(&e[8..16]) as i64,
                expires: le_u32(&e[16..20]),
            };
            self.subjects.insert(d, cut);
        }
    }

    /// The list, if every byte arrived, the checksum holds and every section is sorted.
    ///
    /// # Errors
    /// A [`CompactError`]: truncated, wrong length, checksum, unsorted, bad key id.
    pub fn finish(self) -> Result<CompactList, CompactError> {
        let Some(h) = self.header else {
            return Err(CompactError::Truncated {
                len: self.pending.len(),
            });
        };
        if self.body_seen != h.body_len {
            return Err(CompactError::LengthMismatch {
                expected: h.body_len,
                found: self.body_seen,
            });
        }
        if self.sum.finish() != h.checksum {
            return Err(CompactError::ChecksumMismatch);
        }
        if let Some(section) = self.unsorted {
            return Err(CompactError::NotSorted { section });
        }
        let mut r = Reader {
            bytes: &self.pending,
            at: 0,
        };
        let mut keys = SortedMap::new();
        let mut last: Option<String> = None;
        for _ in 0..h.keys {
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
        if r.at != self.pending.len() {
            return Err(CompactError::LengthMismatch {
                expected: h.body_len - (self.pending.len() - r.at) as u64,
                found: h.body_len,
            });
        }
        Ok(CompactList {
            built_at: h.built_at,
            version: h.version,
            targets: DigestTable::from_sorted(self.digests, self.expires),
            subjects: self.subjects,
            keys,
        })
    }
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
        for (d, cut) in self.subjects.iter() {
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
        if bytes.len() < HEADER_LEN {
            return Err(CompactError::Truncated { len: bytes.len() });
        }
        let mut decoder = CompactDecoder::new(bytes.len() as u64);
        decoder.push(bytes)?;
        decoder.finish()
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
            back.check(Some("late"), None, None, None, None),
            list.check(Some("late"), None, None, None, None)
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

    #[test]
    fn pushing_in_pieces_of_any_size_reads_the_same_list() {
        let list = sample();
        let bytes = list.encode();
        for size in [1, 3, 7, 8, 13, 47, 48, 49, 100] {
            let mut d = CompactDecoder::new(bytes.len() as u64);
            for piece in bytes.chunks(size) {
                d.push(piece).unwrap();
            }
            assert_eq!(
                d.finish().unwrap(),
                CompactList::decode(&bytes).unwrap(),
                "{size}"
            );
        }
    }

    #[test]
    fn checksum_is_the_same_whatever_the_pieces() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        let mut whole = Checksum::default();
        whole.update(&data);
        for size in [1, 5, 8, 9, 333] {
            let mut c = Checksum::default();
            data.chunks(size).for_each(|p| c.update(p));
            assert_eq!(c.finish(), whole.finish(), "{size}");
        }
        let mut cut = Checksum::default();
        cut.update(&data[..992]);
        assert_ne!(cut.finish(), whole.finish());
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
            for (jti, sub, iat, kid, sid) in &queries {
                let q = (jti.as_deref(), sub.as_deref(), *iat, kid.as_deref(), sid.as_deref());
                prop_assert_eq!(back.check(q.0, q.1, q.2, q.3, q.4), list.check(q.0, q.1, q.2, q.3, q.4));
            }
        }
    }
}
