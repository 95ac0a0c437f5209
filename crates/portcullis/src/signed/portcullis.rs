//! Portcullis signed URLs and signed cookies, keyed by the token key ring.
//!
//! A link is the resource URL plus these query parameters:
//!
//! | parameter | value |
//! |---|---|
//! | `pc_path` | the canonical path the link opens, or a prefix ending in `/*` |
//! | `pc_method` | the method; `GET` (the default) also allows `HEAD` |
//! | `pc_exp` | expiry, seconds since the epoch; valid while `now < pc_exp` |
//! | `pc_kid` | the key's `kid` (left out only with a one-key ring whose key has none) |
//! | `pc_cookie` | `1`: a prefix link that sets a signed cookie for the prefix |
//! | `pc_sig` | base64url (unpadded) HMAC, with the key's algorithm, of [`signing_input`] |
//!
//! The MAC covers every field above and the rest of the query in canonical order
//! ([`super::query::canonical`]), so no parameter can be added, dropped or changed.
//! Verification checks the MAC first (constant time), then believes the fields: method,
//! path, expiry, lifetime.
//!
//! A signed cookie (`pc_signed`) carries the same fields for a prefix:
//! `<exp>.<kid b64url>.<method>.<prefix b64url>.<sig>`, signed with the cookie flag and an
//! empty query, so the cookie link must carry no other query parameter.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::codec::{b64, percent};
use crate::jwt::keyring::{Key, Keyring, MAX_TAG_LEN};
use crate::routes::{normalize_path, NormalizedPath};

use super::error::SignedUrlError;
use super::query;

/// The query parameters of a signed link, taken out before forwarding.
pub const PARAMS: [&str; 6] = [
    "pc_path",
    "pc_method",
    "pc_exp",
    "pc_kid",
    "pc_cookie",
    "pc_sig",
];

/// The cookie a cookie link sets.
pub const COOKIE_NAME: &str = "pc_signed";

/// What a link opens: one path, or every path under a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathScope {
    /// This canonical path exactly.
    Exact(String),
    /// Every path starting with this canonical prefix, which ends in `/`.
    Prefix(String),
}

impl PathScope {
    /// Reads `pc_path`: a canonical path, or a canonical prefix followed by `*`.
    pub fn parse(text: &str) -> Result<PathScope, SignedUrlError> {
        let bad = SignedUrlError::Malformed {
            what: "pc_path is not a canonical path or a prefix ending in /*",
        };
        let (path, prefix) = match text.strip_suffix('*') {
            Some(p) if p.ends_with('/') => (p, true),
            Some(_) => return Err(bad),
            None => (text, false),
        };
        match normalize_path(path) {
            Ok(n) if n.as_str() == path && !path.contains('*') => Ok(if prefix {
                PathScope::Prefix(path.to_owned())
            } else {
                PathScope::Exact(path.to_owned())
            }),
            _ => Err(bad),
        }
    }

    /// The `pc_path` text.
    pub fn text(&self) -> String {
        match self {
            Self::Exact(p) => p.clone(),
            Self::Prefix(p) => format!("{p}*"),
        }
    }

    /// Whether the scope covers `path`.
    pub fn covers(&self, path: &NormalizedPath) -> bool {
        match self {
            Self::Exact(p) => path.as_str() == p,
            Self::Prefix(p) => path.as_str().starts_with(p.as_str()),
        }
    }
}

/// What a link signs, besides the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkFields {
    /// The method signed for (`GET` also allows `HEAD`).
    pub method: String,
    /// The path or prefix.
    pub scope: PathScope,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Whether this is a cookie link.
    pub cookie: bool,
}

/// The bytes the MAC covers.
pub fn signing_input(fields: &LinkFields, kid: Option<&str>, canonical_query: &str) -> String {
    format!(
        "portcullis-signed-url/1\n{}\n{}\n{}\n{}\n{}\n{}",
        fields.method,
        fields.scope.text(),
        if fields.cookie { "cookie" } else { "url" },
        canonical_query,
        fields.exp,
        kid.unwrap_or("")
    )
}

/// Characters a query value keeps as they are: unreserved, plus `/` and `*` for paths.
const VALUE_KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/')
    .remove(b'*');

fn encode_value(text: &str) -> String {
    utf8_percent_encode(text, VALUE_KEEP).to_string()
}

fn mac(key: &Key, input: &str) -> String {
    let mut tag = [0u8; MAX_TAG_LEN];
    let n = key.tag(input.as_bytes(), &mut tag);
    b64::encode(&tag[..n])
}

