//! `POST <prefix>/check-url`: the console's link checker. For a URL and a method it says
//! which rule the gate would apply, in which format, and what the gate would decide about
//! the signed link it carries, with the same reason codes as the 403 problem documents. It
//! changes nothing and forwards nothing; the answer names the link's expiry and key, never
//! its signature.

use serde_json::{json, Value};

use crate::codec::json;
use crate::config::GateConfig;
use crate::http::admin::{AdminAnswer, AdminError};
use crate::http::signed::{check_signed_revocation, verify_signed, SignedGrant, SignedRequest};
use crate::http::url::split_url;
use crate::http::{Denial, Revocations};
use crate::routes::{normalize_path, Access, NormalizedPath, Rule};

/// A parsed link-check body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckUrlRequest {
    /// The URL (absolute, or a path with its query).
    pub url: String,
    /// The method to check for (default `GET`).
    pub method: String,
}

/// Reads `{"url": "…", "method": "GET"}` (method optional).
pub fn check_url_request(body: &[u8]) -> Result<CheckUrlRequest, Denial> {
    let bad = |what| Denial::BadAdminRequest(AdminError::CheckUrlBody { what });
    let object = json::parse_object(body).map_err(|_| bad("the body is not a JSON object"))?;
    if object.keys().any(|k| k != "url" && k != "method") {
        return Err(bad("the body takes only \"url\" and \"method\""));
    }
    let url = match object.get("url") {
        Some(Value::String(u)) if !u.is_empty() => u.clone(),
        _ => return Err(bad("\"url\" must be a non-empty string")),
    };
    let method = match object.get("method") {
        None => "GET".to_owned(),
        Some(Value::String(m)) if crate::routes::is_valid_method(m) => m.clone(),
        _ => return Err(bad("\"method\" must be an HTTP method")),
    };
    Ok(CheckUrlRequest { url, method })
}

/// What the gate would do with a URL, before the revocation list is consulted.
#[derive(Debug)]
pub enum CheckedUrl<'c> {
    /// The answer is known without the revocation list.
    Answer(AdminAnswer),
    /// A ring-keyed link verified; the revocation list decides the rest ([`check_url`]
    /// finishes with it).
    NeedsRevocations {
        /// The rule.
        rule: &'c Rule,
        /// The normalized path.
        path: NormalizedPath,
        /// The grant so far.
        grant: SignedGrant,
    },
}

fn answer(body: Value) -> AdminAnswer {
    AdminAnswer {
        status: 200,
        body,
        reason: "url_checked",
        detail: None,
        revocation_reason: None,
    }
}

fn rule_json(rule: &Rule) -> Value {
    let auth = match rule.access() {
        Access::Public => "public",
        Access::Token { .. } => "token",
        Access::Signed(f) => f.name(),
    };
    json!({ "index": rule.index(), "match": rule.pattern(), "auth": auth })
}

fn verdict(rule: &Rule, path: &NormalizedPath, result: Result<&SignedGrant, &Denial>) -> Value {
    let mut body = json!({ "path": path.as_str(), "rule": rule_json(rule) });
    match result {
        Ok(grant) => {
            body["verdict"] = json!("accepted");
            body["format"] = json!(grant.format);
            body["expires"] = json!(grant.expires);
            body["kid"] = json!(grant.key_id);
            body["forwarded_query"] = json!(grant.forward_query);
            body["sets_cookie"] = json!(grant.set_cookie.is_some());
        }
        Err(denial) => {
            body["verdict"] = json!("refused");
            body["status"] = json!(denial.status());
            body["code"] = json!(denial.code());
            body["detail"] = json!(denial.client_detail());
        }
    }
    body
}

/// Phase one of a link check: the route, and the link's own verification.
pub fn check_url<'c>(
    config: &'c GateConfig,
    request: &CheckUrlRequest,
    now: i64,
) -> CheckedUrl<'c> {
    let parts = split_url(&request.url);
    let path = match normalize_path(parts.path) {
        Ok(p) => p,
        Err(e) => {
            return CheckedUrl::Answer(answer(json!({
                "verdict": "refused", "status": 400, "code": "bad_path", "detail": e.to_string(),
            })))
        }
    };
    let Some(rule) = config.routes.find(&request.method, &path) else {
        return CheckedUrl::Answer(answer(json!({
            "path": path.as_str(), "rule": null, "verdict": "refused", "status": 403,
            "code": "no_route", "detail": "no rule allows this method and path",
        })));
    };
    let format = match rule.access() {
        Access::Signed(format) => format,
        Access::Public => {
            return CheckedUrl::Answer(answer(
                json!({ "path": path.as_str(), "rule": rule_json(rule), "verdict": "public" }),
            ))
        }
        Access::Token { .. } => {
            return CheckedUrl::Answer(answer(
                json!({ "path": path.as_str(), "rule": rule_json(rule), "verdict": "needs_token" }),
            ))
        }
    };
    let signed = SignedRequest {
        method: &request.method,
        raw_path: parts.path,
        query: parts.query,
        path: &path,
        cookie: None,
        header: None,
        client_ip: None,
    };
    match verify_signed(config, format, &signed, now) {
        Ok(grant) if grant.needs_revocation_check() => {
            CheckedUrl::NeedsRevocations { rule, path, grant }
        }
        Ok(grant) => CheckedUrl::Answer(answer(verdict(rule, &path, Ok(&grant)))),
        Err(denial) => CheckedUrl::Answer(answer(verdict(rule, &path, Err(&denial)))),
    }
}

impl CheckedUrl<'_> {
    /// The answer, once the revocation list is known (only consulted for a ring-keyed link).
    pub fn finish(self, revocations: Revocations<'_>) -> AdminAnswer {
        match self {
            CheckedUrl::Answer(a) => a,
            CheckedUrl::NeedsRevocations { rule, path, grant } => {
                match check_signed_revocation(&grant, rule.fail_open(), revocations) {
                    Ok(_) => answer(verdict(rule, &path, Ok(&grant))),
                    Err(denial) => answer(verdict(rule, &path, Err(&denial))),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_a_url_and_an_optional_method_and_nothing_else() {
        assert_eq!(
            check_url_request(br#"{"url": "/a?b=1"}"#),
            Ok(CheckUrlRequest {
                url: "/a?b=1".into(),
                method: "GET".into()
            })
        );
        assert_eq!(
            check_url_request(br#"{"url": "/a", "method": "HEAD"}"#).map(|r| r.method),
            Ok("HEAD".into())
        );
        for bad in [
            &br#"{"url": ""}"#[..],
            br#"{"url": 1}"#,
            br#"{"method": "GET"}"#,
            br#"{"url": "/a", "method": "G ET"}"#,
            br#"{"url": "/a", "extra": 1}"#,
            br#"{"url": "/a", "url": "/b"}"#,
            b"[]",
        ] {
            let Err(denial) = check_url_request(bad) else {
                panic!("{bad:?} accepted");
            };
            assert_eq!(denial.code(), "bad_check_url_body");
            assert_eq!(denial.status(), 400);
        }
    }
}
