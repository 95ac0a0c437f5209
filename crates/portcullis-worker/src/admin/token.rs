//! The token endpoint and the issuing endpoints of the admin API: parse with the core, call
//! the grant object or the key store, revoke what a revoked grant issued, answer, audit.

use serde_json::json;
use worker::Response;

use super::context::{reject, AdminContext};
use crate::grants;
use crate::{now_s, revocations, send, sender};
use portcullis::grant::credential::CredentialKind;
use portcullis::grant::index::{IndexCall, IndexEntry};
use portcullis::grant::oauth::{parse_token_request, TokenRequest};
use portcullis::grant::reply::{static_reason, StoreReply};
use portcullis::grant::requests::{
    parse_create_api_key, parse_open_grant, parse_revoke_api_key, IssueRequestError, SidRevocation,
};
use portcullis::grant::service::{GrantCall, KeyCall};
use portcullis::http::admin::{
    entry_value, grant_revocation_entry, issued_introspection_answer, AdminAnswer,
};
use portcullis::http::token::{finish_token_proof, token_request_proof, TokenProofRefusal};
use portcullis::http::{AuditRecord, Denial, Principal};
use portcullis::leaks::IssuedTarget;
use portcullis::revocation::{RevocationEntry, RevocationReason};

pub(crate) fn internal(e: worker::Error) -> Denial {
    Denial::Internal {
        error: e.to_string(),
    }
}

/// Revokes the access tokens of the grant a store reply ended: one `sid` change through the
/// single writer (applied here at once), kept until the latest of them expires. Returns the
/// entry and its version; `None` when the reply ended no grant.
pub(crate) async fn revoke_issued(
    a: &AdminContext<'_>,
    reply: &StoreReply,
    reason: RevocationReason,
) -> Result<Option<(RevocationEntry, u64)>, Denial> {
    let Some(ended) = &reply.ended else {
        return Ok(None);
    };
    let entry = grant_revocation_entry(a.config, ended, reason, now_s());
    let version = revocations::record_or_refuse(a.env, a.config, &entry).await?;
    Ok(Some((entry, version)))
}

fn write_audit(a: &AdminContext<'_>, reply: &StoreReply, who: Option<&Principal>) {
    let request = a.audit.request();
    let record = AuditRecord::allow(
        "token",
        &request,
        None,
        static_reason(&reply.reason),
        reply.status,
        who,
    );
    let record = AuditRecord {
        decision: if reply.status < 400 { "allow" } else { "deny" },
        ..record
    }
    .with_detail(reply.detail.clone());
    a.audit.write(&record);
}

/// The headers a token request is read with.
pub(crate) struct Presented<'h> {
    pub content_type: Option<&'h str>,
    pub authorization: Option<&'h str>,
    /// The `DPoP` proof (RFC 9449 section 5), if any.
    pub dpop: Option<&'h str>,
}

/// The request's DPoP proof, checked like the gate's (WebCrypto for the signature, this
/// isolate's replay cache): the thumbprint to bind the access token to, `None` without one.
async fn proven_key(
    a: &AdminContext<'_>,
    dpop: Option<&str>,
) -> Result<Option<String>, TokenProofRefusal> {
    let now = now_s();
    // `htu` is the token endpoint as the gate normalized its URL.
    let htu = format!("{}{}", a.own_origin, a.path);
    let Some(proof) = token_request_proof(a.config, dpop, &htu, now)? else {
        return Ok(None);
    };
    let holds = sender::proof_signature_holds(&proof).await;
    sender::with_replay_cache(|cache| finish_token_proof(a.config, proof, holds, cache, now))
        .map(Some)
}

/// A refused DPoP proof: audited like any token endpoint refusal, answered with the RFC 6749
/// error and, for `use_dpop_nonce`, a fresh `DPoP-Nonce`.
fn refuse_proof(a: &AdminContext<'_>, refusal: &TokenProofRefusal) -> worker::Result<Response> {
    let request = a.audit.request();
    let denial = Denial::OAuth(refusal.error.clone());
    a.audit
        .write(&AuditRecord::deny("admin", &request, None, &denial));
    send(refusal.response(&a.config.realm))
}

/// `POST <prefix>/token`.
pub(crate) async fn serve(
    a: &AdminContext<'_>,
    presented: Presented<'_>,
    body: &[u8],
) -> worker::Result<Response> {
    let request = match parse_token_request(presented.content_type, presented.authorization, body) {
        Ok(r) => r,
        Err(e) => return reject(a, None, Denial::OAuth(e)),
    };
    // Checked before any store is asked: a bad proof changes nothing.
    let jkt = match proven_key(a, presented.dpop).await {
        Ok(jkt) => jkt,
        Err(refusal) => return refuse_proof(a, &refusal),
    };
    let reply = match &request {
        TokenRequest::Refresh {
            token,
            client_id,
            scope,
        } => {
            let call = GrantCall::Refresh {
                refresh_token: token.encode(),
                client_id: client_id.clone(),
                scope: scope.clone(),
                jkt,
            };
            grants::grant(a.env, &token.grant.to_text(), &call).await
        }
        TokenRequest::ClientCredentials { key, scope } => {
            let call = KeyCall::Exchange {
                key: key.encode(),
                scope: scope.clone(),
                jkt,
            };
            grants::keys(a.env, &call).await
        }
    };
    let reply = match reply {
        Ok(r) => r,
        Err(e) => return reject(a, None, internal(e)),
    };
    if reply.status >= 500 {
        return reject(
            a,
            None,
            Denial::Internal {
                error: format!(
                    "{} {}",
                    reply.reason,
                    reply.detail.clone().unwrap_or_default()
                ),
            },
        );
    }
    let who = Principal {
        sub: reply.sub.clone(),
        ..Principal::default()
    };
    if reply.ended.is_some() {
        // Reuse: the grant is revoked; its access tokens follow within the bound.
        if let Err(denial) = revoke_issued(a, &reply, RevocationReason::Reuse).await {
            write_audit(a, &reply, Some(&who));
            return reject(a, Some(&who), denial);
        }
    }
    write_audit(a, &reply, Some(&who));
    send(reply.response(&a.config.realm))
}

