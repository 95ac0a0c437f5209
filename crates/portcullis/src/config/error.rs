//! Why the configuration cannot be used.

use core::fmt;

use crate::jwt::error::KeyringError;
use crate::jwt::keyring::Alg;
use crate::leaks::partner::ReporterKeysError;
use crate::ratelimit::RateLimitConfigError;
use crate::routes::RouteConfigError;
use crate::schema::UnknownSetting;

use super::names;

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
