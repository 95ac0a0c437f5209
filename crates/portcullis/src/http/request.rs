//! What the gate reads of a request head, and its hygiene: the one bearer credential
//! (`Authorization` or the token cookie, never both), a token in the query string in any
//! spelling a framework reads, and the `Cookie` header without the gate's cookie.

use crate::codec::percent;
use crate::http::Denial;
use crate::sender::Scheme;

/// What the gate reads of a request.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestHead<'a> {
    /// The method, e.g. `GET`.
    pub method: &'a str,
    /// The query string without `?`, if any.
    pub query: Option<&'a str>,
    /// The `Authorization` header (several are joined with `, ` by the platform).
    pub authorization: Option<&'a str>,
    /// The `Cookie` header.
    pub cookie: Option<&'a str>,
    /// `Access-Control-Request-Method`, present on a CORS preflight.
    pub preflight_method: Option<&'a str>,
}

/// Request head hygiene, the first check of every request, admin API included: refuses a
/// token in the query string ([`query_names_token`]) and ambiguous credentials
/// ([`presented_credential`]), and returns the request's one token, if any, with its scheme.
pub fn screen<'h>(
    head: &RequestHead<'h>,
    cookie_name: Option<&'h str>,
) -> Result<Option<(Scheme, &'h str)>, Denial> {
    if head.query.is_some_and(query_names_token) {
        return Err(Denial::TokenInQuery);
    }
    presented_credential(head, cookie_name)
}

/// The request's one token as the gate's routes take it: [`credential`] (a bearer token from
/// the header or the cookie), or `Authorization: DPoP <token>` (RFC 9449 7.1, the same token
/// syntax). A DPoP header with a token cookie is two credentials. The admin API takes
/// [`credential`] only: bearer tokens.
pub fn presented_credential<'h>(
    head: &RequestHead<'h>,
    cookie_name: Option<&'h str>,
) -> Result<Option<(Scheme, &'h str)>, Denial> {
    let dpop = match head.authorization {
        Some(value) => scheme_token(value, "dpop")?,
        None => None,
    };
    let Some(token) = dpop else {
        return Ok(credential(head, cookie_name)?.map(|t| (Scheme::Bearer, t)));
    };
    let without_header = RequestHead {
        authorization: None,
        ..*head
    };
    match credential(&without_header, cookie_name)? {
        Some(_) => Err(Denial::ConflictingCredentials),
        None => Ok(Some((Scheme::Dpop, token))),
    }
}

/// The method a CORS preflight asks for (`Access-Control-Request-Method`), unless the
/// `Connection` header names that header: the origin would never see it, and the gate
/// decides on what the origin will see.
pub fn preflight_method<'h>(
    requested: Option<&'h str>,
    connection: Option<&str>,
) -> Option<&'h str> {
    requested.filter(|_| {
        !crate::http::forwarding::is_connection_option(connection, "access-control-request-method")
    })
}

/// The query parameter RFC 6750 section 2.3 defines for bearer tokens.
pub const TOKEN_QUERY_PARAMETER: &str = "access_token";

/// Whether a query string carries [`TOKEN_QUERY_PARAMETER`] in any spelling a common
/// framework reads as that name: pairs separated by `&` or `;` (Rack before 3, Python before
/// 3.9.2, Go before 1.17), and each name compared by [`reads_as_name`].
pub fn query_names_token(query: &str) -> bool {
    query.split(['&', ';']).any(|pair| {
        let name = pair.split('=').next().unwrap_or("");
        reads_as_name(name, TOKEN_QUERY_PARAMETER)
    })
}

/// Whether a server-side framework may read the raw parameter or cookie name `raw` as
/// `name`. Every rewrite some common framework applies to names is applied, and a match under
/// any of them counts:
/// - percent-escapes and `+` decoded (every form parser), `%uHHHH` too (IIS);
/// - cut at a NUL (PHP's C strings);
/// - cut at `[` when a `]` follows (`name[]`, `name[x]`: PHP, Rack, `qs` arrays); a `[`
///   without a `]` becomes `_` (PHP);
/// - surrounding whitespace dropped, then ` ` and `.` read as `_` (PHP);
/// - ASCII case ignored (ASP.NET).
pub fn reads_as_name(raw: &str, name: &str) -> bool {
    // Every rewrite shortens or keeps the length; the common case stops here.
    if raw.len() < name.len() {
        return false;
    }
    let decoded = decode_name(raw);
    let decoded = decoded.split('\0').next().unwrap_or("");
    let unbracketed;
    let decoded = match decoded.find('[') {
        Some(open) if decoded[open..].contains(']') => &decoded[..open],
        Some(open) => {
            unbracketed = format!("{}_{}", &decoded[..open], &decoded[open + 1..]);
            &unbracketed
        }
        None => decoded,
    };
    let fold = |b: u8| match b {
        b' ' | b'.' => b'_',
        b => b.to_ascii_lowercase(),
    };
    let decoded = decoded.trim();
    decoded.len() == name.len()
        && decoded
            .bytes()
            .zip(name.bytes())
            .all(|(a, b)| fold(a) == fold(b))
}

