//! Per-subject rate limits over Cloudflare's Workers Rate Limiting binding: a rule names a
//! limiter (a `[[ratelimits]]` binding) and what to count by; the Worker asks the binding and
//! the core answers 429 with `Retry-After` and the IETF `RateLimit-Policy` / `RateLimit`
//! headers (draft-ietf-httpapi-ratelimit-headers).
//!
//! The binding's counters are per Cloudflare location and eventually consistent within it, so
//! a limit is approximate and a client spread over locations gets a budget in each. It exposes
//! no remaining count nor reset time: `limit` and `period_s` here must repeat the binding's
//! `simple = { limit, period }`, and the headers say what is known (0 remaining once refused,
//! the reset no later than one period).

use core::fmt;

use serde_json::Value;

use crate::jwt::verify::VerifiedToken;

/// What a limiter counts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateKey {
    /// The token's `sub`.
    Sub,
    /// The token's `sid` (session).
    Sid,
    /// The token's `jti`.
    Jti,
    /// The `kid` of the key that verified the token.
    Kid,
    /// The client address (`CF-Connecting-IP`).
    ClientIp,
}

impl RateKey {
    /// The configuration name.
    pub fn name(self) -> &'static str {
        match self {
            RateKey::Sub => "sub",
            RateKey::Sid => "sid",
            RateKey::Jti => "jti",
            RateKey::Kid => "kid",
            RateKey::ClientIp => "ip",
        }
    }

    fn parse(text: &str) -> Option<RateKey> {
        [
            RateKey::Sub,
            RateKey::Sid,
            RateKey::Jti,
            RateKey::Kid,
            RateKey::ClientIp,
        ]
        .into_iter()
        .find(|k| k.name() == text)
    }

    /// Whether counting needs a verified token.
    pub fn needs_token(self) -> bool {
        self != RateKey::ClientIp
    }
}

/// One limit: the binding, the key, and the binding's own limit and period, repeated here for
/// the headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    /// The `[[ratelimits]]` binding name.
    pub limiter: String,
    /// What it counts by.
    pub key: RateKey,
    /// Requests allowed per period (the binding's `simple.limit`).
    pub limit: u64,
    /// The period in seconds (the binding's `simple.period`: 10 or 60).
    pub period_s: u64,
}

/// Why a rate-limit object was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RateLimitConfigError {
    /// Not an object with exactly `limiter`, `key`, `limit` and `period`.
    Shape,
    /// `limiter` is not a binding name (`A-Z a-z 0-9 _`, not starting with a digit).
    Limiter,
    /// `key` is none of `sub`, `sid`, `jti`, `kid`, `ip`.
    Key,
    /// `limit` is not a whole number from 1 to 1,000,000.
    Limit,
    /// `period` is neither 10 nor 60 (the periods the binding offers).
    Period,
}

impl fmt::Display for RateLimitConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RateLimitConfigError::Shape => {
                "rate_limit must be an object with exactly limiter, key, limit and period"
            }
            RateLimitConfigError::Limiter => "rate_limit.limiter must be a binding name",
            RateLimitConfigError::Key => "rate_limit.key must be sub, sid, jti, kid or ip",
            RateLimitConfigError::Limit => {
                "rate_limit.limit must be a whole number from 1 to 1000000"
            }
            RateLimitConfigError::Period => "rate_limit.period must be 10 or 60",
        })
    }
}

impl std::error::Error for RateLimitConfigError {}

