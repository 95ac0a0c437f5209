//! A rule's `auth` and `signed` fields: which signed-link format a rule accepts instead of a
//! bearer token, and that format's options. Every rule field this feature adds lives here, so
//! the rest of the rule parser only hands these two members over.
//!
//! ```json
//! { "match": "GET,HEAD /media/**", "auth": "signed_url" }
//! { "match": "GET /tokenauth/*", "auth": "cloudflare_hmac_v0", "signed": { "ttl_s": 60 } }
//! { "match": "GET /vod/**", "auth": "akamai_edgeauth2", "signed": { "mode": "acl" } }
//! ```
//!
//! - `auth`: `"token"` (the default: a bearer token), `"signed_url"` (Portcullis signed URLs
//!   and signed cookies, keys from the token key ring), `"cloudflare_hmac_v0"` or
//!   `"akamai_edgeauth2"` (links minted elsewhere, keys in their own settings).
//! - `signed` (only with the two compatibility formats), all members optional:
//!   - `cloudflare_hmac_v0`: `param` (default `"verify"`: the separator is `?verify=` or
//!     `&verify=`), `ttl_s` (default 60), `urlsafe` (default false: the `s` flag).
//!   - `akamai_edgeauth2`: `mode` (`"acl"`, default, or `"url"`), `token_name` (default
//!     `"__token__"`), `location` (`"query"`, default, `"cookie"` or `"header"`),
//!     `field_delimiter` (default `"~"`), `acl_delimiter` (default `"!"`).

use serde_json::{Map, Value};

use super::config_error::RouteConfigError;

/// A signed-link format a rule accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignedFormat {
    /// Portcullis signed URLs and cookies, keyed by the token key ring.
    Portcullis,
    /// Cloudflare's `is_timed_hmac_valid_v0`.
    CloudflareHmacV0(CloudflareOptions),
    /// Akamai EdgeAuth / Auth Token 2.0.
    AkamaiEdgeAuth2(AkamaiOptions),
}

impl SignedFormat {
    /// The name as configured (`auth = "…"`), for logs and the console.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Portcullis => "signed_url",
            Self::CloudflareHmacV0(_) => "cloudflare_hmac_v0",
            Self::AkamaiEdgeAuth2(_) => "akamai_edgeauth2",
        }
    }
}

/// Options of a `cloudflare_hmac_v0` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudflareOptions {
    /// The query parameter that carries `<timestamp>-<mac>`; the separator is `?param=` or
    /// `&param=`, so its length is `param.len() + 2` (Cloudflare's `separator_len`).
    pub param: String,
    /// Seconds a link lives after its timestamp.
    pub ttl_s: u64,
    /// The `s` flag: the MAC in URL-safe base64 without padding.
    pub urlsafe: bool,
}

/// What an Akamai token is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AkamaiMode {
    /// The token carries `acl=` patterns the path must match.
    Acl,
    /// The token is bound to the request path (`url=` in the MAC input, not in the token).
    Url,
}

/// Where an Akamai token travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenLocation {
    /// A query parameter named `token_name`.
    Query,
    /// A cookie named `token_name`.
    Cookie,
    /// A request header named `token_name`.
    Header,
}

/// Options of an `akamai_edgeauth2` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AkamaiOptions {
    /// ACL or URL mode.
    pub mode: AkamaiMode,
    /// The query parameter, cookie or header name.
    pub token_name: String,
    /// Where the token is read.
    pub location: TokenLocation,
    /// Between token fields (default `~`).
    pub field_delimiter: char,
    /// Between ACL patterns (default `!`).
    pub acl_delimiter: char,
}

