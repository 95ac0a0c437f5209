//! The gate's decision for one request, in two phases: [`route`] reads the request head
//! (path, route rule, credential) and [`authorize`] verifies the token against the key ring,
//! the revocation snapshot and the rule's scopes. Only the second may need the revocation
//! snapshot, which the Worker may have to fetch in between.

use crate::config::GateConfig;
use crate::grant::access::SID_CLAIM;
use crate::http::denial::{BindingRefusal, RateLimitRefusal};
use crate::http::{screen, Denial, Principal, RequestHead};
use crate::jwt::verify::{verify, VerifiedToken};
use crate::ratelimit::RateLimit;
use crate::revocation::RevocationLookup;
use crate::routes::{Access, NormalizedPath, PathError, Rule};
use crate::sender::dpop::PendingProof;
use crate::sender::replay::ReplayCache;
use crate::sender::{self, Binding, BindingError, Presentation, Scheme};

/// How a routed request is to be admitted, according to its rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// A public rule: no token is read.
    Public,
    /// A CORS preflight a rule allows without a token.
    Preflight,
    /// A token is required; here it is.
    Token(String),
    /// A signed link is required ([`crate::http::signed::verify_signed`] checks it).
    Signed,
}

impl Admission {
    /// The audit reason of a request admitted this way: `public`, `preflight`, or
    /// `authorized` (which [`Authorized::reason`] refines once the token is checked).
    pub fn reason(&self) -> &'static str {
        match self {
            Admission::Public => "public",
            Admission::Preflight => "preflight",
            Admission::Token(_) => "authorized",
            Admission::Signed => "signed_url_valid",
        }
    }
}

/// The outcome of [`route`]: the rule that applies, the normalized path the origin will get.
#[derive(Debug, Clone)]
pub struct Routed<'c> {
    /// The first matching rule.
    pub rule: &'c Rule,
    /// The normalized path: what was authorized, and what the origin receives.
    pub path: NormalizedPath,
    /// What the rule needs.
    pub access: Admission,
    /// How the token was presented (bearer unless `Authorization: DPoP`).
    pub scheme: Scheme,
}

/// Phase one: the request head against the route table. Runs [`screen`] before anything
/// else. `path` is [`crate::routes::normalize_path`] of the
/// request path: the caller normalizes once, since it also needs the result (for the admin
/// prefix) before routing.
pub fn route<'c>(
    config: &'c GateConfig,
    head: &RequestHead<'_>,
    path: Result<NormalizedPath, PathError>,
) -> Result<Routed<'c>, Denial> {
    let presented = screen(head, config.cookie.as_deref())?;
    let scheme = presented.map_or(Scheme::Bearer, |(s, _)| s);
    let token = presented.map(|(_, t)| t);
    let path = path.map_err(Denial::BadPath)?;
    if head.method == "OPTIONS" {
        if let Some(requested) = head.preflight_method {
            if let Some(rule) = config.routes.find_preflight(requested, &path) {
                return Ok(Routed {
                    rule,
                    path,
                    access: Admission::Preflight,
                    scheme,
                });
            }
        }
    }
    let rule = config
        .routes
        .find(head.method, &path)
        .ok_or(Denial::NoRoute)?;
    let access = match rule.access() {
        Access::Public => Admission::Public,
        Access::Signed(_) => Admission::Signed,
        Access::Token { .. } => Admission::Token(
            token
                .ok_or(Denial::MissingToken {
                    rule: Some(rule.index()),
                })?
                .to_owned(),
        ),
    };
    Ok(Routed {
        rule,
        path,
        access,
        scheme,
    })
}

/// The revocation list as the Worker holds it for this request.
#[derive(Debug, Clone, Copy)]
pub enum Revocations<'a> {
    /// A list young enough to decide with: the isolate's [`CompactList`](crate::revocation::CompactList),
    /// or any other form that answers the same lookups.
    Current(&'a dyn RevocationLookup),
    /// None, or too old: the rule's `fail_open` decides.
    Unavailable {
        /// Seconds after which a retry may succeed.
        retry_after_s: u64,
    },
}

/// A request the gate lets through.
#[derive(Debug, Clone, PartialEq)]
pub struct Authorized {
    /// The verified token.
    pub token: VerifiedToken,
    /// False when the revocation list was unavailable and the rule fails open.
    pub revocation_checked: bool,
}

impl Authorized {
    /// The audit reason: `authorized`, or `authorized_fail_open` when the revocation list
    /// was unavailable and the rule fails open.
    pub fn reason(&self) -> &'static str {
        if self.revocation_checked {
            "authorized"
        } else {
            "authorized_fail_open"
        }
    }
}

