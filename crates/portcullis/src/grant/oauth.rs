//! The token endpoint's wire format (RFC 6749): the form body parser, the token request, the
//! section 5.1 answer and the section 5.2 errors. [`crate::http::token`] makes them HTTP,
//! every one with `Cache-Control: no-store`.

use std::fmt;

use base64::Engine;
use serde_json::{json, Value};

use super::credential::CredentialError;
use super::secrets::{ApiKey, RefreshToken};
use crate::codec::percent;

/// The largest token request body read.
pub const MAX_FORM_LEN: usize = 4096;

/// The RFC 6749 section 5.2 error codes this endpoint answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthErrorCode {
    /// A malformed request: missing or repeated parameter, wrong media type.
    InvalidRequest,
    /// Client authentication failed (an unknown, revoked, expired or mistyped API key).
    InvalidClient,
    /// The refresh token is invalid, expired, revoked or reused.
    InvalidGrant,
    /// A grant type this endpoint does not serve.
    UnsupportedGrantType,
    /// The requested scope exceeds what was granted.
    InvalidScope,
    /// The request's DPoP proof is invalid (RFC 9449 section 5).
    InvalidDpopProof,
    /// The DPoP proof must carry a fresh server nonce (RFC 9449 section 8).
    UseDpopNonce,
}

impl OAuthErrorCode {
    /// The code as RFC 6749 spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            OAuthErrorCode::InvalidRequest => "invalid_request",
            OAuthErrorCode::InvalidClient => "invalid_client",
            OAuthErrorCode::InvalidGrant => "invalid_grant",
            OAuthErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            OAuthErrorCode::InvalidScope => "invalid_scope",
            OAuthErrorCode::InvalidDpopProof => "invalid_dpop_proof",
            OAuthErrorCode::UseDpopNonce => "use_dpop_nonce",
        }
    }
}

/// A token endpoint error: the code, a description safe for anyone, and (for the audit log
/// only) the precise reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    /// The RFC 6749 code.
    pub code: OAuthErrorCode,
    /// `error_description`: never a token, never a stored value.
    pub description: &'static str,
    /// The precise reason for the audit log (a stable code).
    pub reason: &'static str,
}

impl OAuthError {
    /// An error with `code`, client text `description` and audit `reason`.
    pub const fn new(
        code: OAuthErrorCode,
        description: &'static str,
        reason: &'static str,
    ) -> OAuthError {
        OAuthError {
            code,
            description,
            reason,
        }
    }

    fn request(description: &'static str, reason: &'static str) -> OAuthError {
        OAuthError::new(OAuthErrorCode::InvalidRequest, description, reason)
    }

    /// The HTTP status: 401 for `invalid_client` (with a Basic challenge, RFC 6749 5.2),
    /// 400 for the rest.
    pub fn status(&self) -> u16 {
        match self.code {
            OAuthErrorCode::InvalidClient => 401,
            _ => 400,
        }
    }

    /// The body: `{"error", "error_description"}` (never a token, never a stored value).
    pub fn body(&self) -> Value {
        json!({ "error": self.code.as_str(), "error_description": self.description })
    }

    /// Whether the answer carries a `WWW-Authenticate: Basic` challenge (`invalid_client`).
    pub fn basic_challenge(&self) -> bool {
        self.code == OAuthErrorCode::InvalidClient
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.reason)
    }
}

/// An RFC 6749 section 5.1 answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenAnswer {
    /// The access token.
    pub access_token: String,
    /// Its lifetime in seconds.
    pub expires_in: u64,
    /// A refresh token, when the grant has one.
    pub refresh_token: Option<String>,
    /// The access token's scope.
    pub scope: String,
    /// Whether the access token is DPoP-bound (`token_type: DPoP`, RFC 9449 5).
    pub dpop: bool,
}

impl TokenAnswer {
    /// The JSON body.
    pub fn body(&self) -> Value {
        let mut body = json!({
            "access_token": self.access_token,
            "token_type": if self.dpop { "DPoP" } else { "Bearer" },
            "expires_in": self.expires_in,
            "scope": self.scope,
        });
        if let Some(rt) = &self.refresh_token {
            body["refresh_token"] = json!(rt);
        }
        body
    }
}

/// Parses an `application/x-www-form-urlencoded` body (RFC 6749 appendix B): `+` is a space,
/// `%XX` a byte, names and values UTF-8. An empty value counts as absent (section 3.2), a
/// repeated name is an error (section 3.2).
pub fn parse_form(body: &[u8]) -> Result<Vec<(String, String)>, OAuthError> {
    if body.len() > MAX_FORM_LEN {
        return Err(OAuthError::request(
            "the body is too large",
            "form_too_large",
        ));
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        let decode = |part: &[u8]| {
            percent::decode_form_component(part)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or(OAuthError::request(
                    "the form body is not valid percent-encoded UTF-8",
                    "form_encoding",
                ))
        };
        let (name, value) = (decode(name)?, decode(value)?);
        if value.is_empty() {
            continue;
        }
        if out.iter().any(|(n, _)| *n == name) {
            return Err(OAuthError::request(
                "a parameter is repeated",
                "form_repeated_parameter",
            ));
        }
        out.push((name, value));
    }
    Ok(out)
}

