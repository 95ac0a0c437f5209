//! Reading and checking every setting into a [`GateConfig`].

use serde_json::Value;

use crate::codec::json::JsonProblem;
use crate::jwt::error::KeyringError;
use crate::jwt::keyring::{Alg, Keyring};
use crate::jwt::verify::VerifyPolicy;
use crate::leaks::partner::ReporterKeys;
use crate::ratelimit::{RateKey, RateLimit, RateLimitConfigError};
use crate::routes::{Access, RouteTable, SignedFormat};
use crate::schema;
use crate::sender::dpop::DpopSettings;
use crate::sender::nonce::NonceIssuer;
use crate::signed::akamai::AkamaiAlgorithm;
use crate::signed::EdgeKeys;

use super::{defaults, names, AuditPolicy, ConfigError, GateConfig, RevocationSettings};

/// A setting as the loader sees it: JSON text (a secret, a string var, a `.dev.vars` line), a
/// JSON value (a structured var), or nothing (absent, null or blank).
enum JsonSetting {
    /// JSON text, for the consumer's strict parser.
    Text(String),
    /// A value already structured (a wrangler table or array).
    Value(Value),
}

/// Reads a setting that holds JSON text or is JSON already. The text is parsed by the
/// consumer (the key ring, the route table), each through the strict JSON layer, so a
/// duplicate member is refused in every setting and reported as that consumer's error.
fn json_setting(get: &impl Fn(&str) -> Option<Value>, name: &'static str) -> Option<JsonSetting> {
    match get(name) {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if text.trim().is_empty() => None,
        Some(Value::String(text)) => Some(JsonSetting::Text(text)),
        Some(other) => Some(JsonSetting::Value(other)),
    }
}

/// A string setting, trimmed; `None` when absent or blank.
fn string_setting(
    get: &impl Fn(&str) -> Option<Value>,
    name: &'static str,
) -> Result<Option<String>, ConfigError> {
    match get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(_) => Err(ConfigError::NotAString { setting: name }),
    }
}

/// A whole-number setting (a JSON number or a numeric string) within `range`, or `default`.
fn seconds_setting(
    get: &impl Fn(&str) -> Option<Value>,
    name: &'static str,
    default: u64,
    range: core::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    let (min, max) = (*range.start(), *range.end());
    let value = match get(name) {
        None | Some(Value::Null) => return Ok(default),
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(default),
        Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
        Some(_) => None,
    };
    match value {
        Some(v) if range.contains(&v) => Ok(v),
        Some(value) => Err(ConfigError::OutOfRange {
            setting: name,
            value,
            min,
            max,
        }),
        None => Err(ConfigError::NotANumber {
            setting: name,
            min,
            max,
        }),
    }
}

/// Whether a JSON text is a JWK Set (an object with a top-level `keys` member) rather than
/// one JWK. Only the shape is looked at here; the key ring's strict parser reads it.
fn is_key_set_text(text: &str) -> bool {
    crate::codec::json::parse_object(text.as_bytes()).is_ok_and(|doc| doc.contains_key("keys"))
}

/// Whether `name` is a valid cookie name (an RFC 6265 token).
fn is_cookie_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
}

/// Loads and validates the gate's configuration from every name the Worker is given
/// (`names`: vars, secrets and bindings): first refuses a name that looks like a setting but
/// is not one ([`schema::unknown_setting`]), then [`load`]s. The Worker and `portcullis
/// check-config` both load this way, so they agree on every name.
pub fn load_checked<'a>(
    names: impl IntoIterator<Item = &'a str>,
    get: impl Fn(&str) -> Option<Value>,
) -> Result<GateConfig, ConfigError> {
    if let Some(unknown) = schema::unknown_setting(names) {
        return Err(ConfigError::UnknownSetting(unknown));
    }
    load(get)
}

