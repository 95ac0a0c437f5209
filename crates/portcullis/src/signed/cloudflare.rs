//! Cloudflare's `is_timed_hmac_valid_v0`, as its WAF rules evaluate it.
//!
//! The URI (path and query, as sent) ends with `?verify=` or `&verify=` (the separator:
//! `param` of the rule's options between `?`/`&` and `=`), then a 10-digit timestamp, `-`,
//! and the MAC. MAC = HMAC-SHA256(UTF-8 key, message ‖ timestamp), where message is the URI
//! before the separator; standard base64 URL-encoded (`%2B %2F %3D`), or with the `s` flag
//! URL-safe base64 without padding. Valid iff the MAC matches and `now < timestamp + ttl`.
//! The split is at the `-` that follows the 10 digits, since a URL-safe MAC may hold `-`.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::codec::percent;
use crate::routes::CloudflareOptions;

use super::error::SignedUrlError;

/// A link that verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloudflareLink {
    /// The signed timestamp.
    pub timestamp: i64,
    /// When it stops working: timestamp + ttl.
    pub expires: i64,
}

fn mac(key: &[u8], message: &str, timestamp: &str) -> Hmac<Sha256> {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    m.update(message.as_bytes());
    m.update(timestamp.as_bytes());
    m
}

/// Where the separator starts in `uri`, if it has one: the last `?param=` or `&param=`.
fn separator(uri: &str, param: &str) -> Option<usize> {
    let needle = format!("{param}=");
    uri.match_indices(needle.as_str())
        .map(|(at, _)| at)
        .filter(|&at| at > 0 && matches!(uri.as_bytes()[at - 1], b'?' | b'&'))
        .last()
        .map(|at| at - 1)
}

/// Verifies the link in `uri` (the request's path and query, as sent).
pub fn verify(
    key: &[u8],
    uri: &str,
    options: &CloudflareOptions,
    now: i64,
) -> Result<CloudflareLink, SignedUrlError> {
    let at = separator(uri, &options.param).ok_or(SignedUrlError::Missing)?;
    let message = &uri[..at];
    let rest = &uri[at + options.param.len() + 2..];
    let malformed = |what| SignedUrlError::Malformed { what };
    let (timestamp, tag) = match (rest.get(..10), rest.as_bytes().get(10), rest.get(11..)) {
        (Some(ts), Some(b'-'), Some(tag)) if ts.bytes().all(|b| b.is_ascii_digit()) => (ts, tag),
        _ => return Err(malformed("expected a 10-digit timestamp, `-` and the MAC")),
    };
    let tag = if options.urlsafe {
        URL_SAFE_NO_PAD.decode(tag)
    } else {
        let decoded = percent::decode_form_component(tag.as_bytes())
            .map_err(|_| malformed("the MAC is not URL-encoded base64"))?;
        STANDARD.decode(decoded)
    }
    .map_err(|_| malformed("the MAC is not base64 in the configured alphabet"))?;
    mac(key, message, timestamp)
        .verify_slice(&tag)
        .map_err(|_| SignedUrlError::Tampered)?;
    let timestamp: i64 = timestamp
        .parse()
        .map_err(|_| malformed("the timestamp is not a number"))?;
    let expires = timestamp.saturating_add(i64::try_from(options.ttl_s).unwrap_or(i64::MAX));
    if now >= expires {
        return Err(SignedUrlError::Expired { exp: expires, now });
    }
    Ok(CloudflareLink { timestamp, expires })
}

/// Signs `uri` (path and query without the token) at `timestamp`: the URI to send.
pub fn sign(key: &[u8], uri: &str, options: &CloudflareOptions, timestamp: i64) -> String {
    let timestamp = format!("{timestamp:010}");
    let tag = mac(key, uri, &timestamp).finalize().into_bytes();
    let encoded = if options.urlsafe {
        URL_SAFE_NO_PAD.encode(tag)
    } else {
        STANDARD
            .encode(tag)
            .replace('+', "%2B")
            .replace('/', "%2F")
            .replace('=', "%3D")
    };
    let join = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{join}{}={timestamp}-{encoded}", options.param)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(urlsafe: bool) -> CloudflareOptions {
        CloudflareOptions {
            param: "verify".into(),
            ttl_s: 60,
            urlsafe,
        }
    }

    #[test]
    fn signing_reproduces_the_public_worked_example() {
        assert_eq!(
            sign(b"cloudflare", "/tokenauth/kayak.mp4", &options(false), 1_657_026_353),
            "/tokenauth/kayak.mp4?verify=1657026353-ZXJWAyFwAgJSY%2B5j3CkJE80TatA33E3MEH4D%2FkSnh7M%3D"
        );
    }

    #[test]
    fn the_last_separator_counts_and_a_uri_without_one_is_missing() {
        assert_eq!(separator("/a?verify=1&b=2&verify=3", "verify"), Some(15));
        assert_eq!(separator("/averify=1", "verify"), None);
        assert_eq!(
            verify(b"k", "/a?x=1", &options(false), 0),
            Err(SignedUrlError::Missing)
        );
        assert!(matches!(
            verify(b"k", "/a?verify=123-abc", &options(false), 0),
            Err(SignedUrlError::Malformed { .. })
        ));
    }
}
