//! The gate's configuration, read from named settings (Worker vars and secrets, or a
//! `wrangler.toml` plus `.dev.vars` for `portcullis check-config`).
//!
//! Errors ([`ConfigError`]) are typed and keep their source (the key ring's, the route
//! table's). They name the setting and the rule it breaks, never a setting's text: a setting
//! may be a secret. Only numbers compared with their range are shown; those are never secret.
//!
//! Settings given as JSON text are parsed by the strict JSON layer ([`crate::codec::json`])
//! inside their consumer ([`Keyring::from_jwks`], [`RouteTable::from_json_str`]), so a member
//! named twice is refused in every setting, never resolved to one of its values.

use core::fmt;

use serde_json::Value;

use crate::codec::json::JsonProblem;
pub use crate::http::audit::AuditPolicy;
use crate::jwt::error::KeyringError;
use crate::jwt::keyring::{Alg, Key, Keyring};
use crate::jwt::verify::VerifyPolicy;
use crate::leaks::partner::{ReporterKeys, ReporterKeysError};
use crate::ratelimit::{RateKey, RateLimit, RateLimitConfigError};
use crate::routes::{Access, RouteConfigError, RouteTable, SignedFormat};
use crate::schema::{self, UnknownSetting};
use crate::sender::dpop::DpopSettings;
use crate::sender::nonce::NonceIssuer;
use crate::signed::akamai::AkamaiAlgorithm;
use crate::signed::EdgeKeys;

pub use crate::schema::names;

/// Defaults for the optional settings.
pub mod defaults {
    /// One hour: short-lived means short, and it bounds how long revocations are kept.
    pub const MAX_TTL_S: u64 = 3600;
    /// Two seconds between feed checks per isolate: with the feed TTL, the freshness bound
    /// (refresh + TTL) is 4 s.
    pub const REVOCATION_REFRESH_S: u64 = 2;
    /// Two seconds of feed in a location's cache: the writer sees about one request per
    /// location per two seconds.
    pub const REVOCATION_FEED_TTL_S: u64 = 2;
    /// 1,024 recent versions in the feed: an isolate further behind reloads the snapshot.
    pub const REVOCATION_FEED_WINDOW: u64 = 1024;
    /// The feed's cache name.
    pub const REVOCATION_CACHE: &str = "portcullis-revocations";
    /// Five minutes: past this an isolate that cannot refresh fails closed.
    pub const REVOCATION_MAX_AGE_S: u64 = 300;
    /// Thirty seconds for the origin to start answering.
    pub const ORIGIN_TIMEOUT_MS: u64 = 30_000;
    /// Every allowed request gets its audit line (the complete trail, as before the
    /// setting existed; BENCHMARKS.md measures what it costs).
    pub const AUDIT_ALLOWED_ONE_IN: u64 = 1;
    /// The admin API and console live under this prefix.
    pub const ADMIN_PREFIX: &str = "/_portcullis";
    /// The realm named in challenges.
    pub const REALM: &str = "portcullis";
    /// A minute either side for a DPoP proof's `iat`.
    pub const DPOP_IAT_WINDOW_S: u64 = 60;
}

