//! The token endpoint's and the stores' answers as HTTP (RFC 6749 sections 5.1 and 5.2):
//! JSON, `Cache-Control: no-store` and `Pragma: no-cache` on every one, and a Basic
//! challenge with `invalid_client` (section 5.2 asks for one when the client used HTTP
//! Basic; it is sent always, so the answer does not reveal which method was tried).

use serde_json::Value;

use crate::grant::oauth::{OAuthError, TokenAnswer};
use crate::grant::service::StoreReply;
use crate::http::HttpResponse;

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
        }
        .response();
        assert_eq!(
            (ok.status, ok.header("cache-control")),
            (200, Some("no-store"))
        );
    }
}
