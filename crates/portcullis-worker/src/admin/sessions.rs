//! A subject's grants for an operator: `GET <prefix>/grants?sub=…` lists the active ones,
//! `POST <prefix>/grants/revoke {"sub"}` ends them all. The subject index names the grants;
//! each grant's own object says what it is now ([`portcullis::grant::index`]).
//!
//! Cost: a listing is 1 request to the index plus 1 per grant listed (at most
//! [`MAX_LISTED`]), plus 1 to forget grants found over; ending all is the same plus 1
//! request to the revocation writer per grant ended. Calls are sequential.

use serde_json::json;

use super::context::AdminContext;
use super::token::{internal, revoke_issued};
use crate::grants;
use portcullis::grant::index::{
    listing, parse_list_query, parse_revoke_all, IndexCall, MAX_LISTED,
};
use portcullis::grant::service::GrantCall;
use portcullis::http::admin::AdminAnswer;
use portcullis::http::Denial;

/// `GET <prefix>/grants?sub=…`.
pub(crate) async fn list(a: &AdminContext<'_>, query: Option<&str>) -> Result<AdminAnswer, Denial> {
    let sub = parse_list_query(query).map_err(Denial::BadIssueRequest)?;
    let sids = grants::index(a.env, &sub, &IndexCall::List)
        .await
        .map_err(internal)?;
    let mut described = Vec::with_capacity(sids.len());
    for sid in sids {
        let reply = grants::grant(a.env, &sid, &GrantCall::Describe)
            .await
            .map_err(internal)?;
        let summary = (reply.status == 200).then_some(reply.body);
        described.push((sid, summary));
    }
    let (body, forget) = listing(&sub, described);
    if !forget.is_empty() {
        grants::index(a.env, &sub, &IndexCall::Forget { sids: forget })
            .await
            .map_err(internal)?;
    }
    let shown = body["grants"].as_array().map_or(0, Vec::len);
    Ok(AdminAnswer {
        status: 200,
        body,
        reason: "grants_listed",
        detail: Some(format!("sub {sub}: {shown} active (at most {MAX_LISTED})")),
        revocation_reason: None,
    })
}

/// `POST <prefix>/grants/revoke {"sub", "reason"?}`: every grant of the subject is revoked in
/// its object (refresh refused at once) and by one `sid` revocation (its access tokens
/// refused within the revocation bound).
pub(crate) async fn revoke_all(a: &AdminContext<'_>, body: &[u8]) -> Result<AdminAnswer, Denial> {
    let request = parse_revoke_all(body).map_err(Denial::BadIssueRequest)?;
    let sub = request.sub;
    let sids = grants::index(a.env, &sub, &IndexCall::List)
        .await
        .map_err(internal)?;
    let (mut revoked, mut version) = (Vec::new(), None);
    for sid in &sids {
        let reply = grants::grant(a.env, sid, &GrantCall::Revoke)
            .await
            .map_err(internal)?;
        // Missing: it never opened. Revoked before: its `sid` is recorded again all the same,
        // so a retry after a failed write (503) leaves no grant without its entry.
        if reply.status != 200 {
            continue;
        }
        if let Some((_, v)) = revoke_issued(a, &reply, request.reason).await? {
            version = Some(v);
        }
        if reply.body["already_revoked"] != json!(true) {
            revoked.push(sid.clone());
        }
    }
    if !sids.is_empty() {
        grants::index(a.env, &sub, &IndexCall::Forget { sids })
            .await
            .map_err(internal)?;
    }
    Ok(AdminAnswer {
        status: 200,
        detail: Some(format!("sub {sub}: {} grants revoked", revoked.len())),
        body: json!({ "sub": sub, "revoked": revoked, "version": version }),
        reason: "grants_revoked",
        revocation_reason: Some(request.reason),
    })
}
