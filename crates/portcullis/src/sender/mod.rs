//! Sender-constrained tokens: a token whose `cnf` claim (RFC 7800) binds it to a key the
//! presenter must prove it holds, so a stolen copy is worthless on its own.
//!
//! - [`mtls`]: RFC 8705 certificate-bound tokens (`cnf.x5t#S256`), checked against the client
//!   certificate facts the platform reports;
//! - [`dpop`]: RFC 9449 proofs (`cnf.jkt`), parsed and decided here; the signature check is
//!   injected ([`dpop::SignatureVerifier`]), so the Worker can use WebCrypto and ship no curve
//!   code;
//! - [`replay`]: the in-isolate `jti` cache; [`nonce`]: stateless server nonces.
//!
//! [`check`] is the one decision: which binding a verified token carries and whether this
//! presentation satisfies it.

pub mod dpop;
mod error;
pub mod mtls;
pub mod nonce;
pub mod replay;

pub use error::BindingError;

use serde_json::Value;

use crate::jwt::claims::Claims;

/// The confirmation (`cnf`) a token carries: what it is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    /// No `cnf`: a bearer token.
    Unbound,
    /// `cnf.x5t#S256`: the base64url SHA-256 of the client certificate (RFC 8705 3.1).
    Certificate(String),
    /// `cnf.jkt`: the RFC 7638 thumbprint of the DPoP key (RFC 9449 6.1).
    DpopKey(String),
}

impl Confirmation {
    /// Reads `cnf` from verified claims. A `cnf` that binds to nothing this gate can check
    /// (another member, both members, a non-string) is refused: accepting it would treat a
    /// bound token as a bearer one.
    pub fn of(claims: &Claims) -> Result<Confirmation, BindingError> {
        Confirmation::from_cnf(claims.extra.get("cnf"))
    }

    /// Reads a `cnf` claim's value (absent: [`Confirmation::Unbound`]); for tools that hold
    /// claims unverified, such as `portcullis inspect`.
    pub fn from_cnf(cnf: Option<&Value>) -> Result<Confirmation, BindingError> {
        let Some(cnf) = cnf else {
            return Ok(Confirmation::Unbound);
        };
        let Value::Object(cnf) = cnf else {
            return Err(BindingError::UnsupportedConfirmation);
        };
        let x5t = cnf.get("x5t#S256");
        let jkt = cnf.get("jkt");
        match (x5t, jkt, cnf.len()) {
            (Some(Value::String(h)), None, 1) if is_sha256_b64(h) => {
                Ok(Confirmation::Certificate(h.clone()))
            }
            (None, Some(Value::String(t)), 1) if is_sha256_b64(t) => {
                Ok(Confirmation::DpopKey(t.clone()))
            }
            _ => Err(BindingError::UnsupportedConfirmation),
        }
    }

    /// A short name for logs and the CLI: `none`, `mtls` or `dpop`.
    pub fn kind(&self) -> &'static str {
        match self {
            Confirmation::Unbound => "none",
            Confirmation::Certificate(_) => "mtls",
            Confirmation::DpopKey(_) => "dpop",
        }
    }
}

/// Whether `text` is unpadded base64url of exactly 32 bytes (a SHA-256 digest).
pub fn is_sha256_b64(text: &str) -> bool {
    text.len() == 43 && crate::codec::b64::decode(text).is_ok_and(|d| d.len() == 32)
}

/// How the token came: `Authorization: Bearer` (or the cookie), or `Authorization: DPoP`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scheme {
    /// RFC 6750: header `Bearer` or the token cookie.
    #[default]
    Bearer,
    /// RFC 9449 section 7.1: header `DPoP`.
    Dpop,
}

/// The binding a route asks of its tokens (rule field `binding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Requirement {
    /// Bearer and bound tokens alike (a bound token must still satisfy its binding).
    #[default]
    Any,
    /// Only sender-constrained tokens (mTLS or DPoP).
    Bound,
    /// Only certificate-bound tokens.
    Mtls,
    /// Only DPoP-bound tokens.
    Dpop,
}

impl Requirement {
    /// Reads the rule field's value.
    pub fn parse(text: &str) -> Option<Requirement> {
        Some(match text {
            "any" => Requirement::Any,
            "bound" => Requirement::Bound,
            "mtls" => Requirement::Mtls,
            "dpop" => Requirement::Dpop,
            _ => return None,
        })
    }

    fn admits(self, confirmation: &Confirmation) -> bool {
        matches!(
            (self, confirmation),
            (Requirement::Any, _)
                | (
                    Requirement::Bound,
                    Confirmation::Certificate(_) | Confirmation::DpopKey(_)
                )
                | (Requirement::Mtls, Confirmation::Certificate(_))
                | (Requirement::Dpop, Confirmation::DpopKey(_))
        )
    }
}

/// What the gate must still do to admit a token whose binding [`check`] has decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Binding {
    /// A bearer token, on a route that takes one.
    Unbound,
    /// A certificate-bound token presented over the matching client certificate.
    Certificate,
    /// A DPoP-bound token whose proof passed every check but the signature (and the replay
    /// cache, which is only touched once the signature holds). Boxed: it holds the proof.
    Dpop(Box<dpop::PendingProof>),
}

impl Binding {
    /// The audit name: `none`, `mtls` or `dpop`.
    pub fn kind(&self) -> &'static str {
        match self {
            Binding::Unbound => "none",
            Binding::Certificate => "mtls",
            Binding::Dpop(_) => "dpop",
        }
    }
}