/// Reads `auth` and `signed` of rule `index`: `None` for a token rule.
pub(super) fn parse_auth(
    index: usize,
    object: &Map<String, Value>,
) -> Result<Option<SignedFormat>, RouteConfigError> {
    let auth = match object.get("auth") {
        None => "token",
        Some(Value::String(s)) => s.as_str(),
        Some(_) => {
            return Err(RouteConfigError::WrongType {
                index,
                field: "auth",
                expected: "a string",
            })
        }
    };
    let empty = Map::new();
    let options = match object.get("signed") {
        None => &empty,
        Some(Value::Object(o)) => o,
        Some(_) => {
            return Err(RouteConfigError::WrongType {
                index,
                field: "signed",
                expected: "a table of options",
            })
        }
    };
    let opts = Options { index, options };
    let format = match auth {
        "token" => None,
        "signed_url" => Some(SignedFormat::Portcullis),
        "cloudflare_hmac_v0" => {
            opts.only(&["param", "ttl_s", "urlsafe"])?;
            let param = opts.string("param", "verify")?;
            if param.is_empty()
                || !param
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                return Err(opts.invalid("param", "letters, digits or `_`"));
            }
            Some(SignedFormat::CloudflareHmacV0(CloudflareOptions {
                param,
                // Cloudflare's function takes any lifetime; ten years bounds the arithmetic.
                ttl_s: opts.number("ttl_s", 60, 1..=315_360_000)?,
                urlsafe: opts.boolean("urlsafe")?,
            }))
        }
        "akamai_edgeauth2" => {
            opts.only(&[
                "mode",
                "token_name",
                "location",
                "field_delimiter",
                "acl_delimiter",
            ])?;
            let mode = match opts.string("mode", "acl")?.as_str() {
                "acl" => AkamaiMode::Acl,
                "url" => AkamaiMode::Url,
                _ => return Err(opts.invalid("mode", "\"acl\" or \"url\"")),
            };
            let location = match opts.string("location", "query")?.as_str() {
                "query" => TokenLocation::Query,
                "cookie" => TokenLocation::Cookie,
                "header" => TokenLocation::Header,
                _ => return Err(opts.invalid("location", "\"query\", \"cookie\" or \"header\"")),
            };
            let token_name = opts.string("token_name", "__token__")?;
            let name_ok = !token_name.is_empty()
                && token_name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
            if !name_ok {
                return Err(opts.invalid("token_name", "letters, digits, `_`, `-` or `.`"));
            }
            Some(SignedFormat::AkamaiEdgeAuth2(AkamaiOptions {
                mode,
                token_name,
                location,
                field_delimiter: opts.delimiter("field_delimiter", '~')?,
                acl_delimiter: opts.delimiter("acl_delimiter", '!')?,
            }))
        }
        other => {
            return Err(RouteConfigError::UnknownAuth {
                index,
                auth: other.to_owned(),
            })
        }
    };
    let takes_options = matches!(
        format,
        Some(SignedFormat::CloudflareHmacV0(_) | SignedFormat::AkamaiEdgeAuth2(_))
    );
    if object.contains_key("signed") && !takes_options {
        return Err(opts.invalid("signed", "only with a compatibility `auth` format"));
    }
    Ok(format)
}

/// The `signed` table of one rule, read member by member.
struct Options<'a> {
    index: usize,
    options: &'a Map<String, Value>,
}

