//! The gate's configuration, read from named settings (Worker vars and secrets, or a
//! `wrangler.toml` plus `.dev.vars` for `portcullis check-config`).
//!
//! Errors name the setting and the rule it breaks, never the value: a setting may be a secret.

use core::fmt;

use serde_json::Value;

use crate::jwt::keyring::{Alg, Key, Keyring};
use crate::jwt::verify::VerifyPolicy;
use crate::routes::RouteTable;

/// Setting names. Users write these in their config; they are stable.
pub mod names {
    /// Secret: the JWK Set of verification keys.
    pub const KEYS: &str = "PORTCULLIS_KEYS";
    /// Secret: the HS256 JWK that signs identity assertions for the origin.
    pub const ORIGIN_KEY: &str = "PORTCULLIS_ORIGIN_KEY";
    /// Var: where authorized requests go; unset, they go on to their own URL.
    pub const ORIGIN_URL: &str = "ORIGIN_URL";
    /// Var: the audience tokens must be for.
    pub const AUDIENCE: &str = "PORTCULLIS_AUDIENCE";
    /// Var: the issuer tokens must come from.
    pub const ISSUER: &str = "PORTCULLIS_ISSUER";
    /// Var: allowed clock skew, seconds.
    pub const LEEWAY_S: &str = "PORTCULLIS_LEEWAY_S";
    /// Var: longest token lifetime accepted, seconds.
    pub const MAX_TTL_S: &str = "PORTCULLIS_MAX_TTL_S";
    /// Var: the ordered route rules.
    pub const ROUTES: &str = "PORTCULLIS_ROUTES";
    /// Var: a cookie to read the token from.
    pub const COOKIE: &str = "PORTCULLIS_COOKIE";
    /// Var: the realm in `WWW-Authenticate`.
    pub const REALM: &str = "PORTCULLIS_REALM";
    /// Var: the path prefix of the admin API and console.
    pub const ADMIN_PREFIX: &str = "PORTCULLIS_ADMIN_PREFIX";
    /// Var: how often an isolate refreshes its revocation snapshot, seconds.
    pub const REVOCATION_REFRESH_S: &str = "PORTCULLIS_REVOCATION_REFRESH_S";
    /// Var: the oldest snapshot an isolate may decide with, seconds.
    pub const REVOCATION_MAX_AGE_S: &str = "PORTCULLIS_REVOCATION_MAX_AGE_S";
    /// Var: how long to wait for the origin, milliseconds.
    pub const ORIGIN_TIMEOUT_MS: &str = "PORTCULLIS_ORIGIN_TIMEOUT_MS";
}

/// Defaults for the optional settings.
pub mod defaults {
    /// One hour: short-lived means short, and it bounds how long revocations are kept.
    pub const MAX_TTL_S: u64 = 3600;
    /// Ten seconds between snapshot refreshes per isolate.
    pub const REVOCATION_REFRESH_S: u64 = 10;
    /// Five minutes: past this an isolate that cannot refresh fails closed.
    pub const REVOCATION_MAX_AGE_S: u64 = 300;
    /// Thirty seconds for the origin to start answering.
    pub const ORIGIN_TIMEOUT_MS: u64 = 30_000;
    /// The admin API and console live under this prefix.
    pub const ADMIN_PREFIX: &str = "/_portcullis";
    /// The realm named in challenges.
    pub const REALM: &str = "portcullis";
}

