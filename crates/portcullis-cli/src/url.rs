//! The CLI's one URL module: the admin API's address (percent-encoded with the
//! `percent-encoding` crate), and a URL made safe to print.

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

/// What is escaped in a path segment built from user input: the characters that would end
/// the segment or the path (`/`, `?`, `#`), space, and those RFC 3986 never allows
/// literally (non-ASCII is always escaped). `%` is kept: a prefix is written as it appears in
/// the URL, escapes included, as PORTCULLIS_ADMIN_PREFIX is.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// `{endpoint}{prefix}/{resource}`: the admin API's URL for `resource`, each segment of
/// `prefix` percent-encoded, without doubled or trailing slashes from either part.
pub(crate) fn admin_url(endpoint: &str, prefix: &str, resource: &str) -> String {
    let mut url = endpoint.trim_end_matches('/').to_owned();
    for segment in prefix
        .split('/')
        .filter(|s| !s.is_empty())
        .chain([resource])
    {
        url.push('/');
        url.extend(utf8_percent_encode(segment, SEGMENT));
    }
    url
}

/// A URL with any `user:password@` removed.
pub(crate) fn without_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_url_joins_endpoint_prefix_and_resource() {
        let url = |e, p| admin_url(e, p, "revocations");
        assert_eq!(
            url("https://api.example", "/_portcullis"),
            "https://api.example/_portcullis/revocations"
        );
        assert_eq!(
            url("http://127.0.0.1:8787/", "/_portcullis/"),
            "http://127.0.0.1:8787/_portcullis/revocations"
        );
        assert_eq!(
            url("https://api.example/base", "admin/v1"),
            "https://api.example/base/admin/v1/revocations"
        );
        assert_eq!(
            url("https://api.example", "/a b?c#d/é%2F"),
            "https://api.example/a%20b%3Fc%23d/%C3%A9%2F/revocations"
        );
    }

    #[test]
    fn userinfo_is_hidden_in_the_origin() {
        assert_eq!(
            without_userinfo("https://u:p@api.example/v1"),
            "https://***@api.example/v1"
        );
        assert_eq!(
            without_userinfo("http://127.0.0.1:8788"),
            "http://127.0.0.1:8788"
        );
        assert_eq!(
            without_userinfo("https://api.example/a@b"),
            "https://api.example/a@b"
        );
    }
}