/// `raw` with `+` as space, `%HH` and `%uHHHH` decoded; invalid UTF-8 becomes U+FFFD.
fn decode_name(raw: &str) -> String {
    // `%uHHHH` (IIS, classic ASP) is no standard escape: rewrite each as its character's UTF-8
    // escapes, then decode the rest as every server does.
    let mut escaped = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('%') {
        escaped.push_str(&rest[..at]);
        let unit = rest
            .get(at + 1..at + 6)
            .and_then(|t| t.strip_prefix(['u', 'U']))
            .filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|hex| u32::from_str_radix(hex, 16).ok())
            .and_then(char::from_u32);
        match unit {
            Some(c) => {
                for b in c.encode_utf8(&mut [0; 4]).bytes() {
                    escaped.push_str(&format!("%{b:02X}"));
                }
                rest = &rest[at + 6..];
            }
            None => {
                escaped.push('%');
                rest = &rest[at + 1..];
            }
        }
    }
    escaped.push_str(rest);
    String::from_utf8_lossy(&percent::decode_lenient(escaped.as_bytes())).into_owned()
}

/// The single bearer token of a request, from `Authorization` or the configured cookie.
///
/// A token in the header together with a token cookie is [`Denial::ConflictingCredentials`],
/// even when the two are equal: a request names its credential once. So are two token
/// cookies with different values.
pub fn credential<'h>(
    head: &RequestHead<'h>,
    cookie_name: Option<&'h str>,
) -> Result<Option<&'h str>, Denial> {
    let from_header = match head.authorization {
        Some(value) => bearer(value)?,
        None => None,
    };
    let mut from_cookie: Option<&str> = None;
    if let (Some(name), Some(header)) = (cookie_name, head.cookie) {
        for value in cookie_values(header, name) {
            match from_cookie {
                Some(seen) if seen != value => return Err(Denial::ConflictingCredentials),
                _ => from_cookie = Some(value),
            }
        }
    }
    match (from_header, from_cookie) {
        (Some(_), Some(_)) => Err(Denial::ConflictingCredentials),
        (Some(t), None) | (None, Some(t)) => Ok(Some(t)),
        (None, None) => Ok(None),
    }
}

/// `Bearer <b64token>` (RFC 6750 2.1). Another scheme is not a bearer credential.
fn bearer(value: &str) -> Result<Option<&str>, Denial> {
    scheme_token(value, "bearer")
}

/// `<scheme> <b64token>` for `wanted` (lower case); `None` for another scheme.
fn scheme_token<'v>(value: &'v str, wanted: &str) -> Result<Option<&'v str>, Denial> {
    let value = value.trim_matches(|c| c == ' ' || c == '\t');
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case(wanted) {
        return Ok(None);
    }
    let token = rest.trim_start_matches(' ');
    let is_b64token = !token.is_empty()
        && token
            .trim_end_matches('=')
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b));
    if is_b64token {
        Ok(Some(token))
    } else {
        Err(Denial::MalformedAuthorization)
    }
}

/// The cookie pairs of a `Cookie` header, each with the separator text before it (empty for
/// the first). Pairs are separated by `;` or `,`: the platform joins repeated `Cookie` fields
/// with `, `, and RFC 6265 cookie values contain neither character.
fn cookie_pairs(header: &str) -> impl Iterator<Item = (&str, &str)> {
    // The next pair's separator starts at `separator` and its text at `from`.
    let (mut separator, mut from) = (0, Some(0));
    std::iter::from_fn(move || {
        let start = from?;
        let end = header[start..]
            .find([';', ','])
            .map_or(header.len(), |i| start + i);
        let item = (&header[separator..start], &header[start..end]);
        (separator, from) = (end, (end < header.len()).then_some(end + 1));
        Some(item)
    })
}

/// The name of one cookie pair, and its value if it has an `=`.
fn cookie_name_value(pair: &str) -> (&str, Option<&str>) {
    match pair.split_once('=') {
        Some((n, v)) => (n.trim(), Some(v.trim().trim_matches('"'))),
        None => (pair.trim(), None),
    }
}

/// Values of every token cookie (a name that [`reads_as_name`] `name`) in a `Cookie` header,
/// in every field the platform joined into it.
pub fn cookie_values<'h>(header: &'h str, name: &'h str) -> impl Iterator<Item = &'h str> + 'h {
    cookie_pairs(header).filter_map(move |(_, pair)| match cookie_name_value(pair) {
        (n, Some(v)) if reads_as_name(n, name) => Some(v),
        _ => None,
    })
}