/// Why the configuration cannot be used: one variant per kind of bad setting, each keeping
/// the error it came from. None carries a setting's text (a setting may be a secret); the
/// numbers compared are shown, as they are never secret.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required setting is absent.
    Missing(&'static str),
    /// A name that looks like one of the gate's settings (`PORTCULLIS_ISSUER` with one L,
    /// `PORTCULLIS_AUDIENCES`) but is none of them: the setting meant is not applied, so the
    /// configuration is refused rather than silently weaker.
    UnknownSetting(UnknownSetting),
    /// `PORTCULLIS_KEYS` is not a usable JWK Set.
    Keys(KeyringError),
    /// `PORTCULLIS_ORIGIN_KEY` is neither a usable JWK nor a usable JWK Set.
    OriginKey(KeyringError),
    /// A key of `PORTCULLIS_ORIGIN_KEY` is valid, but not for HS256, the identity
    /// assertion's algorithm.
    OriginKeyNotHs256 {
        /// The key's algorithm.
        alg: Alg,
        /// The key's `kid`, when it has one (a kid is a name, never secret).
        kid: Option<String>,
    },
    /// `PORTCULLIS_ORIGIN_KEY` is a ring in which no key signs: the gate could not sign an
    /// assertion.
    OriginKeyNoSigner,
    /// `PORTCULLIS_ROUTES` is not a valid list of route rules.
    Routes(RouteConfigError),
    /// A setting that must be a string is another JSON type (a number, a table ...).
    NotAString {
        /// The setting's name.
        setting: &'static str,
    },
    /// A number setting is not a whole number.
    NotANumber {
        /// The setting's name.
        setting: &'static str,
        /// The smallest value allowed.
        min: u64,
        /// The largest value allowed.
        max: u64,
    },
    /// A number setting is outside its range.
    OutOfRange {
        /// The setting's name.
        setting: &'static str,
        /// The value given.
        value: u64,
        /// The smallest value allowed.
        min: u64,
        /// The largest value allowed.
        max: u64,
    },
    /// `PORTCULLIS_REVOCATION_MAX_AGE_S` is below `PORTCULLIS_REVOCATION_REFRESH_S`: every
    /// snapshot would be too old before its refresh was due.
    MaxAgeBelowRefresh {
        /// The maximum age given, seconds.
        max_age_s: u64,
        /// The refresh interval, seconds.
        refresh_s: u64,
    },
    /// `ORIGIN_URL` is not an `http://` or `https://` URL without query or fragment.
    OriginUrl,
    /// `PORTCULLIS_COOKIE` is not a valid cookie name (an RFC 6265 token).
    CookieName,
    /// `PORTCULLIS_REALM` holds a quote, a backslash or a control character, which the
    /// `WWW-Authenticate` quoted string cannot carry safely.
    Realm,
    /// `PORTCULLIS_ADMIN_PREFIX` is not a normalized path below the root.
    AdminPrefix,
    /// A rule uses a compatibility format whose key setting is unset.
    SignedKeyMissing {
        /// The key's setting.
        setting: &'static str,
        /// The first rule that needs it.
        rule: usize,
    },
    /// An Akamai key setting is not hex.
    SignedKeyNotHex {
        /// The setting.
        setting: &'static str,
    },
    /// `PORTCULLIS_AKAMAI_ALGORITHM` is not `sha256`, `sha1` or `md5`.
    AkamaiAlgorithm,
    /// `PORTCULLIS_LEAK_REPORTER_KEYS` is not a list of P-256 keys in GitHub's shape.
    LeakReporterKeys(ReporterKeysError),
    /// `PORTCULLIS_ADMIN_RATE_LIMIT` is not a rate limit by `ip` (the admin is limited before
    /// its token is read).
    AdminRateLimit(Option<RateLimitConfigError>),
}

impl ConfigError {
    /// The setting this error is about (for an unknown one, the name as given: a name is
    /// never a secret).
    pub fn setting(&self) -> &str {
        use names::*;
        match self {
            ConfigError::UnknownSetting(unknown) => &unknown.name,
            ConfigError::Missing(s)
            | ConfigError::NotAString { setting: s }
            | ConfigError::NotANumber { setting: s, .. }
            | ConfigError::OutOfRange { setting: s, .. } => s,
            ConfigError::Keys(_) => KEYS,
            ConfigError::OriginKey(_)
            | ConfigError::OriginKeyNotHs256 { .. }
            | ConfigError::OriginKeyNoSigner => ORIGIN_KEY,
            ConfigError::Routes(_) => ROUTES,
            ConfigError::MaxAgeBelowRefresh { .. } => REVOCATION_MAX_AGE_S,
            ConfigError::OriginUrl => ORIGIN_URL,
            ConfigError::CookieName => COOKIE,
            ConfigError::Realm => REALM,
            ConfigError::AdminPrefix => ADMIN_PREFIX,
            ConfigError::SignedKeyMissing { setting, .. }
            | ConfigError::SignedKeyNotHex { setting } => setting,
            ConfigError::AkamaiAlgorithm => AKAMAI_ALGORITHM,
            ConfigError::LeakReporterKeys(_) => LEAK_REPORTER_KEYS,
            ConfigError::AdminRateLimit(_) => ADMIN_RATE_LIMIT,
        }
    }
}

