//! `htu` as RFC 9449 4.3 compares it: the URL without query and fragment, after RFC 3986
//! syntax- and scheme-based normalization. The path is normalized exactly as the gate
//! normalizes request paths ([`crate::routes::normalize_path`]), so a proof names the
//! resource the gate authorized, in the spelling the gate decided on.

use crate::routes::normalize_path;

/// `url` normalized for comparison, or `None` when it is no absolute http(s) URL:
/// scheme and host lower-cased, the default port dropped, query and fragment cut, the path
/// normalized (empty is `/`). Userinfo is refused: no request URL carries one.
pub fn normalize_htu(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => ":443",
        "http" => ":80",
        _ => return None,
    };
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (authority, path) = match rest.find('/') {
        Some(at) => rest.split_at(at),
        None => (rest, "/"),
    };
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let authority = authority.to_ascii_lowercase();
    let authority = authority.strip_suffix(default_port).unwrap_or(&authority);
    let path = normalize_path(path).ok()?;
    Some(format!("{scheme}://{authority}{}", path.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equivalent_spellings_normalize_alike() {
        let want = Some("https://api.example.com/orders/1".to_owned());
        for url in [
            "https://api.example.com/orders/1",
            "HTTPS://API.Example.COM/orders/1",
            "https://api.example.com:443/orders/1",
            "https://api.example.com/orders/1?x=1",
            "https://api.example.com/orders/1#frag",
            "https://api.example.com/orders/./1",
            "https://api.example.com/orders/%31",
        ] {
            assert_eq!(normalize_htu(url), want, "{url}");
        }
        assert_eq!(normalize_htu("http://h:80"), Some("http://h/".into()));
        assert_eq!(
            normalize_htu("http://h:8080/a"),
            Some("http://h:8080/a".into())
        );
    }

    #[test]
    fn other_resources_and_non_urls_differ_or_are_refused() {
        let want = normalize_htu("https://api.example.com/orders/1");
        for url in [
            "https://api.example.com/orders/2",
            "http://api.example.com/orders/1",
            "https://evil.example/orders/1",
            "https://api.example.com:8443/orders/1",
            "https://api.example.com/Orders/1",
        ] {
            assert_ne!(normalize_htu(url), want, "{url}");
        }
        for bad in [
            "",
            "/orders/1",
            "ftp://h/",
            "https://",
            "https://u@h/",
            "https:///x",
        ] {
            assert_eq!(normalize_htu(bad), None, "{bad}");
        }
    }
}
