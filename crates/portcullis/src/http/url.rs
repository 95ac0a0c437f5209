//! The incoming request URL, split the way the gate reads it: the request's own origin
//! (`scheme://authority`), the raw path, the raw query. The path is normalized later
//! ([`crate::routes::normalize_path`]); nothing here decodes.

/// The parts of a request URL the gate uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UrlParts<'a> {
    /// `scheme://authority`, as the request names it.
    pub origin: &'a str,
    /// The raw path: `/` when the URL has none.
    pub path: &'a str,
    /// The raw query, without `?`; `None` when there is no `?`.
    pub query: Option<&'a str>,
}

/// Splits `url` into [`UrlParts`]; a fragment is dropped. The platform hands the Worker an
/// absolute URL; a URL without `://` is read as starting at its path.
pub fn split_url(url: &str) -> UrlParts<'_> {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let path_start = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |i| after_scheme + i);
    let origin = &url[..path_start];
    let rest = &url[path_start..];
    let rest = rest.split('#').next().unwrap_or("");
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    UrlParts {
        origin,
        path: if path.is_empty() { "/" } else { path },
        query,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts<'a>(origin: &'a str, path: &'a str, query: Option<&'a str>) -> UrlParts<'a> {
        UrlParts {
            origin,
            path,
            query,
        }
    }

    #[test]
    fn splits_origin_path_and_query() {
        for (url, expected) in [
            (
                "https://g.example/a/b?x=1",
                parts("https://g.example", "/a/b", Some("x=1")),
            ),
            ("https://g.example", parts("https://g.example", "/", None)),
            // The platform serializes the URL, so an empty path is always given as `/`.
            (
                "https://g.example/?x",
                parts("https://g.example", "/", Some("x")),
            ),
            (
                "https://g.example/?",
                parts("https://g.example", "/", Some("")),
            ),
            (
                "http://g.example:8787/a#frag",
                parts("http://g.example:8787", "/a", None),
            ),
            (
                "https://g.example/a?b#c?d",
                parts("https://g.example", "/a", Some("b")),
            ),
            (
                "https://g.example/a?b?c",
                parts("https://g.example", "/a", Some("b?c")),
            ),
            ("/relative?q", parts("", "/relative", Some("q"))),
        ] {
            assert_eq!(split_url(url), expected, "{url}");
        }
    }

    #[test]
    fn the_path_keeps_its_raw_spelling() {
        let p = split_url("https://g.example/%2e%2E/a//b;x?y");
        assert_eq!((p.path, p.query), ("/%2e%2E/a//b;x", Some("y")));
    }
}
