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

mod error;
mod load;
#[cfg(test)]
mod tests;

use crate::jwt::keyring::{Key, Keyring};
use crate::jwt::verify::VerifyPolicy;
use crate::leaks::partner::ReporterKeys;
use crate::ratelimit::RateLimit;
use crate::routes::RouteTable;
use crate::sender::dpop::DpopSettings;
use crate::signed::EdgeKeys;

pub use crate::http::audit::AuditPolicy;
pub use crate::schema::names;
pub use error::ConfigError;
pub use load::{load, load_checked};

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
