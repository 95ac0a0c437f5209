//! The query string as signed links use it: `&`-separated pairs, kept as sent (no decoding,
//! so the origin gets exactly the bytes that were signed), with a format's own parameters
//! taken out.

/// The non-empty `&`-separated pairs of a query, as sent.
pub fn pairs(query: &str) -> impl Iterator<Item = &str> {
    query.split('&').filter(|p| !p.is_empty())
}

/// A pair's name as sent (the text before the first `=`).
pub fn name(pair: &str) -> &str {
    pair.split_once('=').map_or(pair, |(n, _)| n)
}

/// A pair's value as sent (after the first `=`; empty without one).
pub fn value(pair: &str) -> &str {
    pair.split_once('=').map_or("", |(_, v)| v)
}

/// The query without the pairs named in `names` (compared exactly), in the order sent;
/// `None` when nothing is left. This is what the origin receives.
pub fn without(query: Option<&str>, names: &[&str]) -> Option<String> {
    let kept: Vec<&str> = pairs(query?)
        .filter(|p| !names.contains(&name(p)))
        .collect();
    (!kept.is_empty()).then(|| kept.join("&"))
}

/// The signed form of the query: the pairs [`without`] keeps, sorted bytewise and joined by
/// `&`, so a link survives a client or proxy that reorders parameters.
pub fn canonical(query: Option<&str>, names: &[&str]) -> String {
    let mut kept: Vec<&str> = query
        .map(|q| pairs(q).filter(|p| !names.contains(&name(p))).collect())
        .unwrap_or_default();
    kept.sort_unstable();
    kept.join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_parameters_are_taken_out_and_the_rest_kept_as_sent() {
        let q = Some("b=2&pc_sig=x&&a=%41&pc_exp=1");
        assert_eq!(
            without(q, &["pc_sig", "pc_exp"]).as_deref(),
            Some("b=2&a=%41")
        );
        assert_eq!(canonical(q, &["pc_sig", "pc_exp"]), "a=%41&b=2");
        assert_eq!(without(Some("pc_sig=x"), &["pc_sig"]), None);
        assert_eq!(without(None, &["pc_sig"]), None);
        assert_eq!(canonical(None, &[]), "");
        assert_eq!((name("a=b=c"), value("a=b=c")), ("a", "b=c"));
        assert_eq!((name("flag"), value("flag")), ("flag", ""));
    }
}