/// "SETTING: what is wrong", one line, for the person fixing the configuration.
impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let setting = self.setting();
        match self {
            ConfigError::Missing(_) => write!(f, "{setting} is not set"),
            ConfigError::UnknownSetting(UnknownSetting { suggestion, .. }) => {
                write!(f, "{setting}: is not a setting the gate knows")?;
                match suggestion {
                    Some(known) => write!(f, "; did you mean {known}?"),
                    None => write!(f, " (see the settings in the README)"),
                }
            }
            ConfigError::Keys(e) | ConfigError::OriginKey(e) => write!(f, "{setting}: {e}"),
            ConfigError::OriginKeyNotHs256 { alg, kid: None } => write!(
                f,
                "{setting}: must be an HS256 key (the identity assertion is HS256), not {alg}"
            ),
            ConfigError::OriginKeyNotHs256 {
                alg,
                kid: Some(kid),
            } => write!(
                f,
                "{setting}: key {kid:?} must be HS256 (the identity assertion is HS256), not {alg}"
            ),
            ConfigError::OriginKeyNoSigner => write!(
                f,
                "{setting}: no key signs; promote one (`portcullis keys promote`) so the gate \
                 can sign assertions"
            ),
            ConfigError::Routes(e) => write!(f, "{setting}: {e}"),
            ConfigError::NotAString { .. } => write!(f, "{setting}: must be a string"),
            ConfigError::NotANumber { min, max, .. } => {
                write!(f, "{setting}: must be a whole number from {min} to {max}")
            }
            ConfigError::OutOfRange {
                value, min, max, ..
            } => write!(
                f,
                "{setting}: must be a whole number from {min} to {max}, not {value}"
            ),
            ConfigError::MaxAgeBelowRefresh {
                max_age_s,
                refresh_s,
            } => write!(
                f,
                "{setting}: must be at least {} ({max_age_s} < {refresh_s})",
                names::REVOCATION_REFRESH_S
            ),
            ConfigError::OriginUrl => write!(
                f,
                "{setting}: must be an http:// or https:// URL without query or fragment"
            ),
            ConfigError::CookieName => write!(f, "{setting}: is not a valid cookie name"),
            ConfigError::Realm => write!(
                f,
                "{setting}: must not contain quotes, backslashes or control characters"
            ),
            ConfigError::AdminPrefix => {
                write!(f, "{setting}: must be a normalized path like /_portcullis")
            }
            ConfigError::SignedKeyMissing { rule, .. } => {
                write!(f, "{setting}: not set, and rule {rule} needs it (a secret)")
            }
            ConfigError::SignedKeyNotHex { .. } => {
                write!(f, "{setting}: must be a hex string (Akamai keys are hex)")
            }
            ConfigError::AkamaiAlgorithm => write!(
                f,
                "{setting}: must be sha256 (the default), or sha1 or md5 for legacy links"
            ),
            ConfigError::LeakReporterKeys(e) => write!(f, "{setting}: {e}"),
            ConfigError::AdminRateLimit(Some(e)) => write!(f, "{setting}: {e}"),
            ConfigError::AdminRateLimit(None) => {
                write!(f, "{setting}: the admin API is limited by ip only")
            }
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Keys(e) | ConfigError::OriginKey(e) => Some(e),
            ConfigError::Routes(e) => Some(e),
            ConfigError::LeakReporterKeys(e) => Some(e),
            _ => None,
        }
    }
}