/// Signs a link: the query to send, `query` (the resource's own, kept as given) followed by
/// the signature parameters.
pub fn sign(key: &Key, fields: &LinkFields, query: Option<&str>) -> String {
    let input = signing_input(fields, key.kid(), &query::canonical(query, &PARAMS));
    let mut out = String::new();
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        out.push_str(q);
        out.push('&');
    }
    out.push_str(&format!("pc_path={}", encode_value(&fields.scope.text())));
    if fields.method != "GET" {
        out.push_str(&format!("&pc_method={}", encode_value(&fields.method)));
    }
    out.push_str(&format!("&pc_exp={}", fields.exp));
    if let Some(kid) = key.kid() {
        out.push_str(&format!("&pc_kid={}", encode_value(kid)));
    }
    if fields.cookie {
        out.push_str("&pc_cookie=1");
    }
    out.push_str(&format!("&pc_sig={}", mac(key, &input)));
    out
}

/// A link (or cookie) that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedLink {
    /// Its fields.
    pub fields: LinkFields,
    /// The `kid` of the ring key that verified it: what a key revocation goes by.
    pub key_id: Option<String>,
    /// The `kid` the link named (signed as named; `None` when it named none).
    pub named_kid: Option<String>,
}

/// The request as a link is checked against it.
#[derive(Debug, Clone, Copy)]
pub struct LinkRequest<'a> {
    /// The method.
    pub method: &'a str,
    /// The normalized path.
    pub path: &'a NormalizedPath,
    /// The query, as sent.
    pub query: Option<&'a str>,
}

/// Whether a query carries any Portcullis signature parameter.
pub fn has_link(query: Option<&str>) -> bool {
    query.is_some_and(|q| query::pairs(q).any(|p| PARAMS.contains(&query::name(p))))
}

/// Verifies the link in `request.query`. `max_ttl`: the longest remaining lifetime accepted.
pub fn verify(
    ring: &Keyring,
    request: &LinkRequest<'_>,
    max_ttl: u64,
    now: i64,
) -> Result<VerifiedLink, SignedUrlError> {
    let q = request.query.unwrap_or("");
    let mut found: [Option<&str>; 6] = [None; 6];
    for pair in query::pairs(q) {
        if let Some(i) = PARAMS.iter().position(|n| *n == query::name(pair)) {
            if found[i].replace(query::value(pair)).is_some() {
                return Err(SignedUrlError::Malformed {
                    what: "a signature parameter appears twice",
                });
            }
        }
    }
    let [path, method, exp, kid, cookie, sig] = found;
    let (Some(path), Some(exp), Some(sig)) = (path, exp, sig) else {
        return Err(if found.iter().any(Option::is_some) {
            SignedUrlError::Malformed {
                what: "pc_path, pc_exp or pc_sig is missing",
            }
        } else {
            SignedUrlError::Missing
        });
    };
    let decode = |v: &str, what| {
        percent::decode_form_component(v.as_bytes())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or(SignedUrlError::Malformed { what })
    };
    let fields = LinkFields {
        scope: PathScope::parse(&decode(path, "pc_path does not decode")?)?,
        method: match method {
            Some(m) => decode(m, "pc_method does not decode")?,
            None => "GET".to_owned(),
        },
        exp: parse_time(exp)?,
        cookie: match cookie {
            None => false,
            Some("1") => true,
            Some(_) => {
                return Err(SignedUrlError::Malformed {
                    what: "pc_cookie is not 1",
                })
            }
        },
    };
    let kid = kid
        .map(|k| decode(k, "pc_kid does not decode"))
        .transpose()?;
    let key = key_for(ring, kid.as_deref())?;
    let input = signing_input(&fields, kid.as_deref(), &query::canonical(Some(q), &PARAMS));
    check_mac(key, &input, sig)?;
    if fields.cookie && !query::canonical(Some(q), &PARAMS).is_empty() {
        return Err(SignedUrlError::Malformed {
            what: "a cookie link carries other query parameters",
        });
    }
    checked(fields, key, kid, request, max_ttl, now)
}

