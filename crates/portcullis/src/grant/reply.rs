//! What a grant object or the key store answers: the HTTP answer, the audit reason and the
//! grant to revoke, as every store call (and the leak checks) build it.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::oauth::OAuthError;

/// A grant a store call revoked: the Worker records one `sid` revocation for it, which must
/// outlive every access token the grant issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndedSession {
    /// The grant's id, its access tokens' `sid`.
    pub sid: String,
    /// The latest `exp` of its access tokens (0: it issued none).
    pub access_exp: i64,
}

/// What a store answers: the HTTP answer, the audit reason and detail, and the grant to
/// revoke by `sid` (one revoked by reuse, a logout, or a leak).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreReply {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: Value,
    /// Whether to add a `WWW-Authenticate: Basic` challenge (`invalid_client`).
    pub basic_challenge: bool,
    /// Audit reason code.
    pub reason: String,
    /// Audit detail (never a secret).
    pub detail: Option<String>,
    /// The grant whose access tokens to revoke now, by `sid`.
    #[serde(default)]
    pub ended: Option<EndedSession>,
    /// The subject concerned, for the audit log.
    pub sub: Option<String>,
}

impl StoreReply {
    pub(crate) fn ok(status: u16, body: Value, reason: &str, sub: Option<&str>) -> StoreReply {
        StoreReply {
            status,
            body,
            basic_challenge: false,
            reason: reason.to_owned(),
            detail: None,
            ended: None,
            sub: sub.map(str::to_owned),
        }
    }

    pub(super) fn oauth(e: &OAuthError, sub: Option<&str>) -> StoreReply {
        StoreReply {
            status: e.status(),
            body: e.body(),
            basic_challenge: e.basic_challenge(),
            reason: e.reason.to_owned(),
            detail: None,
            ended: None,
            sub: sub.map(str::to_owned),
        }
    }

    pub(super) fn fault(reason: &str) -> StoreReply {
        StoreReply::ok(500, json!({ "error": "server_error" }), reason, None)
    }
}

/// Every audit reason a store reply can carry, so the front can log it as a stable code.
const REASONS: &[&str] = &[
    "grant_opened",
    "grant_exists",
    "grant_revoked",
    "grant_described",
    "grant_not_found",
    "grant_record_unreadable",
    "grant_id_malformed",
    "grant_expired",
    "grant_idle_expired",
    "refresh_rotated",
    "refresh_retry_in_grace",
    "refresh_token_unknown",
    "refresh_token_wrong_grant",
    "refresh_token_wrong_client",
    "refresh_token_reused",
    "scope_widened",
    "api_key_created",
    "api_keys_listed",
    "api_key_revoked",
    "api_key_not_found",
    "api_key_exchanged",
    "api_key_unknown",
    "api_key_expired",
    "mint_failed",
    "misconfigured",
    "leak_checked",
    "leak_revoked",
];

/// `reason` as a stable code: itself if it is one a store gives, else `store_reply`.
pub fn static_reason(reason: &str) -> &'static str {
    REASONS
        .iter()
        .copied()
        .find(|r| *r == reason)
        .unwrap_or("store_reply")
}
