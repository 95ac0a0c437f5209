//! The one table of names a user writes: the gate's settings (Worker vars, secrets and
//! bindings) and the keys of a route rule. Everything that must know whether a name exists
//! reads it from here: [`crate::config`] to load, the route parser to refuse a typo, the
//! `portcullis check-config` command and the Worker to refuse an unknown `PORTCULLIS_*`-like
//! name with a "did you mean".
//!
//! Adding a setting is one entry in [`settings!`](self) below (its constant in [`names`] and
//! its row in [`SETTINGS`] come from the same line); adding a rule key is one entry in
//! [`RULE_KEYS`]. This module depends on nothing else in the crate, so every layer may use it.

mod suggest;

pub use suggest::{edit_distance, suggest};

/// What kind of name a setting is, which says where a user puts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingKind {
    /// A secret (`wrangler secret put`, or `.dev.vars` locally): never printed.
    Secret,
    /// A plain var (`[vars]` in wrangler.toml, or `.dev.vars`).
    Var,
    /// A binding (a KV namespace, a Durable Object, assets ...): declared in wrangler.toml,
    /// never a var.
    Binding,
}

/// One known setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The name, exactly as written.
    pub name: &'static str,
    /// Secret, var or binding.
    pub kind: SettingKind,
}

/// Declares the settings: `CONST = "NAME", Kind;` with its doc comment. Produces the
/// [`names`] constants and the [`SETTINGS`] table from the same lines, so the two cannot
/// drift.
macro_rules! settings {
    ($( $(#[doc = $doc:literal])* $ident:ident = $name:literal, $kind:ident; )*) => {
        /// Setting names. Users write these in their config; they are stable.
        pub mod names {
            $( $(#[doc = $doc])* pub const $ident: &str = $name; )*
        }
        /// Every setting the gate knows, in declaration order.
        pub const SETTINGS: &[Setting] = &[
            $( Setting { name: $name, kind: SettingKind::$kind }, )*
        ];
    };
}

settings! {
    /// Secret: the JWK Set of verification keys.
    KEYS = "PORTCULLIS_KEYS", Secret;
    /// Secret: the HS256 keys of the identity assertion for the origin: a JWK Set whose
    /// signing key signs (rotated like `PORTCULLIS_KEYS`), or one JWK (a one-key ring).
    ORIGIN_KEY = "PORTCULLIS_ORIGIN_KEY", Secret;
    /// Var: where authorized requests go; unset, they go on to their own URL.
    ORIGIN_URL = "ORIGIN_URL", Var;
    /// Var: the audience tokens must be for.
    AUDIENCE = "PORTCULLIS_AUDIENCE", Var;
    /// Var: the issuer tokens must come from.
    ISSUER = "PORTCULLIS_ISSUER", Var;
    /// Var: allowed clock skew, seconds.
    LEEWAY_S = "PORTCULLIS_LEEWAY_S", Var;
    /// Var: longest token lifetime accepted, seconds.
    MAX_TTL_S = "PORTCULLIS_MAX_TTL_S", Var;
    /// Var: the ordered route rules.
    ROUTES = "PORTCULLIS_ROUTES", Var;
    /// Var: a cookie to read the token from.
    COOKIE = "PORTCULLIS_COOKIE", Var;
    /// Var: the realm in `WWW-Authenticate`.
    REALM = "PORTCULLIS_REALM", Var;
    /// Var: the path prefix of the admin API and console.
    ADMIN_PREFIX = "PORTCULLIS_ADMIN_PREFIX", Var;
    /// Var: how often an isolate refreshes its revocation snapshot, seconds.
    REVOCATION_REFRESH_S = "PORTCULLIS_REVOCATION_REFRESH_S", Var;
    /// Var: the oldest snapshot an isolate may decide with, seconds.
    REVOCATION_MAX_AGE_S = "PORTCULLIS_REVOCATION_MAX_AGE_S", Var;
    /// Var: how long a location's cached copy of the writer's feed lives, seconds.
    REVOCATION_FEED_TTL_S = "PORTCULLIS_REVOCATION_FEED_TTL_S", Var;
    /// Var: how many recent versions the writer's feed holds.
    REVOCATION_FEED_WINDOW = "PORTCULLIS_REVOCATION_FEED_WINDOW", Var;
    /// Var: the Cache API cache holding the feed (one per location in production; tests
    /// give each simulated location its own).
    REVOCATION_CACHE = "PORTCULLIS_REVOCATION_CACHE", Var;
    /// Var: how long to wait for the origin, milliseconds.
    ORIGIN_TIMEOUT_MS = "PORTCULLIS_ORIGIN_TIMEOUT_MS", Var;
    /// Var: one audit line per how many allowed requests (1 every one, 0 none); denials
    /// and security events are always recorded.
    AUDIT_ALLOWED_ONE_IN = "PORTCULLIS_AUDIT_ALLOWED_ONE_IN", Var;
    /// Secret: the key string of `cloudflare_hmac_v0` rules.
    CLOUDFLARE_HMAC_KEY = "PORTCULLIS_CLOUDFLARE_HMAC_KEY", Secret;
    /// Secret: the hex key of `akamai_edgeauth2` rules.
    AKAMAI_KEY = "PORTCULLIS_AKAMAI_KEY", Secret;
    /// Secret: a second hex key `akamai_edgeauth2` rules accept during a rotation.
    AKAMAI_TRANSITION_KEY = "PORTCULLIS_AKAMAI_TRANSITION_KEY", Secret;
    /// Secret: the salt of `akamai_edgeauth2` tokens, if the issuer uses one.
    AKAMAI_SALT = "PORTCULLIS_AKAMAI_SALT", Secret;
    /// Var: the Akamai token MAC: `sha256` (default); `sha1` or `md5` opt in, with a warning.
    AKAMAI_ALGORITHM = "PORTCULLIS_AKAMAI_ALGORITHM", Var;
    /// Var: the public keys a secret-scanning partner (GitHub) signs leak reports with, in
    /// the shape GitHub publishes them; unset, `POST <admin>/leaks` is off (404).
    LEAK_REPORTER_KEYS = "PORTCULLIS_LEAK_REPORTER_KEYS", Var;
    /// Var: how far a DPoP proof's `iat` may be from now, seconds.
    DPOP_IAT_WINDOW_S = "PORTCULLIS_DPOP_IAT_WINDOW_S", Var;
    /// Var: DPoP server nonces' lifetime in seconds (0: no nonces).
    DPOP_NONCE_S = "PORTCULLIS_DPOP_NONCE_S", Var;
    /// Var: the admin API's rate limit, `{"limiter", "key": "ip", "limit", "period"}`.
    ADMIN_RATE_LIMIT = "PORTCULLIS_ADMIN_RATE_LIMIT", Var;
    /// Binding: the KV namespace of revoked token ids.
    REVOCATIONS = "REVOCATIONS", Binding;
    /// Binding: the optional Workers Analytics Engine dataset, one data point per decision.
    ANALYTICS = "PORTCULLIS_ANALYTICS", Binding;
    /// Binding: the console's static files (`[assets]`).
    ASSETS = "ASSETS", Binding;
    /// Binding: the Durable Object namespace of refresh-token grants (`GrantObject`).
    GRANTS = "GRANTS", Binding;
    /// Binding: the Durable Object of API keys (`ApiKeyStore`).
    API_KEYS = "API_KEYS", Binding;
    /// Binding: the Durable Object namespace of subject indexes (`SubjectGrants`): each
    /// subject's grant ids, for listing and ending them.
    SUBJECT_GRANTS = "SUBJECT_GRANTS", Binding;
}

/// The members a route rule may have; any other is refused as a likely typo.
pub const RULE_KEYS: &[&str] = &[
    "match",
    "scopes",
    "public",
    "fail_open",
    "allow_preflight",
    "binding",
    "rate_limit",
    "auth",
    "signed",
];

/// The methods a rule may name (RFC 9110 and PATCH, RFC 5789). Anything else is refused as a
/// likely typo: a rule for a method no client sends protects nothing.
pub const METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

/// The known setting called `name`, if any.
pub fn setting(name: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.name == name)
}

/// Why a name given as a setting is refused: it is not known, but looks like one of ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSetting {
    /// The name as given (a name, never a value).
    pub name: String,
    /// The known setting it is closest to.
    pub suggestion: Option<&'static str>,
}

/// The first name in `names` that is not a known setting but looks like one: it starts with
/// something close to `PORTCULLIS` (any case), or is a small edit away from a known name.
/// Other names (the user's own vars, other bindings) are none of the gate's business.
pub fn unknown_setting<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<UnknownSetting> {
    // Bindings are declared in wrangler.toml, where wrangler itself checks them.
    let known = || {
        SETTINGS
            .iter()
            .filter(|s| s.kind != SettingKind::Binding)
            .map(|s| s.name)
    };
    names.into_iter().find_map(|name| {
        if setting(name).is_some() {
            return None;
        }
        let upper = name.to_ascii_uppercase();
        let head = upper.split('_').next().unwrap_or_default();
        let looks_ours = edit_distance(head, "PORTCULLIS") <= 2
            || known().any(|k| edit_distance(&upper, k) <= 2);
        looks_ours.then(|| UnknownSetting {
            name: name.to_owned(),
            suggestion: suggest(&upper, known()),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_and_the_constants_agree() {
        assert_eq!(
            setting(names::ISSUER).map(|s| s.kind),
            Some(SettingKind::Var)
        );
        assert_eq!(
            setting(names::KEYS).map(|s| s.kind),
            Some(SettingKind::Secret)
        );
        let mut all: Vec<_> = SETTINGS.iter().map(|s| s.name).collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), SETTINGS.len(), "a name declared twice");
    }

    #[test]
    fn typos_of_our_names_are_refused_with_a_suggestion() {
        for (typo, want) in [
            ("PORTCULIS_ISSUER", names::ISSUER),
            ("PORTCULLIS_AUDIENCES", names::AUDIENCE),
            ("portcullis_issuer", names::ISSUER),
            ("ORIGN_URL", names::ORIGIN_URL),
            ("PORTCULLIS_LEEWAY", names::LEEWAY_S),
        ] {
            let got = unknown_setting([names::KEYS, typo]).expect(typo);
            assert_eq!((got.name.as_str(), got.suggestion), (typo, Some(want)));
        }
    }

    #[test]
    fn our_names_and_other_peoples_pass() {
        let names = SETTINGS
            .iter()
            .map(|s| s.name)
            .chain(["MY_API", "DEBUG", "DB"]);
        assert_eq!(unknown_setting(names), None);
    }

    #[test]
    fn a_name_with_our_prefix_and_nothing_close_has_no_suggestion() {
        let got = unknown_setting(["PORTCULLIS_ZZZZZZZZZZZZZZ"]).unwrap();
        assert_eq!(got.suggestion, None);
    }
}
