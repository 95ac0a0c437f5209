//! What the two stores do with one call, decided here so that the Durable Objects are glue:
//! each object reads its record, hands it to [`serve_grant`] or [`serve_keys`] with `now`
//! and fresh random bytes, writes back the record returned, and relays the [`StoreReply`].
//!
//! A grant object holds one [`Grant`]; the key store holds every [`ApiKeyRecord`]. Both mint
//! the access token in the same step that changes the record, so a refresh is one Durable
//! Object request and the `jti` it issued is recorded before anyone sees the token.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::access::mint_access;
use super::apikey::ApiKeyRecord;
use super::index::summary;
use super::leak::{grant_leak, key_leak, leak_reply};
use super::oauth::TokenAnswer;
use super::reply::{EndedSession, StoreReply};
use super::requests::{key_error, refresh_error, CreateApiKey};
use super::secrets::{ApiKey, ApiKeyId, GrantId, RefreshToken};
use super::state::{Grant, OpenGrant, RefreshRefusal, RevokeReason, Secret};
use crate::config::GateConfig;

/// A call to a grant object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum GrantCall {
    /// Open the grant (the object is named by its id).
    Open {
        /// The subject.
        sub: String,
        /// The scope.
        scope: String,
        /// The client.
        client_id: Option<String>,
        /// Lifetimes.
        lifetimes: super::state::Lifetimes,
    },
    /// Refresh with a presented token.
    Refresh {
        /// The refresh token as presented.
        refresh_token: String,
        /// `client_id`, if given.
        client_id: Option<String>,
        /// `scope`, if asked.
        scope: Option<String>,
        /// The DPoP key the new access token is bound to, if the request proved one.
        #[serde(default)]
        jkt: Option<String>,
    },
    /// Revoke the grant (log out the session).
    Revoke,
    /// What the admin API shows of it ([`super::index::summary`]); changes nothing.
    Describe,
    /// A leaked refresh token of this grant: its status, and with `revoke` the grant
    /// revoked if live ([`super::leak`]).
    Leak {
        /// The refresh token as found.
        refresh_token: String,
        /// Whether to revoke a live grant.
        revoke: bool,
    },
}

/// A call to the API key store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum KeyCall {
    /// Create a key.
    Create {
        /// The subject.
        sub: String,
        /// The scope.
        scope: String,
        /// A label.
        name: Option<String>,
        /// Lifetime from now, if it expires.
        expires_in_s: Option<u64>,
    },
    /// Exchange a key for an access token.
    Exchange {
        /// The key as presented.
        key: String,
        /// `scope`, if asked.
        scope: Option<String>,
        /// The DPoP key the access token is bound to, if the request proved one.
        #[serde(default)]
        jkt: Option<String>,
    },
    /// List keys.
    List,
    /// Revoke a key.
    Revoke {
        /// The key id.
        id: String,
    },
    /// A leaked key: its status, and with `revoke` the key revoked if live.
    Leak {
        /// The key as found.
        key: String,
        /// Whether to revoke a live key.
        revoke: bool,
    },
}

impl From<CreateApiKey> for KeyCall {
    fn from(c: CreateApiKey) -> KeyCall {
        KeyCall::Create {
            sub: c.sub,
            scope: c.scope,
            name: c.name,
            expires_in_s: c.expires_in_s,
        }
    }
}

/// Fresh random bytes for one call (the core reads no CSPRNG itself).
#[derive(Debug, Clone, Copy)]
pub struct Fresh {
    /// A new refresh token's or key's secret.
    pub secret: Secret,
    /// A new key's id.
    pub key_id: [u8; 12],
}