/// The `Set-Cookie` value for a verified cookie link: scoped to its prefix, HttpOnly,
/// Secure, SameSite=Lax (a player page on another site may embed the media), living until
/// the link's expiry.
pub fn cookie_for(link: &VerifiedLink, sig_query: Option<&str>, now: i64) -> Option<String> {
    let PathScope::Prefix(prefix) = &link.fields.scope else {
        return None;
    };
    let sig = query::pairs(sig_query?).find(|p| query::name(p) == "pc_sig")?;
    let value = format!(
        "{}.{}.{}.{}.{}",
        link.fields.exp,
        b64::encode(link.named_kid.as_deref().unwrap_or("")),
        link.fields.method,
        b64::encode(prefix),
        query::value(sig)
    );
    Some(format!(
        "{COOKIE_NAME}={value}; Path={prefix}; Max-Age={}; HttpOnly; Secure; SameSite=Lax",
        (link.fields.exp - now).max(0)
    ))
}

/// Verifies one `pc_signed` cookie value for `request`.
pub fn verify_cookie(
    ring: &Keyring,
    value: &str,
    request: &LinkRequest<'_>,
    max_ttl: u64,
    now: i64,
) -> Result<VerifiedLink, SignedUrlError> {
    let bad = SignedUrlError::Malformed {
        what: "the signed cookie is not five dot-separated fields",
    };
    let parts: Vec<&str> = value.split('.').collect();
    let [exp, kid, method, prefix, sig] = parts[..] else {
        return Err(bad);
    };
    let text = |field: &str| {
        b64::decode(field)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or(SignedUrlError::Malformed {
                what: "a signed cookie field does not decode",
            })
    };
    let kid = Some(text(kid)?).filter(|k| !k.is_empty());
    let fields = LinkFields {
        exp: parse_time(exp)?,
        method: method.to_owned(),
        scope: PathScope::parse(&format!("{}*", text(prefix)?))?,
        cookie: true,
    };
    let key = key_for(ring, kid.as_deref())?;
    check_mac(key, &signing_input(&fields, kid.as_deref(), ""), sig)?;
    checked(fields, key, kid, request, max_ttl, now)
}

/// The ring's key for a link naming `kid` (or none).
fn key_for<'r>(ring: &'r Keyring, kid: Option<&str>) -> Result<&'r Key, SignedUrlError> {
    ring.select(kid).map_err(|_| SignedUrlError::UnknownKeyId)
}

/// A link whose MAC `key` verified, once its fields hold for `request`: the one way both forms
/// (query and cookie) become a [`VerifiedLink`].
fn checked(
    fields: LinkFields,
    key: &Key,
    named_kid: Option<String>,
    request: &LinkRequest<'_>,
    max_ttl: u64,
    now: i64,
) -> Result<VerifiedLink, SignedUrlError> {
    check_fields(&fields, request, max_ttl, now)?;
    Ok(VerifiedLink {
        fields,
        key_id: key.kid().map(str::to_owned),
        named_kid,
    })
}

fn parse_time(text: &str) -> Result<i64, SignedUrlError> {
    let ok = !text.is_empty() && text.len() <= 12 && text.bytes().all(|b| b.is_ascii_digit());
    match ok.then(|| text.parse::<i64>().ok()).flatten() {
        Some(t) => Ok(t),
        None => Err(SignedUrlError::Malformed {
            what: "the expiry is not a whole number of seconds",
        }),
    }
}

fn check_mac(key: &Key, input: &str, sig: &str) -> Result<(), SignedUrlError> {
    let tag = b64::decode(sig).map_err(|_| SignedUrlError::Tampered)?;
    key.verify_tag(input.as_bytes(), &tag)
        .map_err(|_| SignedUrlError::Tampered)
}

/// The signed fields against the request, once the MAC has proved them.
fn check_fields(
    fields: &LinkFields,
    request: &LinkRequest<'_>,
    max_ttl: u64,
    now: i64,
) -> Result<(), SignedUrlError> {
    let method_ok =
        request.method == fields.method || (fields.method == "GET" && request.method == "HEAD");
    if !method_ok {
        return Err(SignedUrlError::WrongMethod {
            signed: fields.method.clone(),
            request: request.method.to_owned(),
        });
    }
    if !fields.scope.covers(request.path) {
        return Err(SignedUrlError::WrongPath);
    }
    if now >= fields.exp {
        return Err(SignedUrlError::Expired {
            exp: fields.exp,
            now,
        });
    }
    if fields.exp - now > i64::try_from(max_ttl).unwrap_or(i64::MAX) {
        return Err(SignedUrlError::LifetimeTooLong {
            exp: fields.exp,
            now,
            max: max_ttl,
        });
    }
    Ok(())
}
