//! A leaked refresh token or API key, checked (and, when asked, revoked) in the store that
//! holds it: the grant object or the key store. Used by the secret-scanning partner
//! endpoint and by admin introspection for the scanner.
//!
//! A credential is ours only if it authenticates: the checksum alone says it has our shape,
//! not that we issued it, and a string that does not authenticate changes nothing (as at
//! the token endpoint), so a made-up `pcrt_` naming a real `sid` cannot end a session.

use serde::Serialize;
use serde_json::json;

use super::apikey::ApiKeyRecord;
use super::reply::StoreReply;
use super::secrets::{ApiKey, RefreshToken};
use super::state::{Grant, RevokeReason};

/// What the store knows of a leaked credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LeakStatus {
    /// Ours and usable until revoked.
    Live,
    /// Ours, past its grant's or key's lifetime.
    Expired,
    /// Ours, already revoked.
    Revoked,
    /// Not a credential this store issued (no record, or the secret does not match; a
    /// refresh token older than the kept generations cannot be told from a fake).
    Unknown,
}

impl LeakStatus {
    /// As written in answers and audit lines.
    pub fn as_str(self) -> &'static str {
        match self {
            LeakStatus::Live => "live",
            LeakStatus::Expired => "expired",
            LeakStatus::Revoked => "revoked",
            LeakStatus::Unknown => "unknown",
        }
    }

    /// The status in a store's answer (`{"status": …}`), as [`leak_reply`] writes it.
    pub fn from_reply(body: &serde_json::Value) -> Option<LeakStatus> {
        let name = body.get("status")?.as_str()?;
        [
            LeakStatus::Live,
            LeakStatus::Expired,
            LeakStatus::Revoked,
            LeakStatus::Unknown,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }
}

/// The status of a leaked refresh token in its grant; with `revoke`, a live grant is revoked
/// (then the latest `exp` of its access tokens is returned, for its `sid` revocation).
/// Returns whether the grant changed.
pub fn grant_leak(
    grant: Option<&mut Grant>,
    presented: &str,
    revoke: bool,
    now: i64,
) -> (LeakStatus, bool, Option<i64>) {
    let (Some(grant), Ok(token)) = (grant, RefreshToken::parse(presented)) else {
        return (LeakStatus::Unknown, false, None);
    };
    if !grant.authenticates(&token) {
        return (LeakStatus::Unknown, false, None);
    }
    if grant.revoked.is_some() {
        return (LeakStatus::Revoked, false, None);
    }
    if !grant.is_active(now) {
        return (LeakStatus::Expired, false, None);
    }
    if !revoke {
        return (LeakStatus::Live, false, None);
    }
    (
        LeakStatus::Live,
        true,
        Some(grant.revoke(RevokeReason::Revoked, now)),
    )
}

/// The status of a leaked API key; with `revoke`, a live key is revoked. Returns the record
/// to write when it changed.
pub fn key_leak(
    record: Option<&ApiKeyRecord>,
    presented: &str,
    revoke: bool,
    now: i64,
) -> (LeakStatus, Option<ApiKeyRecord>) {
    let (Some(record), Ok(key)) = (record, ApiKey::parse(presented)) else {
        return (LeakStatus::Unknown, None);
    };
    if !record.authenticates(&key) {
        return (LeakStatus::Unknown, None);
    }
    if record.revoked_at.is_some() {
        return (LeakStatus::Revoked, None);
    }
    if record.expires_at.is_some_and(|exp| now >= exp) {
        return (LeakStatus::Expired, None);
    }
    if !revoke {
        return (LeakStatus::Live, None);
    }
    let mut record = record.clone();
    record.revoke(now);
    (LeakStatus::Live, Some(record))
}

/// The store's answer: `{"status", "revoked_now", "sub"?}`; the audit reason names the step.
pub fn leak_reply(
    status: LeakStatus,
    revoked_now: bool,
    sub: Option<&str>,
    target: &str,
) -> StoreReply {
    let reason = if revoked_now {
        "leak_revoked"
    } else {
        "leak_checked"
    };
    let body = json!({
        "status": status,
        "revoked_now": revoked_now,
        "sub": if status == LeakStatus::Unknown { None } else { sub },
    });
    let mut reply = StoreReply::ok(200, body, reason, sub);
    reply.detail = Some(format!("{target} {}", status.as_str()));
    reply
}