/// Phase two: verify the token, check revocation, then the rule's scopes.
pub fn authorize(
    config: &GateConfig,
    rule: &Rule,
    token: &str,
    revocations: Revocations<'_>,
    now: i64,
) -> Result<Authorized, Denial> {
    let verified =
        verify(token, &config.keyring, &config.verify, now).map_err(Denial::InvalidToken)?;
    let revocation_checked = check_revocation(&verified, rule.fail_open(), revocations)?;
    if let Access::Token { scopes } = rule.access() {
        check_scopes(&verified, scopes)?;
    }
    Ok(Authorized {
        token: verified,
        revocation_checked,
    })
}

/// Phase three, after [`authorize`]: the token's binding ([`crate::sender::check`]) against
/// the request and the rule's `binding`. A DPoP proof comes back pending: the caller checks
/// its signature and calls [`finish_dpop`].
pub fn check_binding(
    config: &GateConfig,
    rule: &Rule,
    token: &VerifiedToken,
    presented: &Presentation<'_>,
    now: i64,
) -> Result<Binding, Denial> {
    sender::check(&token.claims, rule.binding(), presented, &config.dpop, now)
        .map_err(|error| binding_denial(config, token, error, now))
}

/// Decides a pending DPoP proof once its signature has been checked.
pub fn finish_dpop(
    config: &GateConfig,
    token: &VerifiedToken,
    proof: PendingProof,
    signature_valid: bool,
    cache: &mut ReplayCache,
    now: i64,
) -> Result<(), Denial> {
    proof
        .finish(signature_valid, &config.dpop, cache, now)
        .map_err(|error| binding_denial(config, token, error, now))
}

/// A binding refusal as HTTP: the accepted algorithms for the challenge, and a fresh nonce
/// when the client must retry with one.
pub fn binding_denial(
    config: &GateConfig,
    token: &VerifiedToken,
    error: BindingError,
    now: i64,
) -> Denial {
    let nonce = match (&error, &config.dpop.nonce) {
        (BindingError::UseNonce { .. }, Some(issuer)) => Some(issuer.issue(now)),
        _ => None,
    };
    Denial::Binding(Box::new(BindingRefusal {
        error,
        principal: Principal::of(token),
        algs: config.dpop.algs(),
        nonce,
    }))
}

/// The rule's rate limit and the key to count this request by, if the rule has one.
pub fn rate_limit_key<'r>(
    rule: &'r Rule,
    token: Option<&VerifiedToken>,
    client_ip: Option<&str>,
) -> Option<(&'r RateLimit, String)> {
    rule.rate_limit()
        .map(|limit| (limit, limit.key_for(token, client_ip)))
}

/// The refusal once the limiter says no.
pub fn rate_limited(limit: &RateLimit, token: Option<&VerifiedToken>) -> Denial {
    Denial::RateLimited(Box::new(RateLimitRefusal {
        limit: limit.clone(),
        principal: token.map(Principal::of),
    }))
}

/// Refuses a revoked token; returns whether the check could be made (false: failed open).
pub fn check_revocation(
    token: &VerifiedToken,
    fail_open: bool,
    revocations: Revocations<'_>,
) -> Result<bool, Denial> {
    match revocations {
        Revocations::Current(snapshot) => {
            let c = &token.claims;
            // The verifying key's kid, not the header's: a one-key ring accepts tokens that
            // name none. `iat` rounded down: a token issued at `before - 0.5` is covered.
            match snapshot.check(
                c.jti.as_deref(),
                c.sub.as_deref(),
                c.iat_floor,
                token.key_id.as_deref(),
                c.extra.get(SID_CLAIM).and_then(serde_json::Value::as_str),
            ) {
                Some(by) => Err(Denial::Revoked {
                    by,
                    principal: Principal::of(token),
                }),
                None => Ok(true),
            }
        }
        Revocations::Unavailable { .. } if fail_open => Ok(false),
        Revocations::Unavailable { retry_after_s } => {
            Err(Denial::RevocationUnavailable { retry_after_s })
        }
    }
}

/// Refuses a token that lacks any of `required`.
pub fn check_scopes(token: &VerifiedToken, required: &[String]) -> Result<(), Denial> {
    if required.iter().all(|s| token.claims.has_scope(s)) {
        Ok(())
    } else {
        Err(Denial::InsufficientScope {
            required: required.to_vec(),
            principal: Principal::of(token),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_reasons_say_how_a_request_was_admitted() {
        assert_eq!(Admission::Public.reason(), "public");
        assert_eq!(Admission::Preflight.reason(), "preflight");
        assert_eq!(Admission::Token("t".into()).reason(), "authorized");
    }
}