fn answer(reply: StoreReply) -> Result<AdminAnswer, Denial> {
    match reply.status {
        500.. => Err(Denial::Internal {
            error: format!("{} {}", reply.reason, reply.detail.unwrap_or_default()),
        }),
        404 => Err(Denial::ApiKeyNotFound),
        status => Ok(AdminAnswer {
            status,
            body: reply.body,
            reason: static_reason(&reply.reason),
            detail: reply.detail,
            revocation_reason: None,
        }),
    }
}

/// `POST <prefix>/grants` (scope `portcullis:issue`).
pub(crate) async fn open_grant(a: &AdminContext<'_>, body: &[u8]) -> Result<AdminAnswer, Denial> {
    let open = parse_open_grant(body).map_err(Denial::BadIssueRequest)?;
    let sid = grants::new_grant_id().map_err(internal)?.to_text();
    // Listed before it opens, so every grant a client can hold is in its subject's index (one
    // that then fails to open is dropped at the next listing).
    let now = now_s();
    let entry = IndexEntry {
        sid: sid.clone(),
        created_at: now,
        expires_at: now.saturating_add(open.lifetimes.absolute_s as i64),
    };
    grants::index(a.env, &open.sub, &IndexCall::Register { entry })
        .await
        .map_err(internal)?;
    let call = GrantCall::Open {
        sub: open.sub,
        scope: open.scope,
        client_id: open.client_id,
        lifetimes: open.lifetimes,
    };
    let reply = grants::grant(a.env, &sid, &call).await.map_err(internal)?;
    answer(reply)
}

/// `POST <prefix>/revocations {"sid": …, "reason"?: …}`: ends one session (a logout, or a
/// leaked refresh token of it).
pub(crate) async fn revoke_sid(
    a: &AdminContext<'_>,
    request: Result<SidRevocation, IssueRequestError>,
) -> Result<AdminAnswer, Denial> {
    let SidRevocation { sid, reason } = request.map_err(Denial::BadIssueRequest)?;
    let reply = grants::grant(a.env, &sid, &GrantCall::Revoke)
        .await
        .map_err(internal)?;
    if reply.status == 404 {
        return Err(Denial::GrantNotFound);
    }
    let recorded = revoke_issued(a, &reply, reason).await?;
    let mut reply = reply;
    if let Some((entry, version)) = recorded {
        // The answer names the one `sid` entry, as `POST /revocations` answers for a `jti`.
        reply.body["entry"] = entry_value(&entry);
        reply.body["version"] = json!(version);
    }
    answer(reply).map(|ok| AdminAnswer {
        revocation_reason: Some(reason),
        ..ok
    })
}

/// `POST <prefix>/api-keys`.
pub(crate) async fn create_api_key(
    a: &AdminContext<'_>,
    body: &[u8],
) -> Result<AdminAnswer, Denial> {
    let create = parse_create_api_key(body).map_err(Denial::BadIssueRequest)?;
    answer(
        grants::keys(a.env, &KeyCall::from(create))
            .await
            .map_err(internal)?,
    )
}

/// `GET <prefix>/api-keys`.
pub(crate) async fn list_api_keys(a: &AdminContext<'_>) -> Result<AdminAnswer, Denial> {
    answer(
        grants::keys(a.env, &KeyCall::List)
            .await
            .map_err(internal)?,
    )
}

/// `POST <prefix>/api-keys/revoke {"id": …, "reason"?: …}`: the reason (`admin` unless
/// `leaked`, as the scanner says) goes to the audit line.
pub(crate) async fn revoke_api_key(
    a: &AdminContext<'_>,
    body: &[u8],
) -> Result<AdminAnswer, Denial> {
    let request = parse_revoke_api_key(body).map_err(Denial::BadIssueRequest)?;
    let call = KeyCall::Revoke { id: request.id };
    answer(grants::keys(a.env, &call).await.map_err(internal)?).map(|ok| AdminAnswer {
        revocation_reason: Some(request.reason),
        ..ok
    })
}

/// `POST <prefix>/introspect` for a refresh token or API key: its store's leak check,
/// without revoking (`portcullis scan --endpoint` asks this before `--revoke`).
pub(crate) async fn introspect_issued(
    a: &AdminContext<'_>,
    kind: CredentialKind,
    target: &IssuedTarget,
    presented: &str,
) -> Result<AdminAnswer, Denial> {
    let reply = match target {
        IssuedTarget::Grant { sid, .. } => {
            let call = GrantCall::Leak {
                refresh_token: presented.to_owned(),
                revoke: false,
            };
            grants::grant(a.env, sid, &call).await
        }
        IssuedTarget::ApiKey { .. } => {
            let call = KeyCall::Leak {
                key: presented.to_owned(),
                revoke: false,
            };
            grants::keys(a.env, &call).await
        }
    }
    .map_err(internal)?;
    if reply.status >= 500 {
        return Err(Denial::Internal {
            error: format!("{} {}", reply.reason, reply.detail.unwrap_or_default()),
        });
    }
    Ok(issued_introspection_answer(kind, &reply.body))
}