/// A token request, parsed and its credential checked for form (no storage read yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRequest {
    /// `grant_type=refresh_token` (section 6).
    Refresh {
        /// The presented token.
        token: RefreshToken,
        /// `client_id`, if the client named itself.
        client_id: Option<String>,
        /// `scope`, if asked.
        scope: Option<String>,
    },
    /// `grant_type=client_credentials` (section 4.4) with an API key as the client secret.
    ClientCredentials {
        /// The presented key.
        key: ApiKey,
        /// `scope`, if asked.
        scope: Option<String>,
    },
}

const BAD_KEY: OAuthError = OAuthError::new(
    OAuthErrorCode::InvalidClient,
    "client authentication failed",
    "api_key_malformed",
);

/// Client credentials from `Authorization: Basic` (section 2.3.1: each part form-encoded,
/// then joined with `:` and base64).
fn basic(header: &str) -> Result<(String, String), OAuthError> {
    let bad = OAuthError::new(
        OAuthErrorCode::InvalidClient,
        "client authentication failed",
        "basic_malformed",
    );
    let (scheme, rest) = header.trim().split_once(' ').ok_or(bad.clone())?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::request(
            "only Basic client authentication is accepted here",
            "authorization_not_basic",
        ));
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .map_err(|_| bad.clone())?;
    let text = String::from_utf8(raw).map_err(|_| bad.clone())?;
    let (id, secret) = text.split_once(':').ok_or(bad.clone())?;
    let part = |p: &str| {
        percent::decode_form_component(p.as_bytes())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or(bad.clone())
    };
    Ok((part(id)?, part(secret)?))
}

/// Parses a token request: media type, grant type, client authentication (HTTP Basic or
/// form, never both), and the credential's format and checksum.
pub fn parse_token_request(
    content_type: Option<&str>,
    authorization: Option<&str>,
    body: &[u8],
) -> Result<TokenRequest, OAuthError> {
    let media = content_type
        .and_then(|c| c.split(';').next())
        .map(str::trim)
        .unwrap_or_default();
    if !media.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(OAuthError::request(
            "the body must be application/x-www-form-urlencoded",
            "not_a_form",
        ));
    }
    let form = parse_form(body)?;
    let get = |name: &str| form.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let from_header = authorization.map(basic).transpose()?;
    if from_header.is_some() && get("client_secret").is_some() {
        return Err(OAuthError::request(
            "use one client authentication method",
            "two_client_authentications",
        ));
    }
    let (client_id, client_secret) = match from_header {
        Some((id, secret)) => (Some(id).filter(|i| !i.is_empty()), Some(secret)),
        None => (get("client_id"), get("client_secret")),
    };
    let scope = get("scope");
    match get("grant_type").as_deref() {
        None => Err(OAuthError::request(
            "grant_type is missing",
            "no_grant_type",
        )),
        Some("refresh_token") => {
            let text = get("refresh_token").ok_or(OAuthError::request(
                "refresh_token is missing",
                "no_refresh_token",
            ))?;
            let token = RefreshToken::parse(&text).map_err(|e| {
                OAuthError::new(
                    OAuthErrorCode::InvalidGrant,
                    "the refresh token is invalid",
                    malformed_reason(e),
                )
            })?;
            Ok(TokenRequest::Refresh {
                token,
                client_id,
                scope,
            })
        }
        Some("client_credentials") => {
            let secret = client_secret.ok_or(OAuthError::new(
                OAuthErrorCode::InvalidClient,
                "client authentication is missing",
                "no_client_secret",
            ))?;
            let key = ApiKey::parse(&secret).map_err(|_| BAD_KEY)?;
            if client_id.as_ref().is_some_and(|id| *id != key.id.to_text()) {
                return Err(OAuthError::new(
                    OAuthErrorCode::InvalidClient,
                    "client authentication failed",
                    "client_id_mismatch",
                ));
            }
            Ok(TokenRequest::ClientCredentials { key, scope })
        }
        Some(_) => Err(OAuthError::new(
            OAuthErrorCode::UnsupportedGrantType,
            "this endpoint serves refresh_token and client_credentials",
            "unsupported_grant_type",
        )),
    }
}