/// One call to the grant object named `sid`, holding `stored` (its record, if any). Returns
/// the record to store (`None`: unchanged) and the reply.
pub fn serve_grant(
    sid: &str,
    stored: Option<&str>,
    call: GrantCall,
    fresh: Fresh,
    config: &GateConfig,
    now: i64,
) -> (Option<String>, StoreReply) {
    let grant = match stored.map(Grant::from_json) {
        Some(Some(g)) => Some(g),
        Some(None) => return (None, StoreReply::fault("grant_record_unreadable")),
        None => None,
    };
    match (call, grant) {
        (
            GrantCall::Open {
                sub,
                scope,
                client_id,
                lifetimes,
            },
            None,
        ) => {
            let Some(id) = grant_id_of(sid) else {
                return (None, StoreReply::fault("grant_id_malformed"));
            };
            let req = OpenGrant {
                sub,
                scope,
                client_id,
                lifetimes,
            };
            let (mut grant, refresh_token) = Grant::open(req, id, fresh.secret, now);
            let (scope, sub) = (grant.scope.clone(), grant.sub.clone());
            match issue(&mut grant, config, &scope, Some(refresh_token), None, now) {
                Ok(body) => {
                    let mut reply = StoreReply::ok(200, body, "grant_opened", Some(&sub));
                    reply.detail = Some(format!("sid {sid}"));
                    (Some(grant.to_json()), reply)
                }
                Err(reply) => (None, *reply),
            }
        }
        (GrantCall::Open { .. }, Some(_)) => (None, StoreReply::fault("grant_exists")),
        (
            GrantCall::Refresh {
                refresh_token,
                client_id,
                scope,
                jkt,
            },
            Some(mut grant),
        ) => {
            let Ok(presented) = RefreshToken::parse(&refresh_token) else {
                let e = refresh_error(&RefreshRefusal::UnknownToken);
                return (None, StoreReply::oauth(&e, None));
            };
            let sub = grant.sub.clone();
            match grant.refresh(
                &presented,
                client_id.as_deref(),
                scope.as_deref(),
                fresh.secret,
                now,
            ) {
                Ok(done) => match issue(
                    &mut grant,
                    config,
                    &done.scope,
                    Some(done.refresh_token),
                    jkt.as_deref(),
                    now,
                ) {
                    Ok(body) => {
                        let reason = if done.retry {
                            "refresh_retry_in_grace"
                        } else {
                            "refresh_rotated"
                        };
                        let mut reply = StoreReply::ok(200, body, reason, Some(&sub));
                        reply.detail = Some(format!(
                            "sid {sid} generation {} -> {}",
                            presented.generation, grant.generation
                        ));
                        (Some(grant.to_json()), reply)
                    }
                    Err(reply) => (None, *reply),
                },
                Err(refusal) => {
                    let mut reply = StoreReply::oauth(&refresh_error(&refusal), Some(&sub));
                    if let RefreshRefusal::Reuse {
                        presented,
                        current,
                        access_exp,
                    } = refusal
                    {
                        reply.detail = Some(format!(
                            "sid {sid} revoked: generation {presented} presented, current {current}"
                        ));
                        reply.ended = Some(ended(sid, access_exp));
                    }
                    (Some(grant.to_json()), reply)
                }
            }
        }
        (GrantCall::Revoke, Some(mut grant)) => {
            // Whether it was already revoked: a scanner reports such a leak as `revoked`.
            let already = grant.revoked.is_some();
            let access_exp = grant.revoke(RevokeReason::Revoked, now);
            let mut reply = StoreReply::ok(
                200,
                json!({ "sid": sid, "revoked": true, "already_revoked": already }),
                "grant_revoked",
                Some(&grant.sub),
            );
            reply.detail = Some(format!("sid {sid}"));
            // Even when already revoked: recording the `sid` again is harmless, and a grant
            // revoked before the kind existed gets its entry.
            reply.ended = Some(ended(sid, access_exp));
            (Some(grant.to_json()), reply)
        }
        (
            GrantCall::Leak {
                refresh_token,
                revoke,
            },
            mut grant,
        ) => {
            let (status, changed, access_exp) =
                grant_leak(grant.as_mut(), &refresh_token, revoke, now);
            let sub = grant.as_ref().map(|g| g.sub.clone());
            let mut reply = leak_reply(status, changed, sub.as_deref(), &format!("sid {sid}"));
            reply.ended = access_exp.map(|exp| ended(sid, exp));
            (grant.filter(|_| changed).map(|g| g.to_json()), reply)
        }
        (GrantCall::Refresh { .. }, None) => {
            let e = refresh_error(&RefreshRefusal::UnknownToken);
            (None, StoreReply::oauth(&e, None))
        }
        (GrantCall::Describe, Some(grant)) => (
            None,
            StoreReply::ok(
                200,
                summary(&grant, now),
                "grant_described",
                Some(&grant.sub),
            ),
        ),
        (GrantCall::Revoke | GrantCall::Describe, None) => (
            None,
            StoreReply::ok(
                404,
                json!({ "error": "not_found", "sid": sid }),
                "grant_not_found",
                None,
            ),
        ),
    }
}

fn ended(sid: &str, access_exp: i64) -> EndedSession {
    EndedSession {
        sid: sid.to_owned(),
        access_exp,
    }
}

fn grant_id_of(sid: &str) -> Option<GrantId> {
    GrantId::from_text(sid)
}

/// Mints the access token for a grant step and records its `jti` in the grant.
fn issue(
    grant: &mut Grant,
    config: &GateConfig,
    scope: &str,
    refresh_token: Option<String>,
    jkt: Option<&str>,
    now: i64,
) -> Result<Value, Box<StoreReply>> {
    let access =
        mint_access(config, &grant.sub, scope, Some(&grant.sid), jkt, now).map_err(|e| {
            let mut r = StoreReply::fault("mint_failed");
            r.detail = Some(e.to_string());
            Box::new(r)
        })?;
    grant.record_issued(&access.issued);
    Ok(TokenAnswer {
        access_token: access.token,
        expires_in: access.expires_in,
        refresh_token,
        scope: scope.to_owned(),
        dpop: jkt.is_some(),
    }
    .body())
}