/// Why the configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// A required setting is absent.
    Missing(&'static str),
    /// A setting is present but unusable; `reason` never contains its value.
    Invalid {
        /// The setting's name.
        setting: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

impl ConfigError {
    /// The setting this error is about.
    pub fn setting(&self) -> &'static str {
        match self {
            ConfigError::Missing(s) | ConfigError::Invalid { setting: s, .. } => s,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Missing(s) => write!(f, "{s} is not set"),
            ConfigError::Invalid { setting, reason } => write!(f, "{setting}: {reason}"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Revocation refresh settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevocationSettings {
    /// Seconds between refreshes of an isolate's snapshot.
    pub refresh_s: u64,
    /// Oldest snapshot an isolate may decide with.
    pub max_age_s: u64,
}

/// Everything the gate needs, validated.
#[derive(Debug, Clone)]
pub struct GateConfig {
    /// Verification keys.
    pub keyring: Keyring,
    /// Verification rules.
    pub verify: VerifyPolicy,
    /// Route rules.
    pub routes: RouteTable,
    /// The origin, if not the request's own URL. No trailing slash.
    pub origin_url: Option<String>,
    /// The key of the identity assertion (HS256).
    pub origin_key: Key,
    /// The cookie the token may come in.
    pub cookie: Option<String>,
    /// The realm named in `WWW-Authenticate`.
    pub realm: String,
    /// The admin prefix, starting with `/`, no trailing slash.
    pub admin_prefix: String,
    /// Revocation refresh settings.
    pub revocation: RevocationSettings,
    /// Origin timeout in milliseconds.
    pub origin_timeout_ms: u64,
}

fn invalid(setting: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        setting,
        reason: reason.into(),
    }
}

/// Reads a setting that holds JSON text (a secret or a string var) or is JSON already (a
/// structured var).
fn json_setting(
    get: &impl Fn(&str) -> Option<Value>,
    name: &'static str,
) -> Result<Option<Value>, ConfigError> {
    match get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
        Some(Value::String(text)) => crate::codec::json::parse_value(text.as_bytes())
            .map(Some)
            .map_err(|p| invalid(name, format!("not valid JSON ({p:?})"))),
        Some(other) => Ok(Some(other)),
    }
}

fn string_setting(
    get: &impl Fn(&str) -> Option<Value>,
    name: &'static str,
) -> Result<Option<String>, ConfigError> {
    match get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(_) => Err(invalid(name, "must be a string")),
    }
}

fn seconds_setting(
    get: &impl Fn(&str) -> Option<Value>,
    name: &'static str,
    default: u64,
    range: core::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    let value = match get(name) {
        None | Some(Value::Null) => return Ok(default),
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(default),
        Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
        Some(_) => None,
    };
    match value {
        Some(v) if range.contains(&v) => Ok(v),
        _ => Err(invalid(
            name,
            format!(
                "must be a whole number from {} to {}",
                range.start(),
                range.end()
            ),
        )),
    }
}

/// Whether `name` is a valid cookie name (an RFC 6265 token).
fn is_cookie_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
}

/// Loads and validates the gate's configuration. `get` returns a setting by name: a string
/// for secrets and plain vars, any JSON value for structured vars.
pub fn load(get: impl Fn(&str) -> Option<Value>) -> Result<GateConfig, ConfigError> {
    use names::*;
    let keys = json_setting(&get, KEYS)?.ok_or(ConfigError::Missing(KEYS))?;
    let keys = keys
        .as_object()
        .ok_or_else(|| invalid(KEYS, "must be a JWK Set object"))?;
    let keyring = Keyring::from_jwks_value(keys).map_err(|e| invalid(KEYS, e.to_string()))?;

    let origin_key = json_setting(&get, ORIGIN_KEY)?.ok_or(ConfigError::Missing(ORIGIN_KEY))?;
    let origin_key = Keyring::from_jwk(&origin_key.to_string())
        .map_err(|e| invalid(ORIGIN_KEY, e.to_string()))?
        .keys()[0]
        .clone();
    if origin_key.alg() != Alg::HS256 {
        return Err(invalid(
            ORIGIN_KEY,
            "must be an HS256 key (the identity assertion is HS256)",
        ));
    }

    let routes = json_setting(&get, ROUTES)?.ok_or(ConfigError::Missing(ROUTES))?;
    let routes = RouteTable::from_json(&routes).map_err(|e| invalid(ROUTES, e.to_string()))?;

    let origin_url = match string_setting(&get, ORIGIN_URL)? {
        None => None,
        Some(url) => {
            let rest = url
                .strip_prefix("https://")
                .or_else(|| url.strip_prefix("http://"));
            match rest {
                Some(host)
                    if !host.is_empty() && !url.contains(['?', '#']) && !host.starts_with('/') =>
                {
                    Some(url.trim_end_matches('/').to_owned())
                }
                _ => {
                    return Err(invalid(
                        ORIGIN_URL,
                        "must be an http:// or https:// URL without query or fragment",
                    ))
                }
            }
        }
    };

    let cookie = string_setting(&get, COOKIE)?;
    if let Some(c) = &cookie {
        if !is_cookie_name(c) {
            return Err(invalid(COOKIE, "is not a valid cookie name"));
        }
    }
    let realm = string_setting(&get, REALM)?.unwrap_or_else(|| defaults::REALM.to_owned());
    if realm.contains(['"', '\\']) || realm.chars().any(char::is_control) {
        return Err(invalid(
            REALM,
            "must not contain quotes, backslashes or control characters",
        ));
    }
    let admin_prefix =
        string_setting(&get, ADMIN_PREFIX)?.unwrap_or_else(|| defaults::ADMIN_PREFIX.to_owned());
    let admin_prefix = admin_prefix.trim_end_matches('/').to_owned();
    let prefix_ok = admin_prefix.len() > 1
        && admin_prefix.starts_with('/')
        && crate::routes::normalize_path(&admin_prefix).is_ok_and(|p| p.as_str() == admin_prefix);
    if !prefix_ok {
        return Err(invalid(
            ADMIN_PREFIX,
            "must be a normalized path like /_portcullis",
        ));
    }

    let leeway = seconds_setting(&get, LEEWAY_S, 0, 0..=300)?;
    let max_ttl = seconds_setting(&get, MAX_TTL_S, defaults::MAX_TTL_S, 1..=7 * 86_400)?;
    let verify = VerifyPolicy {
        audience: string_setting(&get, AUDIENCE)?,
        issuer: string_setting(&get, ISSUER)?,
        leeway,
        max_ttl: Some(max_ttl),
        ..VerifyPolicy::default()
    };
    let refresh_s = seconds_setting(
        &get,
        REVOCATION_REFRESH_S,
        defaults::REVOCATION_REFRESH_S,
        1..=3600,
    )?;
    let max_age_s = seconds_setting(
        &get,
        REVOCATION_MAX_AGE_S,
        defaults::REVOCATION_MAX_AGE_S,
        1..=86_400,
    )?;
    if max_age_s < refresh_s {
        return Err(invalid(
            REVOCATION_MAX_AGE_S,
            format!("must be at least {REVOCATION_REFRESH_S}"),
        ));
    }
    let origin_timeout_ms = seconds_setting(
        &get,
        ORIGIN_TIMEOUT_MS,
        defaults::ORIGIN_TIMEOUT_MS,
        1..=600_000,
    )?;

    Ok(GateConfig {
        keyring,
        verify,
        routes,
        origin_url,
        origin_key,
        cookie,
        realm,
        admin_prefix,
        revocation: RevocationSettings {
            refresh_s,
            max_age_s,
        },
        origin_timeout_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    fn jwk(kid: &str, byte: u8) -> Value {
        json!({"kty":"oct","kid":kid,"alg":"HS256","k":crate::codec::b64::encode([byte; 32])})
    }

    fn base() -> HashMap<&'static str, Value> {
        HashMap::from([
            (
                names::KEYS,
                Value::String(json!({"keys":[jwk("a", 1)]}).to_string()),
            ),
            (
                names::ORIGIN_KEY,
                Value::String(jwk("origin", 2).to_string()),
            ),
            (
                names::ROUTES,
                json!([{"match":"GET /health","public":true}]),
            ),
        ])
    }

    fn load_map(m: &HashMap<&'static str, Value>) -> Result<GateConfig, ConfigError> {
        load(|name| m.get(name).cloned())
    }

    #[test]
    fn loads_with_defaults() {
        let c = load_map(&base()).unwrap();
        assert_eq!(c.verify.max_ttl, Some(defaults::MAX_TTL_S));
        assert_eq!(c.admin_prefix, "/_portcullis");
        assert_eq!(c.origin_url, None);
    }

    #[test]
    fn numbers_may_be_strings_or_numbers() {
        let mut m = base();
        m.insert(names::LEEWAY_S, json!("5"));
        m.insert(names::MAX_TTL_S, json!(600));
        let c = load_map(&m).unwrap();
        assert_eq!((c.verify.leeway, c.verify.max_ttl), (5, Some(600)));
        m.insert(names::LEEWAY_S, json!("-1"));
        assert_eq!(load_map(&m).unwrap_err().setting(), names::LEEWAY_S);
    }

    #[test]
    fn errors_name_the_setting_never_the_value() {
        let weak = json!({"keys":[{"kty":"oct","kid":"w","alg":"HS256","k":"c2VjcmV0LXZhbHVl"}]})
            .to_string();
        let mut m = base();
        m.insert(names::KEYS, Value::String(weak));
        let err = load_map(&m).unwrap_err();
        assert_eq!(err.setting(), names::KEYS);
        assert!(!err.to_string().contains("c2VjcmV0LXZhbHVl"), "{err}");

        for missing in [names::KEYS, names::ORIGIN_KEY, names::ROUTES] {
            let mut m = base();
            m.remove(missing);
            assert_eq!(load_map(&m).unwrap_err(), ConfigError::Missing(missing));
        }
        let mut m = base();
        m.insert(names::ORIGIN_URL, json!("ftp://x"));
        assert_eq!(load_map(&m).unwrap_err().setting(), names::ORIGIN_URL);
        let mut m = base();
        m.insert(names::COOKIE, json!("a b"));
        assert_eq!(load_map(&m).unwrap_err().setting(), names::COOKIE);
        let mut m = base();
        m.insert(names::ROUTES, json!([{"match":"GET /x","scope":["typo"]}]));
        assert_eq!(load_map(&m).unwrap_err().setting(), names::ROUTES);
    }

    #[test]
    fn origin_key_must_be_hs256() {
        let mut m = base();
        let k = json!({"kty":"oct","alg":"HS512","k":crate::codec::b64::encode([3u8; 64])});
        m.insert(names::ORIGIN_KEY, Value::String(k.to_string()));
        assert_eq!(load_map(&m).unwrap_err().setting(), names::ORIGIN_KEY);
    }
}