fn malformed_reason(e: CredentialError) -> &'static str {
    match e {
        CredentialError::BadChecksum => "refresh_token_bad_checksum",
        _ => "refresh_token_malformed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grant::secrets::{ApiKeyId, GrantId};

    const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

    fn refresh_text() -> String {
        RefreshToken {
            grant: GrantId([1; 16]),
            generation: 2,
            secret: [3; 20],
        }
        .encode()
    }

    fn key() -> ApiKey {
        ApiKey {
            id: ApiKeyId([5; 12]),
            secret: [6; 20],
        }
    }

    #[test]
    fn parses_forms_strictly() {
        assert_eq!(
            parse_form(b"a=1&b=x+y%21&&c=").unwrap(),
            vec![("a".into(), "1".into()), ("b".into(), "x y!".into())]
        );
        assert_eq!(
            parse_form(b"a=1&a=2").unwrap_err().reason,
            "form_repeated_parameter"
        );
        assert_eq!(parse_form(b"a=%zz").unwrap_err().reason, "form_encoding");
        assert_eq!(parse_form(b"a=%ff").unwrap_err().reason, "form_encoding");
        assert_eq!(
            parse_form(&vec![b'a'; MAX_FORM_LEN + 1])
                .unwrap_err()
                .reason,
            "form_too_large"
        );
    }

    #[test]
    fn parses_a_refresh_request() {
        let body = format!(
            "grant_type=refresh_token&refresh_token={}&scope=a+b",
            refresh_text()
        );
        match parse_token_request(FORM, None, body.as_bytes()).unwrap() {
            TokenRequest::Refresh { token, scope, .. } => {
                assert_eq!(token.generation, 2);
                assert_eq!(scope.as_deref(), Some("a b"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_mistyped_refresh_token_is_invalid_grant_without_storage() {
        let mut text = refresh_text();
        let last = text.pop().unwrap();
        text.push(if last == 'a' { 'b' } else { 'a' });
        let body = format!("grant_type=refresh_token&refresh_token={text}");
        let e = parse_token_request(FORM, None, body.as_bytes()).unwrap_err();
        assert_eq!(
            (e.code, e.reason),
            (OAuthErrorCode::InvalidGrant, "refresh_token_bad_checksum")
        );
    }

    #[test]
    fn client_credentials_by_basic_or_form_never_both() {
        let k = key();
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            k.id.to_text(),
            k.encode()
        ));
        let header = format!("Basic {basic}");
        let got = parse_token_request(FORM, Some(&header), b"grant_type=client_credentials");
        assert!(matches!(got, Ok(TokenRequest::ClientCredentials { key, .. }) if key == k));
        let body = format!("grant_type=client_credentials&client_secret={}", k.encode());
        assert!(parse_token_request(FORM, None, body.as_bytes()).is_ok());
        assert_eq!(
            parse_token_request(FORM, Some(&header), body.as_bytes())
                .unwrap_err()
                .reason,
            "two_client_authentications"
        );
        let wrong_id = format!(
            "grant_type=client_credentials&client_id=x&client_secret={}",
            k.encode()
        );
        assert_eq!(
            parse_token_request(FORM, None, wrong_id.as_bytes())
                .unwrap_err()
                .reason,
            "client_id_mismatch"
        );
        let e = parse_token_request(
            FORM,
            None,
            b"grant_type=client_credentials&client_secret=pcak_nope",
        )
        .unwrap_err();
        assert_eq!((e.code, e.status()), (OAuthErrorCode::InvalidClient, 401));
        assert!(e.basic_challenge());
    }

    #[test]
    fn refuses_wrong_media_missing_and_unknown_grant_types() {
        let e = parse_token_request(Some("application/json"), None, b"{}").unwrap_err();
        assert_eq!(e.code, OAuthErrorCode::InvalidRequest);
        let e = parse_token_request(FORM, None, b"scope=a").unwrap_err();
        assert_eq!(e.code, OAuthErrorCode::InvalidRequest);
        let e = parse_token_request(FORM, None, b"grant_type=password").unwrap_err();
        assert_eq!(e.code, OAuthErrorCode::UnsupportedGrantType);
        let e = parse_token_request(FORM, None, b"grant_type=refresh_token").unwrap_err();
        assert_eq!(e.reason, "no_refresh_token");
    }

    #[test]
    fn bodies_are_rfc_6749_shaped() {
        let e = OAuthError::new(OAuthErrorCode::InvalidGrant, "nope", "x");
        assert_eq!(e.status(), 400);
        assert_eq!(
            e.body(),
            json!({"error": "invalid_grant", "error_description": "nope"})
        );
        let ok = TokenAnswer {
            access_token: "at".into(),
            expires_in: 300,
            refresh_token: Some("rt".into()),
            scope: "a".into(),
            dpop: false,
        }
        .body();
        assert_eq!(ok["token_type"], "Bearer");
        assert_eq!(ok["refresh_token"], "rt");
    }
}