/// One call to the API key store, holding `stored` (every record, by id). Returns the
/// records to write (id, JSON) and the reply.
pub fn serve_keys(
    stored: &[ApiKeyRecord],
    call: KeyCall,
    fresh: Fresh,
    config: &GateConfig,
    now: i64,
) -> (Vec<ApiKeyRecord>, StoreReply) {
    match call {
        KeyCall::Create {
            sub,
            scope,
            name,
            expires_in_s,
        } => {
            let key = ApiKey {
                id: ApiKeyId(fresh.key_id),
                secret: fresh.secret,
            };
            let expires_at = expires_in_s.map(|s| now.saturating_add(s as i64));
            let record = ApiKeyRecord::new(&key, sub, scope, name, expires_at, now);
            let mut body = record.public();
            // The one time the secret is shown.
            body["key"] = json!(key.encode());
            let mut reply = StoreReply::ok(201, body, "api_key_created", Some(&record.sub));
            reply.detail = Some(format!("key {}", record.id));
            (vec![record], reply)
        }
        KeyCall::List => {
            let keys: Vec<Value> = stored.iter().map(ApiKeyRecord::public).collect();
            (
                Vec::new(),
                StoreReply::ok(200, json!({ "api_keys": keys }), "api_keys_listed", None),
            )
        }
        KeyCall::Revoke { id } => match stored.iter().find(|r| r.id == id) {
            Some(record) => {
                let mut record = record.clone();
                record.revoke(now);
                let mut reply =
                    StoreReply::ok(200, record.public(), "api_key_revoked", Some(&record.sub));
                reply.detail = Some(format!("key {id}"));
                (vec![record], reply)
            }
            None => (
                Vec::new(),
                StoreReply::ok(
                    404,
                    json!({ "error": "not_found" }),
                    "api_key_not_found",
                    None,
                ),
            ),
        },
        KeyCall::Leak { key, revoke } => {
            let id = ApiKey::parse(&key).map(|k| k.id.to_text()).ok();
            let record = stored.iter().find(|r| Some(&r.id) == id.as_ref());
            let (status, write) = key_leak(record, &key, revoke, now);
            let sub = record.map(|r| r.sub.as_str());
            let target = format!("key {}", id.as_deref().unwrap_or("-"));
            let reply = leak_reply(status, write.is_some(), sub, &target);
            (write.into_iter().collect(), reply)
        }
        KeyCall::Exchange { key, scope, jkt } => {
            let unknown =
                || StoreReply::oauth(&key_error(&super::apikey::KeyRefusal::Unknown), None);
            let Ok(presented) = ApiKey::parse(&key) else {
                return (Vec::new(), unknown());
            };
            let id = presented.id.to_text();
            let Some(record) = stored.iter().find(|r| r.id == id) else {
                return (Vec::new(), unknown());
            };
            let mut record = record.clone();
            match record.exchange(&presented, scope.as_deref(), now) {
                Ok(scope) => {
                    match mint_access(config, &record.sub, &scope, None, jkt.as_deref(), now) {
                        Ok(access) => {
                            let body = TokenAnswer {
                                access_token: access.token,
                                expires_in: access.expires_in,
                                refresh_token: None,
                                scope,
                                dpop: jkt.is_some(),
                            }
                            .body();
                            let mut reply =
                                StoreReply::ok(200, body, "api_key_exchanged", Some(&record.sub));
                            reply.detail = Some(format!("key {id}"));
                            (vec![record], reply)
                        }
                        Err(e) => {
                            let mut r = StoreReply::fault("mint_failed");
                            r.detail = Some(e.to_string());
                            (Vec::new(), r)
                        }
                    }
                }
                Err(refusal) => {
                    let mut reply = StoreReply::oauth(&key_error(&refusal), Some(&record.sub));
                    reply.detail = Some(format!("key {id}"));
                    (Vec::new(), reply)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grant::apikey::KeyRefusal;
    use crate::grant::reply::static_reason;

    #[test]
    fn every_refusal_code_is_a_known_reason() {
        let codes = [
            RefreshRefusal::Revoked(RevokeReason::Reuse).code(),
            RefreshRefusal::Expired { at: 0 }.code(),
            RefreshRefusal::Idle { at: 0 }.code(),
            RefreshRefusal::UnknownToken.code(),
            RefreshRefusal::WrongGrant.code(),
            RefreshRefusal::WrongClient.code(),
            RefreshRefusal::Reuse {
                presented: 0,
                current: 0,
                access_exp: 0,
            }
            .code(),
            KeyRefusal::Unknown.code(),
            KeyRefusal::Revoked.code(),
            KeyRefusal::Expired.code(),
        ];
        for code in codes {
            assert_eq!(static_reason(code), code);
        }
        assert_eq!(static_reason("anything else"), "store_reply");
    }
}