/// Loads and validates the gate's configuration. `get` returns a setting by name: a string
/// for secrets and plain vars, any JSON value for structured vars.
pub fn load(get: impl Fn(&str) -> Option<Value>) -> Result<GateConfig, ConfigError> {
    use names::*;
    let keyring = match json_setting(&get, KEYS).ok_or(ConfigError::Missing(KEYS))? {
        JsonSetting::Text(text) => Keyring::from_jwks(&text),
        JsonSetting::Value(Value::Object(keys)) => Keyring::from_jwks_value(&keys),
        JsonSetting::Value(_) => Err(KeyringError::Json(JsonProblem::NotAnObject)),
    }
    .map_err(ConfigError::Keys)?;

    // A JWK Set is a ring rotated like PORTCULLIS_KEYS; a lone JWK (the form before rings)
    // is a one-key ring and keeps working unchanged.
    let origin_keys =
        match json_setting(&get, ORIGIN_KEY).ok_or(ConfigError::Missing(ORIGIN_KEY))? {
            JsonSetting::Text(text) if is_key_set_text(&text) => Keyring::from_jwks(&text),
            JsonSetting::Text(text) => Keyring::from_jwk(&text),
            JsonSetting::Value(Value::Object(doc)) if doc.contains_key("keys") => {
                Keyring::from_jwks_value(&doc)
            }
            JsonSetting::Value(value) => Keyring::from_jwk(&value.to_string()),
        }
        .map_err(ConfigError::OriginKey)?;
    if let Some(k) = origin_keys.keys().iter().find(|k| k.alg() != Alg::HS256) {
        return Err(ConfigError::OriginKeyNotHs256 {
            alg: k.alg(),
            kid: k.kid().map(str::to_owned),
        });
    }
    let origin_key = origin_keys
        .signing_key()
        .ok_or(ConfigError::OriginKeyNoSigner)?
        .clone();

    let routes = match json_setting(&get, ROUTES).ok_or(ConfigError::Missing(ROUTES))? {
        JsonSetting::Text(text) => RouteTable::from_json_str(&text),
        JsonSetting::Value(value) => RouteTable::from_json(&value),
    }
    .map_err(ConfigError::Routes)?;

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
                _ => return Err(ConfigError::OriginUrl),
            }
        }
    };

    let cookie = string_setting(&get, COOKIE)?;
    if let Some(c) = &cookie {
        if !is_cookie_name(c) {
            return Err(ConfigError::CookieName);
        }
    }
    let realm = string_setting(&get, REALM)?.unwrap_or_else(|| defaults::REALM.to_owned());
    if realm.contains(['"', '\\']) || realm.chars().any(char::is_control) {
        return Err(ConfigError::Realm);
    }
    let admin_prefix =
        string_setting(&get, ADMIN_PREFIX)?.unwrap_or_else(|| defaults::ADMIN_PREFIX.to_owned());
    let admin_prefix = admin_prefix.trim_end_matches('/').to_owned();
    let prefix_ok = admin_prefix.len() > 1
        && admin_prefix.starts_with('/')
        && crate::routes::normalize_path(&admin_prefix).is_ok_and(|p| p.as_str() == admin_prefix);
    if !prefix_ok {
        return Err(ConfigError::AdminPrefix);
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
        return Err(ConfigError::MaxAgeBelowRefresh {
            max_age_s,
            refresh_s,
        });
    }
    let feed_ttl_s = seconds_setting(
        &get,
        REVOCATION_FEED_TTL_S,
        defaults::REVOCATION_FEED_TTL_S,
        1..=3600,
    )?;
    let feed_window = seconds_setting(
        &get,
        REVOCATION_FEED_WINDOW,
        defaults::REVOCATION_FEED_WINDOW,
        1..=100_000,
    )?;
    let cache = string_setting(&get, REVOCATION_CACHE)?
        .unwrap_or_else(|| defaults::REVOCATION_CACHE.to_owned());
    let origin_timeout_ms = seconds_setting(
        &get,
        ORIGIN_TIMEOUT_MS,
        defaults::ORIGIN_TIMEOUT_MS,
        1..=600_000,
    )?;

    let audit = AuditPolicy {
        allowed_one_in: seconds_setting(
            &get,
            AUDIT_ALLOWED_ONE_IN,
            defaults::AUDIT_ALLOWED_ONE_IN,
            0..=1_000_000,
        )?,
    };

    let edge = edge_keys(&get, &routes)?;
    let leak_reporters = match json_setting(&get, LEAK_REPORTER_KEYS) {
        None => None,
        Some(JsonSetting::Text(text)) => Some(ReporterKeys::from_json(&text)),
        Some(JsonSetting::Value(value)) => Some(ReporterKeys::from_value(&value)),
    }
    .transpose()
    .map_err(ConfigError::LeakReporterKeys)?;
    let dpop = DpopSettings {
        iat_window_s: seconds_setting(
            &get,
            DPOP_IAT_WINDOW_S,
            defaults::DPOP_IAT_WINDOW_S,
            1..=600,
        )?,
        // The nonce key is derived from the origin key: no second secret to deploy and
        // rotate. Nonces are no secret; only who can mint them matters.
        nonce: match seconds_setting(&get, DPOP_NONCE_S, 0, 0..=3600)? {
            0 => None,
            lifetime => {
                let mut key = [0u8; crate::jwt::keyring::MAX_TAG_LEN];
                let n = origin_key.tag(b"portcullis-dpop-nonce-key", &mut key);
                Some(NonceIssuer::new(&key[..n], lifetime))
            }
        },
        ..DpopSettings::default()
    };
    let admin_rate_limit = match json_setting(&get, ADMIN_RATE_LIMIT) {
        None => None,
        Some(setting) => {
            let value = match setting {
                JsonSetting::Text(text) => crate::codec::json::parse_value(text.as_bytes())
                    .map_err(|_| ConfigError::AdminRateLimit(Some(RateLimitConfigError::Shape)))?,
                JsonSetting::Value(value) => value,
            };
            let limit =
                RateLimit::from_json(&value).map_err(|e| ConfigError::AdminRateLimit(Some(e)))?;
            if limit.key != RateKey::ClientIp {
                return Err(ConfigError::AdminRateLimit(None));
            }
            Some(limit)
        }
    };

    Ok(GateConfig {
        keyring,
        verify,
        routes,
        origin_url,
        origin_key,
        origin_keys,
        cookie,
        realm,
        admin_prefix,
        revocation: RevocationSettings {
            refresh_s,
            max_age_s,
            feed_ttl_s,
            feed_window,
            cache,
        },
        origin_timeout_ms,
        audit,
        edge,
        leak_reporters,
        dpop,
        admin_rate_limit,
    })
}

