//! The token endpoint's and the stores' answers as HTTP (RFC 6749 sections 5.1 and 5.2):
//! JSON, `Cache-Control: no-store` and `Pragma: no-cache` on every one, and a Basic
//! challenge with `invalid_client` (section 5.2 asks for one when the client used HTTP
//! Basic; it is sent always, so the answer does not reveal which method was tried).

//!
//! A token request may carry a `DPoP` proof (RFC 9449 section 5): [`token_request_proof`]
//! and [`finish_token_proof`] check it with the gate's own proof checks (`htm` POST, `htu`
//! the token endpoint, the `iat` window, the nonce, the replay cache; no `ath`, as there is
//! no access token yet), and the access token issued is then bound to its key (`cnf.jkt`).

use serde_json::Value;

use crate::config::GateConfig;
use crate::grant::oauth::{OAuthError, OAuthErrorCode, TokenAnswer};
use crate::grant::reply::StoreReply;
use crate::http::HttpResponse;
use crate::sender::dpop::{check_token_request_proof, PendingProof};
use crate::sender::replay::ReplayCache;
use crate::sender::BindingError;

/// A token request's DPoP proof refused: the RFC 6749 error (`invalid_dpop_proof`, or
/// `use_dpop_nonce` with a fresh nonce for the `DPoP-Nonce` header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenProofRefusal {
    /// The error as the client sees it; its `reason` is the binding error's code.
    pub error: OAuthError,
    /// A fresh nonce, when the client must retry with one.
    pub nonce: Option<String>,
}

impl TokenProofRefusal {
    fn new(config: &GateConfig, error: BindingError, now: i64) -> TokenProofRefusal {
        let (code, nonce) = match (&error, &config.dpop.nonce) {
            (BindingError::UseNonce { .. }, Some(issuer)) => {
                (OAuthErrorCode::UseDpopNonce, Some(issuer.issue(now)))
            }
            _ => (OAuthErrorCode::InvalidDpopProof, None),
        };
        TokenProofRefusal {
            error: OAuthError::new(code, error.client_detail(), error.code()),
            nonce,
        }
    }

    /// The section 5.2 answer, with `DPoP-Nonce` when there is one.
    pub fn response(&self, realm: &str) -> HttpResponse {
        let mut response = self.error.response(realm);
        if let Some(nonce) = &self.nonce {
            response.headers.push(("dpop-nonce", nonce.clone()));
        }
        response
    }
}

/// The `DPoP` proof of a token request to `htu` (the token endpoint's URL as the gate
/// normalized it), up to its signature; `None` without a `DPoP` header (a bearer token is
/// issued).
pub fn token_request_proof(
    config: &GateConfig,
    dpop: Option<&str>,
    htu: &str,
    now: i64,
) -> Result<Option<PendingProof>, TokenProofRefusal> {
    let Some(dpop) = dpop else {
        return Ok(None);
    };
    check_token_request_proof(Some(dpop), "POST", htu, &config.dpop)
        .map(Some)
        .map_err(|e| TokenProofRefusal::new(config, e, now))
}

/// Given whether the proof's signature held, the rest of the checks; the thumbprint the
/// access token is to be bound to.
pub fn finish_token_proof(
    config: &GateConfig,
    proof: PendingProof,
    signature_valid: bool,
    cache: &mut ReplayCache,
    now: i64,
) -> Result<String, TokenProofRefusal> {
    let jkt = proof.jkt().to_owned();
    proof
        .finish(signature_valid, &config.dpop, cache, now)
        .map(|()| jkt)
        .map_err(|e| TokenProofRefusal::new(config, e, now))
}

fn oauth_response(status: u16, body: &Value, basic_challenge: bool, realm: &str) -> HttpResponse {
    let mut headers = vec![
        ("content-type", "application/json".to_owned()),
        ("cache-control", "no-store".to_owned()),
        ("pragma", "no-cache".to_owned()),
    ];
    if basic_challenge {
        headers.push(("www-authenticate", format!(r#"Basic realm="{realm}""#)));
    }
    HttpResponse {
        status,
        headers,
        body: body.to_string(),
    }
}

impl OAuthError {
    /// The section 5.2 answer.
    pub fn response(&self, realm: &str) -> HttpResponse {
        oauth_response(self.status(), &self.body(), self.basic_challenge(), realm)
    }
}

impl TokenAnswer {
    /// The section 5.1 answer (200).
    pub fn response(&self) -> HttpResponse {
        oauth_response(200, &self.body(), false, "")
    }
}

impl StoreReply {
    /// A store's answer as sent.
    pub fn response(&self, realm: &str) -> HttpResponse {
        oauth_response(self.status, &self.body, self.basic_challenge, realm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grant::oauth::OAuthErrorCode;

    #[test]
    fn every_answer_is_no_store_and_invalid_client_challenges() {
        let e = OAuthError::new(OAuthErrorCode::InvalidClient, "no", "x").response("gate");
        assert_eq!(e.status, 401);
        assert_eq!(e.header("cache-control"), Some("no-store"));
        assert_eq!(e.header("pragma"), Some("no-cache"));
        assert_eq!(e.header("www-authenticate"), Some(r#"Basic realm="gate""#));
        let g = OAuthError::new(OAuthErrorCode::InvalidGrant, "no", "x").response("gate");
        assert_eq!((g.status, g.header("www-authenticate")), (400, None));
        let ok = TokenAnswer {
            access_token: "a".into(),
            expires_in: 1,
            refresh_token: None,
            scope: "s".into(),
            dpop: false,
        }
        .response();
        assert_eq!(
            (ok.status, ok.header("cache-control")),
            (200, Some("no-store"))
        );
    }
}