/// The `Cookie` header without any token cookie (every pair whose name [`reads_as_name`]
/// `name`, in every joined field), every other pair kept byte for byte with its separator;
/// `None` when nothing is left.
pub fn cookie_without(header: &str, name: &str) -> Option<String> {
    let mut kept = String::with_capacity(header.len());
    for (separator, pair) in cookie_pairs(header) {
        let (n, _) = cookie_name_value(pair);
        if pair.trim().is_empty() || reads_as_name(n, name) {
            continue;
        }
        if kept.is_empty() {
            kept.push_str(pair.trim_start());
        } else {
            kept.push_str(separator);
            kept.push_str(pair);
        }
    }
    let kept = kept.trim_end();
    (!kept.is_empty()).then(|| kept.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head<'a>(auth: Option<&'a str>, cookie: Option<&'a str>) -> RequestHead<'a> {
        RequestHead {
            method: "GET",
            authorization: auth,
            cookie,
            ..RequestHead::default()
        }
    }

    #[test]
    fn bearer_parsing_is_strict() {
        assert_eq!(
            credential(&head(Some("Bearer abc.def.ghi"), None), None),
            Ok(Some("abc.def.ghi"))
        );
        assert_eq!(
            credential(&head(Some("bearer   abc"), None), None),
            Ok(Some("abc"))
        );
        assert_eq!(
            credential(&head(Some("Basic dXNlcjpwdw=="), None), None),
            Ok(None)
        );
        for bad in [
            "Bearer",
            "Bearer ",
            "Bearer a b",
            "Bearer a, Bearer b",
            "Bearer a\"b",
        ] {
            assert_eq!(
                credential(&head(Some(bad), None), None),
                Err(Denial::MalformedAuthorization),
                "{bad}"
            );
        }
    }

    #[test]
    fn dpop_tokens_come_from_the_dpop_scheme_and_only_once() {
        assert_eq!(
            presented_credential(&head(Some("DPoP abc.def.ghi"), None), None),
            Ok(Some((Scheme::Dpop, "abc.def.ghi")))
        );
        assert_eq!(
            presented_credential(&head(Some("Bearer abc"), None), None),
            Ok(Some((Scheme::Bearer, "abc")))
        );
        assert_eq!(
            presented_credential(&head(Some("DPoP a b"), None), None),
            Err(Denial::MalformedAuthorization)
        );
        assert_eq!(
            presented_credential(&head(Some("DPoP abc"), Some("pc=x")), Some("pc")),
            Err(Denial::ConflictingCredentials)
        );
        // The admin API's credential is a bearer token only.
        assert_eq!(credential(&head(Some("DPoP abc"), None), None), Ok(None));
    }

    #[test]
    fn a_request_names_its_credential_once() {
        let c = Some("theme=dark; pc=tok1");
        assert_eq!(credential(&head(None, c), Some("pc")), Ok(Some("tok1")));
        assert_eq!(credential(&head(None, c), None), Ok(None));
        // Header and cookie together are refused even when equal (this test used to accept
        // an equal pair; issue 10 item 8 makes it a conflict).
        for auth in ["Bearer tok1", "Bearer tok2"] {
            assert_eq!(
                credential(&head(Some(auth), c), Some("pc")),
                Err(Denial::ConflictingCredentials),
                "{auth}"
            );
        }
        assert_eq!(
            credential(&head(None, Some("pc=a; pc=b")), Some("pc")),
            Err(Denial::ConflictingCredentials)
        );
        assert_eq!(
            credential(&head(None, Some("pc=a; pc=a")), Some("pc")),
            Ok(Some("a"))
        );
        // Without a cookie name configured, cookies are not credentials.
        assert_eq!(
            credential(&head(Some("Bearer tok1"), c), None),
            Ok(Some("tok1"))
        );
    }

    #[test]
    fn token_cookies_are_found_in_every_joined_cookie_field() {
        // The platform joins repeated Cookie fields with ", ".
        for header in [
            "theme=dark, pc=tok1",
            "a=1; b=2, pc=tok1; c=3",
            "pc=tok1,a=1",
            "a=1, pc.tok=x",
        ] {
            let found: Vec<&str> = cookie_values(header, "pc").collect();
            let expected: &[&str] = if header.contains("pc=tok1") {
                &["tok1"]
            } else {
                &[]
            };
            assert_eq!(found, expected, "{header}");
            assert_eq!(
                credential(&head(Some("Bearer tok1"), Some(header)), Some("pc")).is_err(),
                !expected.is_empty(),
                "{header}"
            );
        }
        assert_eq!(
            credential(&head(None, Some("pc=a, pc=b")), Some("pc")),
            Err(Denial::ConflictingCredentials)
        );
        // A framework may read these names as the cookie `pc_token` too.
        for spelling in [
            "pc.token",
            "PC_TOKEN",
            "pc%5Ftoken",
            "pc_token[]",
            "pc token",
        ] {
            let header = format!("a=1, {spelling}=t2");
            assert_eq!(
                credential(&head(None, Some(&header)), Some("pc_token")),
                Ok(Some("t2")),
                "{spelling}"
            );
            assert_eq!(cookie_without(&header, "pc_token").as_deref(), Some("a=1"));
        }
        // A configured name is matched by the same rules, so it always matches itself.
        assert_eq!(cookie_values("a.b=1", "a.b").collect::<Vec<_>>(), ["1"]);
        assert_eq!(cookie_values("a_b=1", "a.b").collect::<Vec<_>>(), ["1"]);
    }

    /// Each row: a query string, and whether a common framework reads `access_token` in it.
    const QUERY_TOKEN_CASES: &[(&str, bool)] = &[
        ("access_token=x", true),
        ("a=1&access_token=x", true),
        ("ACCESS_TOKEN=x", true),
        ("Access_Token=x", true),
        ("access_token", true),
        ("access_token=", true),
        // `;` separators (Rack before 3, Python before 3.9.2, Go before 1.17).
        ("a=1;access_token=x", true),
        ("a=1; access_token=x", true),
        // Percent-encoded names, `+` and `%u` (IIS).
        ("access%5Ftoken=x", true),
        ("access%5ftoken=x", true),
        ("%61ccess_token=x", true),
        ("%41CCESS%5FTOKEN=x", true),
        ("access%u005Ftoken=x", true),
        // PHP rewrites ` ` and `.` to `_`, drops leading spaces, cuts at NUL.
        ("access.token=x", true),
        ("access+token=x", true),
        ("access%20token=x", true),
        ("access%2Etoken=x", true),
        ("+access_token=x", true),
        ("%20access_token=x", true),
        ("access_token%00junk=x", true),
        // Arrays (PHP, Rack, qs), and PHP's `[` without `]`.
        ("access_token[]=x", true),
        ("access_token[x]=y", true),
        ("access_token%5B%5D=x", true),
        ("access%5B%5Dtoken=x", false),
        ("access[token=x", true),
        // Not the token parameter.
        ("token=x&access=1", false),
        ("access_tokens=x", false),
        ("my_access_token=x", false),
        ("x=access_token", false),
        ("a=access_token=x", false),
        ("access-token=x", false),
        ("access_toke=n", false),
        ("", false),
        ("%", false),
        ("%u", false),
        ("access_token%", false),
    ];

    #[test]
    fn query_tokens_are_found_in_every_spelling_a_framework_reads() {
        for &(query, expected) in QUERY_TOKEN_CASES {
            assert_eq!(query_names_token(query), expected, "{query:?}");
            let head = RequestHead {
                query: Some(query),
                ..RequestHead::default()
            };
            assert_eq!(
                screen(&head, None) == Err(Denial::TokenInQuery),
                expected,
                "{query:?}"
            );
        }
    }

    #[test]
    fn a_preflight_header_named_in_connection_is_not_a_preflight() {
        assert_eq!(preflight_method(Some("PUT"), None), Some("PUT"));
        assert_eq!(
            preflight_method(Some("PUT"), Some("keep-alive")),
            Some("PUT")
        );
        for connection in [
            "Access-Control-Request-Method",
            "keep-alive, access-control-request-method",
            "access_control_request_method",
        ] {
            assert_eq!(
                preflight_method(Some("PUT"), Some(connection)),
                None,
                "{connection}"
            );
        }
        assert_eq!(preflight_method(None, Some("close")), None);
    }

    #[test]
    fn cookie_stripping_keeps_other_cookies() {
        assert_eq!(
            cookie_without("a=1; pc=tok; b=2", "pc").as_deref(),
            Some("a=1; b=2")
        );
        assert_eq!(cookie_without("pc=tok", "pc"), None);
        // Every joined field; other pairs kept byte for byte with their separators.
        for (header, kept) in [
            ("a=1, pc=tok; b=2", Some("a=1; b=2")),
            ("pc=tok, a=1", Some("a=1")),
            ("a=1;b=2, pc=tok", Some("a=1;b=2")),
            ("pc=tok, pc=tok", None),
            ("a=1, pc=tok, b=2; pc=tok", Some("a=1, b=2")),
            (";pc=tok;", None),
            (
                "pc=tok; prefs={\"x\":1,\"y\":2}",
                Some("prefs={\"x\":1,\"y\":2}"),
            ),
        ] {
            assert_eq!(cookie_without(header, "pc").as_deref(), kept, "{header}");
        }
    }
}