/// The compatibility formats' secrets, each required once a rule uses its format.
fn edge_keys(
    get: &impl Fn(&str) -> Option<Value>,
    routes: &RouteTable,
) -> Result<EdgeKeys, ConfigError> {
    use names::*;
    use zeroize::Zeroizing;
    let first = |akamai: bool| {
        routes.rules().iter().position(|r| match r.access() {
            Access::Signed(SignedFormat::CloudflareHmacV0(_)) => !akamai,
            Access::Signed(SignedFormat::AkamaiEdgeAuth2(_)) => akamai,
            _ => false,
        })
    };
    let secret = |name| string_setting(get, name).map(|s| s.map(Zeroizing::new));
    let hex = |name| -> Result<Option<Zeroizing<Vec<u8>>>, ConfigError> {
        match secret(name)? {
            None => Ok(None),
            Some(text) => crate::signed::akamai::decode_key(&text)
                .map(|k| Some(Zeroizing::new(k)))
                .ok_or(ConfigError::SignedKeyNotHex { setting: name }),
        }
    };
    let keys = EdgeKeys {
        cloudflare: secret(CLOUDFLARE_HMAC_KEY)?.map(|k| Zeroizing::new(k.as_bytes().to_vec())),
        akamai: hex(AKAMAI_KEY)?,
        akamai_transition: hex(AKAMAI_TRANSITION_KEY)?,
        akamai_salt: secret(AKAMAI_SALT)?,
        akamai_algorithm: match string_setting(get, AKAMAI_ALGORITHM)? {
            None => AkamaiAlgorithm::default(),
            Some(text) => AkamaiAlgorithm::parse(&text).ok_or(ConfigError::AkamaiAlgorithm)?,
        },
    };
    for (akamai, setting, set) in [
        (false, CLOUDFLARE_HMAC_KEY, keys.cloudflare.is_some()),
        (true, AKAMAI_KEY, keys.akamai.is_some()),
    ] {
        if let (Some(rule), false) = (first(akamai), set) {
            return Err(ConfigError::SignedKeyMissing { setting, rule });
        }
    }
    Ok(keys)
}
