//! A set of [`TargetDigest`]s with their expiries: a sorted base (two parallel arrays, 12
//! bytes an entry) searched by binary search within the bucket a small radix index of the
//! digest's top bits points to (digests are uniform, so a bucket holds ~8-16 entries and a
//! lookup touches 2-3 cache lines instead of ~20 at 10^6), plus a small sorted overlay that takes the
//! deltas. Inserting never moves the base; the overlay is merged into it in one linear pass
//! once it holds [`OVERLAY_MERGE_AT`] entries, so a delta of 100 changes costs 100 overlay
//! inserts, not 100 memmoves of a 12 MB array.

use std::collections::BTreeMap;

use super::digest::TargetDigest;

/// Overlay size at which it is merged into the base. A merge at 10^6 entries is one pass over
/// 12 MB (a few ms natively); every 4,096 inserts that is about a microsecond an insert, and
/// an overlay this size is still a cheap second lookup.
pub const OVERLAY_MERGE_AT: usize = 4096;

/// Expiry meaning "never" (key revocations, and stamps past 2106).
pub const NEVER: u32 = u32::MAX;

impl Default for DigestTable {
    fn default() -> DigestTable {
        DigestTable::from_sorted(Vec::new(), Vec::new())
    }
}

/// An expiry in NumericDate seconds as the table holds it: `None` is [`NEVER`]; values below
/// zero clamp to 0 and above `u32::MAX` to [`NEVER`] (later, so never dropped too early).
pub fn expiry_u32(expires_at: Option<i64>) -> u32 {
    match expires_at {
        None => NEVER,
        Some(t) => u32::try_from(t.max(0)).unwrap_or(NEVER),
    }
}

/// The digest set (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestTable {
    /// Sorted, strictly increasing.
    digests: Vec<u64>,
    /// `expires[i]` belongs to `digests[i]`.
    expires: Vec<u32>,
    /// Entries not yet merged into the base; never a digest the base holds.
    overlay: BTreeMap<u64, u32>,
    /// `index[b]..index[b + 1]` is the range of base digests whose top `bits` bits are `b`.
    index: Vec<u32>,
    bits: u32,
}

/// Index bits for `n` digests: about one bucket per 8-16 digests, at most 2^20 buckets
/// (4 MiB of index would be a third of a 10^6 list; 2^16 at 10^6 is 256 KiB).
fn index_bits(n: usize) -> u32 {
    (usize::BITS - n.leading_zeros()).saturating_sub(4).min(20)
}

/// Bucket of `digest` under `bits` index bits.
fn bucket(digest: u64, bits: u32) -> usize {
    digest.checked_shr(64 - bits).unwrap_or(0) as usize
}

fn build_index(digests: &[u64]) -> (Vec<u32>, u32) {
    let bits = index_bits(digests.len());
    let buckets = 1usize << bits;
    let mut index = Vec::with_capacity(buckets + 1);
    let mut at = 0usize;
    for b in 0..buckets {
        while at < digests.len() && bucket(digests[at], bits) < b {
            at += 1;
        }
        index.push(at as u32);
    }
    index.push(digests.len() as u32);
    (index, bits)
}

impl DigestTable {
    /// A table over sorted, strictly increasing `digests` and their `expires` (checked by
    /// the decoder, which is the only caller with untrusted input).
    pub(super) fn from_sorted(digests: Vec<u64>, expires: Vec<u32>) -> DigestTable {
        debug_assert_eq!(digests.len(), expires.len());
        debug_assert!(digests.windows(2).all(|w| w[0] < w[1]));
        let (index, bits) = build_index(&digests);
        DigestTable {
            digests,
            expires,
            overlay: BTreeMap::new(),
            index,
            bits,
        }
    }

    /// Position of `digest` in the base, by its bucket then binary search.
    fn find(&self, digest: u64) -> Option<usize> {
        let b = bucket(digest, self.bits);
        let lo = *self.index.get(b)? as usize;
        let hi = *self.index.get(b + 1)? as usize;
        let found = self.digests.get(lo..hi)?.binary_search(&digest).ok()?;
        Some(lo + found)
    }

    /// A table of `items` in any order; a digest given twice keeps its later expiry.
    pub fn from_unsorted(mut items: Vec<(u64, u32)>) -> DigestTable {
        items.sort_unstable();
        let mut digests: Vec<u64> = Vec::with_capacity(items.len());
        let mut expires: Vec<u32> = Vec::with_capacity(items.len());
        for (d, e) in items {
            match digests.last() {
                // Sorted by (digest, expiry): the later duplicate has the later expiry.
                Some(&last) if last == d => {
                    if let Some(slot) = expires.last_mut() {
                        *slot = e;
                    }
                }
                _ => {
                    digests.push(d);
                    expires.push(e);
                }
            }
        }
        DigestTable::from_sorted(digests, expires)
    }

    /// Whether `digest` is in the set. No allocation: a binary search of the base and one of
    /// the overlay.
    pub fn contains(&self, digest: TargetDigest) -> bool {
        self.find(digest.0).is_some() || self.overlay.contains_key(&digest.0)
    }

    /// Adds `digest` (or extends its expiry), merging the overlay into the base once it is
    /// large, dropping entries expired at `now` while at it.
    pub fn insert(&mut self, digest: TargetDigest, expires: u32, now: i64) {
        if let Some(i) = self.find(digest.0) {
            if let Some(slot) = self.expires.get_mut(i) {
                *slot = (*slot).max(expires);
            }
            return;
        }
        self.overlay
            .entry(digest.0)
            .and_modify(|e| *e = (*e).max(expires))
            .or_insert(expires);
        if self.overlay.len() >= OVERLAY_MERGE_AT {
            self.merge(now);
        }
    }

