//! "Did you mean": the closest known name to a typo, by edit distance.

/// The Levenshtein distance between `a` and `b` (single-character insertions, deletions and
/// substitutions), over chars. Names are short, so the plain two-row table is enough.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        core::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// The candidate closest to `given`, if one is close enough to be the likely intent: at most
/// a third of the candidate's length away (and at most 4), ties to the first. Compared
/// without case, so `get` suggests `GET`.
pub fn suggest<'c>(given: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let given = given.to_ascii_uppercase();
    candidates
        .into_iter()
        .map(|c| (edit_distance(&given, &c.to_ascii_uppercase()), c))
        .filter(|(d, c)| *d <= (c.chars().count() / 3).clamp(1, 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("GET", "GET"), 0);
        assert_eq!(edit_distance("PORTCULIS", "PORTCULLIS"), 1);
    }

    #[test]
    fn suggests_only_what_is_close() {
        let keys = ["match", "scopes", "public"];
        assert_eq!(suggest("scope", keys), Some("scopes"));
        assert_eq!(suggest("pubilc", keys), Some("public"));
        assert_eq!(suggest("get", ["GET", "PUT"]), Some("GET"));
        assert_eq!(suggest("owner", keys), None);
    }
}