impl RateLimit {
    /// Reads `{"limiter": "…", "key": "sub", "limit": 100, "period": 60}`.
    pub fn from_json(value: &Value) -> Result<RateLimit, RateLimitConfigError> {
        let object = value.as_object().ok_or(RateLimitConfigError::Shape)?;
        let known = ["limiter", "key", "limit", "period"];
        if object.len() != known.len() || !known.iter().all(|k| object.contains_key(*k)) {
            return Err(RateLimitConfigError::Shape);
        }
        let limiter = object["limiter"]
            .as_str()
            .filter(|l| is_binding_name(l))
            .ok_or(RateLimitConfigError::Limiter)?;
        let key = object["key"]
            .as_str()
            .and_then(RateKey::parse)
            .ok_or(RateLimitConfigError::Key)?;
        let limit = object["limit"]
            .as_u64()
            .filter(|l| (1..=1_000_000).contains(l))
            .ok_or(RateLimitConfigError::Limit)?;
        let period_s = object["period"]
            .as_u64()
            .filter(|p| [10, 60].contains(p))
            .ok_or(RateLimitConfigError::Period)?;
        Ok(RateLimit {
            limiter: limiter.to_owned(),
            key,
            limit,
            period_s,
        })
    }

    /// The key the binding counts, `<key>:<value>`, or `None` when the request has no value
    /// for it (a token without `sid`; no client address): such a request is counted by its
    /// client address instead, `ip:<address>`, and without that by the shared key `ip:`.
    pub fn key_for(&self, token: Option<&VerifiedToken>, client_ip: Option<&str>) -> String {
        let from_token = token.and_then(|t| match self.key {
            RateKey::Sub => t.claims.sub.clone(),
            RateKey::Jti => t.claims.jti.clone(),
            RateKey::Kid => t.key_id.clone(),
            RateKey::Sid => t
                .claims
                .extra
                .get("sid")
                .and_then(Value::as_str)
                .map(str::to_owned),
            RateKey::ClientIp => None,
        });
        match from_token {
            Some(value) => format!("{}:{value}", self.key.name()),
            None => format!("ip:{}", client_ip.unwrap_or("").trim()),
        }
    }

    /// The `RateLimit-Policy` value: `"<limiter>";q=<limit>;w=<period>`.
    pub fn policy_header(&self) -> String {
        format!("\"{}\";q={};w={}", self.limiter, self.limit, self.period_s)
    }

    /// The `RateLimit` value once refused: none remaining, reset within one period.
    pub fn exhausted_header(&self) -> String {
        format!("\"{}\";r=0;t={}", self.limiter, self.period_s)
    }
}

/// Whether `name` can name a Worker binding.
fn is_binding_name(name: &str) -> bool {
    name.len() <= 64
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rate_limits_parse_strictly() {
        let ok = json!({"limiter": "PER_SUB", "key": "sub", "limit": 100, "period": 60});
        let limit = RateLimit::from_json(&ok).unwrap();
        assert_eq!(
            (limit.key, limit.limit, limit.period_s),
            (RateKey::Sub, 100, 60)
        );
        assert_eq!(limit.policy_header(), "\"PER_SUB\";q=100;w=60");
        assert_eq!(limit.exhausted_header(), "\"PER_SUB\";r=0;t=60");
        for (bad, why) in [
            (json!("PER_SUB"), RateLimitConfigError::Shape),
            (
                json!({"limiter": "PER_SUB", "key": "sub", "limit": 1}),
                RateLimitConfigError::Shape,
            ),
            (
                json!({"limiter": "PER_SUB", "key": "sub", "limit": 1, "period": 60, "x": 1}),
                RateLimitConfigError::Shape,
            ),
            (
                json!({"limiter": "9X", "key": "sub", "limit": 1, "period": 60}),
                RateLimitConfigError::Limiter,
            ),
            (
                json!({"limiter": "A-B", "key": "sub", "limit": 1, "period": 60}),
                RateLimitConfigError::Limiter,
            ),
            (
                json!({"limiter": "L", "key": "email", "limit": 1, "period": 60}),
                RateLimitConfigError::Key,
            ),
            (
                json!({"limiter": "L", "key": "sub", "limit": 0, "period": 60}),
                RateLimitConfigError::Limit,
            ),
            (
                json!({"limiter": "L", "key": "sub", "limit": "5", "period": 60}),
                RateLimitConfigError::Limit,
            ),
            (
                json!({"limiter": "L", "key": "sub", "limit": 5, "period": 30}),
                RateLimitConfigError::Period,
            ),
        ] {
            assert_eq!(RateLimit::from_json(&bad), Err(why), "{bad}");
        }
    }
}