impl Options<'_> {
    fn invalid(&self, option: &'static str, expected: &'static str) -> RouteConfigError {
        RouteConfigError::InvalidSignedOption {
            index: self.index,
            option: option.to_owned(),
            expected,
        }
    }

    fn only(&self, known: &[&str]) -> Result<(), RouteConfigError> {
        match self.options.keys().find(|k| !known.contains(&k.as_str())) {
            Some(unknown) => Err(RouteConfigError::InvalidSignedOption {
                index: self.index,
                option: unknown.clone(),
                expected: "a known option of this format",
            }),
            None => Ok(()),
        }
    }

    fn string(&self, name: &'static str, default: &str) -> Result<String, RouteConfigError> {
        match self.options.get(name) {
            None => Ok(default.to_owned()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(self.invalid(name, "a string")),
        }
    }

    fn boolean(&self, name: &'static str) -> Result<bool, RouteConfigError> {
        match self.options.get(name) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(self.invalid(name, "a boolean")),
        }
    }

    fn number(
        &self,
        name: &'static str,
        default: u64,
        range: core::ops::RangeInclusive<u64>,
    ) -> Result<u64, RouteConfigError> {
        match self.options.get(name) {
            None => Ok(default),
            Some(Value::Number(n)) => n
                .as_u64()
                .filter(|v| range.contains(v))
                .ok_or_else(|| self.invalid(name, "a whole number of seconds, 1 to 315360000")),
            Some(_) => Err(self.invalid(name, "a whole number of seconds, 1 to 315360000")),
        }
    }

    fn delimiter(&self, name: &'static str, default: char) -> Result<char, RouteConfigError> {
        let text = self.string(name, &default.to_string())?;
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_ascii_punctuation() && c != '=' => Ok(c),
            _ => Err(self.invalid(name, "one ASCII punctuation character other than `=`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::routes::test_support::{config_error, table};
    use crate::routes::{Access, RouteConfigError};
    use serde_json::json;

    use super::*;

    #[test]
    fn a_rule_chooses_its_signed_format_with_defaults() {
        let t = table(json!([
            { "match": "GET /a/**", "auth": "signed_url" },
            { "match": "GET /b/*", "auth": "cloudflare_hmac_v0", "signed": { "ttl_s": 120, "urlsafe": true } },
            { "match": "GET /c/**", "auth": "akamai_edgeauth2", "signed": { "mode": "url", "location": "cookie" } },
            { "match": "GET /d", "auth": "token", "scopes": ["x"] },
        ]));
        assert_eq!(
            t.rules()[0].access(),
            &Access::Signed(SignedFormat::Portcullis)
        );
        assert_eq!(
            t.rules()[1].access(),
            &Access::Signed(SignedFormat::CloudflareHmacV0(CloudflareOptions {
                param: "verify".into(),
                ttl_s: 120,
                urlsafe: true
            }))
        );
        let Access::Signed(SignedFormat::AkamaiEdgeAuth2(a)) = t.rules()[2].access() else {
            panic!("akamai rule");
        };
        assert_eq!(
            (
                a.mode,
                a.location,
                a.token_name.as_str(),
                a.field_delimiter,
                a.acl_delimiter
            ),
            (
                AkamaiMode::Url,
                TokenLocation::Cookie,
                "__token__",
                '~',
                '!'
            )
        );
        assert_eq!(t.rules()[3].access().required_scopes(), ["x"]);
    }

    #[test]
    fn bad_signed_options_are_refused_by_name() {
        let option = |e: RouteConfigError| match e {
            RouteConfigError::InvalidSignedOption { option, .. } => option,
            other => panic!("{other:?}"),
        };
        for (rule, name) in [
            (
                json!({ "match": "GET /b", "auth": "cloudflare_hmac_v0", "signed": { "ttl": 5 } }),
                "ttl",
            ),
            (
                json!({ "match": "GET /b", "auth": "cloudflare_hmac_v0", "signed": { "ttl_s": 0 } }),
                "ttl_s",
            ),
            (
                json!({ "match": "GET /b", "auth": "cloudflare_hmac_v0", "signed": { "param": "a=b" } }),
                "param",
            ),
            (
                json!({ "match": "GET /b", "auth": "akamai_edgeauth2", "signed": { "mode": "ACL" } }),
                "mode",
            ),
            (
                json!({ "match": "GET /b", "auth": "akamai_edgeauth2", "signed": { "field_delimiter": "~~" } }),
                "field_delimiter",
            ),
            (
                json!({ "match": "GET /b", "auth": "akamai_edgeauth2", "signed": { "location": "body" } }),
                "location",
            ),
            (
                json!({ "match": "GET /b", "auth": "signed_url", "signed": {} }),
                "signed",
            ),
            (
                json!({ "match": "GET /b", "signed": { "ttl_s": 5 } }),
                "signed",
            ),
        ] {
            assert_eq!(option(config_error(json!([rule]))), name);
        }
        assert!(matches!(
            config_error(json!([{ "match": "GET /b", "auth": "jwt" }])),
            RouteConfigError::UnknownAuth { index: 0, .. }
        ));
        assert!(matches!(
            config_error(json!([{ "match": "GET /b", "auth": "signed_url", "scopes": ["a"] }])),
            RouteConfigError::AuthWithScopes { index: 0 }
        ));
        assert!(matches!(
            config_error(json!([{ "match": "GET /b", "auth": "signed_url", "public": true }])),
            RouteConfigError::AuthWithScopes { index: 0 }
        ));
    }
}
