//! The gate's decision for one request, in two phases: [`route`] reads the request head
//! (path, route rule, credential) and [`authorize`] verifies the token against the key ring,
//! the revocation snapshot and the rule's scopes. Only the second may need the revocation
//! snapshot, which the Worker may have to fetch in between.

use crate::config::GateConfig;
use crate::http::{screen, Denial, Principal, RequestHead};
use crate::jwt::verify::{verify, VerifiedToken};
use crate::revocation::RevocationSnapshot;
use crate::routes::{Access, NormalizedPath, PathError, Rule};

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
    let token = screen(head, config.cookie.as_deref())?;
    let path = path.map_err(Denial::BadPath)?;
    if head.method == "OPTIONS" {
        if let Some(requested) = head.preflight_method {
            if let Some(rule) = config.routes.find_preflight(requested, &path) {
                return Ok(Routed {
                    rule,
                    path,
                    access: Admission::Preflight,
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
    Ok(Routed { rule, path, access })
}

/// The revocation list as the Worker holds it for this request.
#[derive(Debug, Clone, Copy)]
pub enum Revocations<'a> {
    /// A snapshot young enough to decide with.
    Current(&'a RevocationSnapshot),
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