/// Revocation refresh settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationSettings {
    /// Seconds between refreshes of an isolate's snapshot.
    pub refresh_s: u64,
    /// Oldest snapshot an isolate may decide with.
    pub max_age_s: u64,
    /// Seconds a location caches the writer's feed.
    pub feed_ttl_s: u64,
    /// Versions the writer's feed holds.
    pub feed_window: u64,
    /// The Cache API cache the feed is kept in.
    pub cache: String,
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
    /// The key that signs identity assertions and hop markers (HS256): the signing key of
    /// `origin_keys`.
    pub origin_key: Key,
    /// Every origin key (HS256), the signing one included: a hop marker made with any of
    /// them is this gate's, so a loop is caught while a rotation rolls out.
    pub origin_keys: Keyring,
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
    /// Which decisions get an audit line.
    pub audit: AuditPolicy,
    /// The compatibility formats' secrets.
    pub edge: EdgeKeys,
    /// Keys that sign secret-scanning leak reports; `None` turns the endpoint off.
    pub leak_reporters: Option<ReporterKeys>,
    /// How DPoP proofs are checked.
    pub dpop: DpopSettings,
    /// The admin API's rate limit, by client address.
    pub admin_rate_limit: Option<RateLimit>,
}

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
    fn akamai_algorithm_defaults_to_sha256_and_opts_into_sha1_or_md5() {
        assert_eq!(
            load_map(&base()).unwrap().edge.akamai_algorithm,
            AkamaiAlgorithm::Sha256
        );
        for (text, algorithm) in [
            ("sha1", AkamaiAlgorithm::Sha1),
            ("md5", AkamaiAlgorithm::Md5),
        ] {
            let mut m = base();
            m.insert(names::AKAMAI_ALGORITHM, json!(text));
            assert_eq!(load_map(&m).unwrap().edge.akamai_algorithm, algorithm);
        }
        let mut m = base();
        m.insert(names::AKAMAI_ALGORITHM, json!("sha512"));
        assert_eq!(load_map(&m).unwrap_err(), ConfigError::AkamaiAlgorithm);
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
    fn messages_name_the_setting_once_and_never_debug_text() {
        let cases = [
            (
                names::ROUTES,
                json!([{"match":"GET /x","scope":["a"]}]),
                "PORTCULLIS_ROUTES: rule 0: unknown field `scope`; did you mean `scopes`?",
            ),
            (
                names::ROUTES,
                json!("[{\"match\": }]"),
                "PORTCULLIS_ROUTES: invalid JSON at line 1, column 12",
            ),
            (
                names::KEYS,
                json!("{\"keys\": [], \"keys\": []}"),
                "PORTCULLIS_KEYS: key set has a duplicate member name",
            ),
            (
                names::KEYS,
                json!("{\"keys\": "),
                "PORTCULLIS_KEYS: key set is not valid JSON",
            ),
            (
                names::LEEWAY_S,
                json!("301"),
                "PORTCULLIS_LEEWAY_S: must be a whole number from 0 to 300, not 301",
            ),
            (
                names::LEEWAY_S,
                json!("soon"),
                "PORTCULLIS_LEEWAY_S: must be a whole number from 0 to 300",
            ),
            (
                names::REVOCATION_MAX_AGE_S,
                json!(1),
                "PORTCULLIS_REVOCATION_MAX_AGE_S: must be at least \
                 PORTCULLIS_REVOCATION_REFRESH_S (1 < 2)",
            ),
            (
                names::AUDIENCE,
                json!(7),
                "PORTCULLIS_AUDIENCE: must be a string",
            ),
        ];
        for (setting, value, message) in cases {
            let mut m = base();
            m.insert(setting, value);
            let err = load_map(&m).unwrap_err();
            assert_eq!(err.setting(), setting);
            assert_eq!(err.to_string(), message);
        }
    }

    #[test]
    fn a_duplicate_member_in_a_json_string_setting_is_refused() {
        // PORTCULLIS_ROUTES as JSON text (a .dev.vars line, a secret): serde_json alone would
        // keep the last `public` and open the route.
        let mut m = base();
        m.insert(
            names::ROUTES,
            json!(r#"[{"match": "GET /x", "public": false, "public": true}]"#),
        );
        let err = load_map(&m).unwrap_err();
        assert_eq!(
            err,
            ConfigError::Routes(RouteConfigError::Json(JsonProblem::DuplicateMember))
        );
        assert_eq!(
            err.to_string(),
            "PORTCULLIS_ROUTES: JSON text has a duplicate member name"
        );
        let mut m = base();
        let origin = r#"{"kty":"oct","alg":"HS256","alg":"HS256","k":"x"}"#;
        m.insert(names::ORIGIN_KEY, json!(origin));
        assert_eq!(
            load_map(&m).unwrap_err(),
            ConfigError::OriginKey(KeyringError::Json(JsonProblem::DuplicateMember))
        );
    }

    #[test]
    fn leak_reporter_keys_are_optional_and_checked_when_set() {
        assert!(load_map(&base()).unwrap().leak_reporters.is_none());
        let mut m = base();
        let pem = crate::leaks::partner::tests_support_pem();
        m.insert(
            names::LEAK_REPORTER_KEYS,
            Value::String(
                json!({"public_keys":[{"key_identifier":"k","key":pem,"is_current":true}]})
                    .to_string(),
            ),
        );
        let keys = load_map(&m).unwrap().leak_reporters.unwrap();
        assert_eq!(keys.keys()[0].id, "k");
        m.insert(names::LEAK_REPORTER_KEYS, json!({"public_keys": []}));
        let err = load_map(&m).unwrap_err();
        assert_eq!(err.setting(), names::LEAK_REPORTER_KEYS);
        assert_eq!(
            err.to_string(),
            "PORTCULLIS_LEAK_REPORTER_KEYS: public_keys must list 1 to 32 keys, not 0"
        );
    }

    #[test]
    fn errors_keep_their_source() {
        use std::error::Error as _;
        let mut m = base();
        m.insert(names::ROUTES, json!([{"match":"GET /.."}]));
        let err = load_map(&m).unwrap_err();
        let route = err.source().expect("the route error");
        assert_eq!(
            route.to_string(),
            "rule 0: match `GET /..`: `..` segment climbs above the root"
        );
        assert!(route.source().is_some(), "and the path error under it");

        let mut m = base();
        m.insert(names::KEYS, json!({"keys": []}));
        let err = load_map(&m).unwrap_err();
        assert_eq!(err, ConfigError::Keys(KeyringError::Empty));
        assert_eq!(
            err.source().map(ToString::to_string),
            Some(KeyringError::Empty.to_string())
        );
        assert!(ConfigError::Missing(names::KEYS).source().is_none());
    }

    #[test]
    fn a_misspelt_setting_is_refused_and_named_with_a_suggestion() {
        let mut m = base();
        m.insert("PORTCULIS_ISSUER", json!("https://issuer.example"));
        let err = load_checked(m.keys().copied(), |name| m.get(name).cloned()).unwrap_err();
        assert_eq!(err.setting(), "PORTCULIS_ISSUER");
        assert_eq!(
            err.to_string(),
            "PORTCULIS_ISSUER: is not a setting the gate knows; did you mean PORTCULLIS_ISSUER?"
        );
        // Without the typo the same settings load.
        m.remove("PORTCULIS_ISSUER");
        m.insert(names::ISSUER, json!("https://issuer.example"));
        assert!(load_checked(m.keys().copied(), |name| m.get(name).cloned()).is_ok());
    }

    #[test]
    fn origin_key_must_be_hs256() {
        let mut m = base();
        let k = json!({"kty":"oct","alg":"HS512","k":crate::codec::b64::encode([3u8; 64])});
        m.insert(names::ORIGIN_KEY, Value::String(k.to_string()));
        let err = load_map(&m).unwrap_err();
        assert_eq!(err.setting(), names::ORIGIN_KEY);
        assert_eq!(
            err,
            ConfigError::OriginKeyNotHs256 {
                alg: Alg::HS512,
                kid: None
            }
        );
    }

    fn origin_ring(keys: &[Value]) -> Value {
        json!({ "keys": keys })
    }

    fn with_ops(mut key: Value, ops: &[&str]) -> Value {
        key["key_ops"] = json!(ops);
        key
    }

    #[test]
    fn a_single_origin_jwk_is_a_one_key_ring_that_signs() {
        let c = load_map(&base()).unwrap();
        assert_eq!(c.origin_keys.keys().len(), 1);
        assert_eq!(c.origin_key.kid(), Some("origin"));
    }

    #[test]
    fn an_origin_key_set_signs_with_its_signing_key_and_keeps_the_others() {
        for as_text in [true, false] {
            let mut m = base();
            let ring = origin_ring(&[
                with_ops(jwk("origin-1", 2), &["sign", "verify"]),
                with_ops(jwk("origin-2", 4), &["verify"]),
            ]);
            let setting = if as_text {
                Value::String(ring.to_string())
            } else {
                ring
            };
            m.insert(names::ORIGIN_KEY, setting);
            let c = load_map(&m).unwrap();
            assert_eq!(c.origin_key.kid(), Some("origin-1"));
            let kids: Vec<_> = c.origin_keys.keys().iter().map(|k| k.kid()).collect();
            assert_eq!(kids, [Some("origin-1"), Some("origin-2")]);
        }
    }

    #[test]
    fn an_origin_ring_without_a_signing_key_is_refused() {
        let mut m = base();
        let ring = origin_ring(&[
            with_ops(jwk("origin-1", 2), &["verify"]),
            with_ops(jwk("origin-2", 4), &["verify"]),
        ]);
        m.insert(names::ORIGIN_KEY, Value::String(ring.to_string()));
        let err = load_map(&m).unwrap_err();
        assert_eq!(err, ConfigError::OriginKeyNoSigner);
        assert_eq!(err.setting(), names::ORIGIN_KEY);
        assert!(err.to_string().contains("keys promote"), "{err}");
    }

    #[test]
    fn every_key_of_an_origin_ring_must_be_hs256_and_the_error_names_its_kid() {
        let mut m = base();
        let strong = json!({"kty":"oct","kid":"big","alg":"HS512",
            "k":crate::codec::b64::encode([3u8; 64]),"key_ops":["verify"]});
        let ring = origin_ring(&[with_ops(jwk("origin-1", 2), &["sign", "verify"]), strong]);
        m.insert(names::ORIGIN_KEY, Value::String(ring.to_string()));
        let err = load_map(&m).unwrap_err();
        assert_eq!(
            err,
            ConfigError::OriginKeyNotHs256 {
                alg: Alg::HS512,
                kid: Some("big".into())
            }
        );
        assert!(err.to_string().contains("\"big\""), "{err}");
    }

    #[test]
    fn an_origin_ring_with_two_keys_needs_kids_and_reports_the_ring_error() {
        let mut m = base();
        let mut anonymous = jwk("x", 4);
        anonymous.as_object_mut().unwrap().remove("kid");
        let ring = origin_ring(&[jwk("origin-1", 2), anonymous]);
        m.insert(names::ORIGIN_KEY, Value::String(ring.to_string()));
        let err = load_map(&m).unwrap_err();
        assert_eq!(
            err,
            ConfigError::OriginKey(KeyringError::MissingKeyId { index: 1 })
        );
    }
}