    /// Merges the overlay into the base in one linear pass, dropping entries expired at
    /// `now` (an expired entry covers only tokens the gate refuses anyway).
    pub fn merge(&mut self, now: i64) {
        let live = |e: u32| i64::from(e) >= now;
        let overlay = std::mem::take(&mut self.overlay);
        let n = self.digests.len() + overlay.len();
        let mut digests = Vec::with_capacity(n);
        let mut expires = Vec::with_capacity(n);
        for (d, e) in self.iter_with(&overlay) {
            if live(e) {
                digests.push(d);
                expires.push(e);
            }
        }
        let (index, bits) = build_index(&digests);
        self.digests = digests;
        self.expires = expires;
        self.index = index;
        self.bits = bits;
    }

    /// Every (digest, expiry), sorted by digest, base and overlay merged.
    pub fn iter(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.iter_with(&self.overlay)
    }

    fn iter_with<'a>(
        &'a self,
        overlay: &'a BTreeMap<u64, u32>,
    ) -> impl Iterator<Item = (u64, u32)> + 'a {
        let mut base = self
            .digests
            .iter()
            .copied()
            .zip(self.expires.iter().copied())
            .peekable();
        let mut over = overlay.iter().map(|(&d, &e)| (d, e)).peekable();
        // The overlay never holds a digest of the base, so this is a plain two-way merge.
        std::iter::from_fn(move || match (base.peek(), over.peek()) {
            (Some(b), Some(o)) if b.0 < o.0 => base.next(),
            (Some(_), Some(_)) => over.next(),
            (Some(_), None) => base.next(),
            (None, _) => over.next(),
        })
    }

    /// Number of digests held.
    pub fn len(&self) -> usize {
        self.digests.len() + self.overlay.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Entries waiting in the overlay (for tests and the benchmark).
    pub fn overlay_len(&self) -> usize {
        self.overlay.len()
    }

    /// Bytes held by the base arrays and (estimated) the overlay.
    pub fn heap_bytes(&self) -> usize {
        // A BTreeMap node holds up to 11 pairs in about 200 bytes: ~24 bytes a pair.
        self.digests.capacity() * 8
            + self.expires.capacity() * 4
            + self.index.capacity() * 4
            + self.overlay.len() * 24
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: u64) -> TargetDigest {
        TargetDigest(n)
    }

    #[test]
    fn inserts_go_to_the_overlay_and_lookups_see_both() {
        let mut t = DigestTable::from_unsorted(vec![(10, 100), (30, 100)]);
        t.insert(d(20), 100, 0);
        assert_eq!(t.overlay_len(), 1);
        for n in [10, 20, 30] {
            assert!(t.contains(d(n)), "{n}");
        }
        assert!(!t.contains(d(25)));
        assert_eq!(
            t.iter().map(|(d, _)| d).collect::<Vec<_>>(),
            vec![10, 20, 30]
        );
    }

    #[test]
    fn inserting_a_base_digest_extends_its_expiry_in_place() {
        let mut t = DigestTable::from_unsorted(vec![(10, 100)]);
        t.insert(d(10), 500, 0);
        t.insert(d(10), 50, 0);
        assert_eq!(
            (t.overlay_len(), t.iter().collect::<Vec<_>>()),
            (0, vec![(10, 500)])
        );
    }

    #[test]
    fn overlay_merges_into_the_base_at_the_threshold_dropping_expired() {
        let mut t = DigestTable::from_unsorted(vec![(1, 5), (u64::MAX, NEVER)]);
        for n in 0..OVERLAY_MERGE_AT as u64 {
            t.insert(d(1000 + n), 100, 10);
        }
        assert_eq!(t.overlay_len(), 0);
        // (1, 5) expired at 10; everything else kept, sorted.
        assert!(!t.contains(d(1)));
        assert_eq!(t.len(), OVERLAY_MERGE_AT + 1);
        let all: Vec<u64> = t.iter().map(|(d, _)| d).collect();
        assert!(all.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn duplicates_in_unsorted_input_keep_the_latest_expiry() {
        let t = DigestTable::from_unsorted(vec![(7, 3), (7, 9), (2, 1), (7, 4)]);
        assert_eq!(t.iter().collect::<Vec<_>>(), vec![(2, 1), (7, 9)]);
    }

    #[test]
    fn the_index_finds_every_digest_and_nothing_else() {
        for n in [0usize, 1, 15, 16, 17, 1000, 5000] {
            let items: Vec<(u64, u32)> = (0..n as u64)
                .map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1, 1))
                .chain([(0, 1), (u64::MAX, 1)])
                .collect();
            let t = DigestTable::from_unsorted(items.clone());
            for (d, _) in &items {
                assert!(t.contains(TargetDigest(*d)), "{n}: {d}");
                // Every digest listed but 0 is odd: its even neighbour is not listed.
                let absent = d & !1;
                if absent != 0 {
                    assert!(!t.contains(TargetDigest(absent)), "{n}: {absent}");
                }
            }
        }
    }

    #[test]
    fn expiry_clamps_into_u32() {
        assert_eq!(expiry_u32(None), NEVER);
        assert_eq!(expiry_u32(Some(-5)), 0);
        assert_eq!(expiry_u32(Some(i64::MAX)), NEVER);
        assert_eq!(expiry_u32(Some(1_700_000_000)), 1_700_000_000);
    }
}