/// What a request presents besides its token, for [`check`].
#[derive(Debug, Clone, Copy)]
pub struct Presentation<'a> {
    /// How the token came.
    pub scheme: Scheme,
    /// The `DPoP` header (several fields joined with `, ` by the platform).
    pub dpop_proof: Option<&'a str>,
    /// The platform's client certificate facts (`request.cf.tlsClientAuth`).
    pub client_cert: Option<&'a mtls::ClientCert>,
    /// The request method.
    pub method: &'a str,
    /// The request URL as the gate normalized it: `scheme://authority` + normalized path.
    pub htu: &'a str,
    /// The access token as presented (for `ath`).
    pub token: &'a str,
}

/// Decides a verified token's binding against the request: the route's requirement, then
/// the scheme, then the binding itself. `now` is seconds since the epoch.
pub fn check(
    claims: &Claims,
    requirement: Requirement,
    presented: &Presentation<'_>,
    settings: &dpop::DpopSettings,
    now: i64,
) -> Result<Binding, BindingError> {
    let confirmation = Confirmation::of(claims)?;
    if !requirement.admits(&confirmation) {
        return Err(BindingError::BindingRequired);
    }
    match (&confirmation, presented.scheme) {
        (Confirmation::Unbound, Scheme::Bearer) => Ok(Binding::Unbound),
        // RFC 9449 7.1: the DPoP scheme is for DPoP-bound tokens.
        (Confirmation::Unbound | Confirmation::Certificate(_), Scheme::Dpop) => {
            Err(BindingError::DpopSchemeForUnboundToken)
        }
        (Confirmation::Certificate(x5t), Scheme::Bearer) => {
            mtls::check(x5t, presented.client_cert)?;
            Ok(Binding::Certificate)
        }
        // RFC 9449 7.2: a DPoP-bound token presented as a bearer token is refused.
        (Confirmation::DpopKey(_), Scheme::Bearer) => Err(BindingError::BoundTokenAsBearer),
        (Confirmation::DpopKey(jkt), Scheme::Dpop) => {
            dpop::check_proof(jkt, presented, settings, now).map(|p| Binding::Dpop(Box::new(p)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(cnf: Option<Value>) -> Claims {
        let mut map = json!({"exp": 2_000_000_000, "sub": "a"});
        if let Some(cnf) = cnf {
            map["cnf"] = cnf;
        }
        Claims::parse(map.to_string().as_bytes()).unwrap()
    }

    fn presented(scheme: Scheme, cert: Option<&mtls::ClientCert>) -> Presentation<'_> {
        Presentation {
            scheme,
            dpop_proof: None,
            client_cert: cert,
            method: "GET",
            htu: "https://h/a",
            token: "t",
        }
    }

    #[test]
    fn each_binding_needs_its_own_presentation_and_the_rule_may_require_one() {
        let cert = mtls::ClientCert {
            presented: "1".into(),
            verified: "SUCCESS".into(),
            fingerprint_sha256: "ab".repeat(32),
        };
        let x5t = cert.x5t_s256().unwrap();
        let jkt = crate::codec::b64::encode([1u8; 32]);
        let bearer = claims(None);
        let mtls_bound = claims(Some(json!({ "x5t#S256": x5t })));
        let dpop_bound = claims(Some(json!({ "jkt": jkt })));
        let s = dpop::DpopSettings::default();
        let check = |c: &Claims, r: Requirement, p: &Presentation<'_>| check(c, r, p, &s, 0);
        use Requirement::*;
        assert_eq!(
            check(&bearer, Any, &presented(Scheme::Bearer, None)),
            Ok(Binding::Unbound)
        );
        for r in [Bound, Mtls, Dpop] {
            assert_eq!(
                check(&bearer, r, &presented(Scheme::Bearer, None)),
                Err(BindingError::BindingRequired)
            );
        }
        assert_eq!(
            check(&bearer, Any, &presented(Scheme::Dpop, None)),
            Err(BindingError::DpopSchemeForUnboundToken)
        );
        for r in [Any, Bound, Mtls] {
            assert_eq!(
                check(&mtls_bound, r, &presented(Scheme::Bearer, Some(&cert))),
                Ok(Binding::Certificate)
            );
        }
        assert_eq!(
            check(&mtls_bound, Dpop, &presented(Scheme::Bearer, Some(&cert))),
            Err(BindingError::BindingRequired)
        );
        assert_eq!(
            check(&mtls_bound, Any, &presented(Scheme::Bearer, None)),
            Err(BindingError::CertificateMissing)
        );
        assert_eq!(
            check(&dpop_bound, Any, &presented(Scheme::Bearer, None)),
            Err(BindingError::BoundTokenAsBearer)
        );
        assert_eq!(
            check(&dpop_bound, Mtls, &presented(Scheme::Dpop, None)),
            Err(BindingError::BindingRequired)
        );
        assert_eq!(
            check(&dpop_bound, Dpop, &presented(Scheme::Dpop, None)),
            Err(BindingError::ProofMissing)
        );
        for cnf in [
            json!("x"),
            json!({}),
            json!({"jkt": "short"}),
            json!({"jkt": jkt, "x5t#S256": x5t}),
            json!({"x5u": "https://x"}),
        ] {
            assert_eq!(
                check(
                    &claims(Some(cnf.clone())),
                    Any,
                    &presented(Scheme::Bearer, Some(&cert))
                ),
                Err(BindingError::UnsupportedConfirmation),
                "{cnf}"
            );
        }
    }
}
