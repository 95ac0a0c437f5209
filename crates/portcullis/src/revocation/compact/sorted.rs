//! A map kept as one sorted `Vec` of pairs: the compact list's few subjects and kids and its
//! digest overlay. Lookups are binary searches, inserts shift the tail (these maps stay
//! small: the overlay merges at [`OVERLAY_MERGE_AT`](super::OVERLAY_MERGE_AT), subjects and
//! kids are few). Each `BTreeMap<K, V>` instantiation shipped its own node code to the gate:
//! this one is a fraction of it (the bytes saved are in the commit that introduced it).

use std::borrow::Borrow;

/// Pairs sorted by strictly increasing key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SortedMap<K, V> {
    pairs: Vec<(K, V)>,
}

impl<K, V> Default for SortedMap<K, V> {
    fn default() -> Self {
        SortedMap { pairs: Vec::new() }
    }
}

impl<K: Ord, V> SortedMap<K, V> {
    pub(super) fn new() -> Self {
        SortedMap::default()
    }

    fn search<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.pairs.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    pub(super) fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        let i = self.search(key).ok()?;
        self.pairs.get(i).map(|(_, v)| v)
    }

    pub(super) fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.search(key).is_ok()
    }

    /// The value at `key`, inserting `value` first when there is none.
    pub(super) fn get_or_insert(&mut self, key: K, value: V) -> &mut V {
        let i = match self.search(&key) {
            Ok(i) => i,
            Err(i) => {
                self.pairs.insert(i, (key, value));
                i
            }
        };
        &mut self.pairs[i].1
    }

    /// Sets `key` to `value` (replacing any value it had).
    pub(super) fn insert(&mut self, key: K, value: V) {
        match self.search(&key) {
            Ok(i) => self.pairs[i].1 = value,
            Err(i) => self.pairs.insert(i, (key, value)),
        }
    }

    pub(super) fn retain(&mut self, mut keep: impl FnMut(&K, &V) -> bool) {
        self.pairs.retain(|(k, v)| keep(k, v));
    }

    /// The pairs in key order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.pairs.iter().map(|(k, v)| (k, v))
    }

    pub(super) fn keys(&self) -> impl Iterator<Item = &K> {
        self.pairs.iter().map(|(k, _)| k)
    }

    pub(super) fn len(&self) -> usize {
        self.pairs.len()
    }
}

#[cfg(test)]
mod tests {
    use super::SortedMap;

    #[test]
    fn keeps_keys_sorted_and_unique_whatever_the_insertion_order() {
        let mut m = SortedMap::new();
        for k in [5u64, 1, 9, 3, 1, 7] {
            m.insert(k, k * 10);
        }
        *m.get_or_insert(3, 0) += 1;
        *m.get_or_insert(4, 40) += 1;
        assert_eq!(
            m.iter().map(|(&k, &v)| (k, v)).collect::<Vec<_>>(),
            [(1, 10), (3, 31), (4, 41), (5, 50), (7, 70), (9, 90)]
        );
        assert_eq!(
            (m.get(&7), m.get(&8), m.contains_key(&9)),
            (Some(&70), None, true)
        );
        m.retain(|&k, _| k % 3 != 0);
        assert_eq!(m.keys().copied().collect::<Vec<_>>(), [1, 4, 5, 7]);
        assert_eq!(m.len(), 4);
    }

    #[test]
    fn string_keys_are_found_by_str() {
        let mut m = SortedMap::new();
        m.insert("k2".to_owned(), ());
        m.insert("k1".to_owned(), ());
        assert!(m.contains_key("k1") && !m.contains_key("k3"));
        assert_eq!(
            m.keys().map(String::as_str).collect::<Vec<_>>(),
            ["k1", "k2"]
        );
    }
}
