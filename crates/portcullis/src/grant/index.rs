//! The subject index: which grants a subject has, so an operator can list them and end one
//! or all. Pure, like the rest of the core; the Worker keeps one index per subject in a
//! Durable Object named [`index_name`].
//!
//! The index holds only what never changes about a grant: its id, when it opened and when it
//! ends at the latest (absolute lifetime). Everything that changes (last refresh, revoked)
//! stays in the grant's own object, the one source of truth, and a listing asks each grant.
//! So a refresh or a `sid` revocation never touches the index (a refresh stays one Durable
//! Object request), and the index is registered **before** the grant opens: every grant a
//! client can hold is listed. A grant found revoked, expired or missing when listed is
//! dropped from the index then ([`IndexCall::Forget`]); rows past their absolute end are
//! dropped on every call, registering included, so an index whose subject is never listed
//! holds no more rows than grants that can still be alive.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::requests::IssueRequestError;
use super::state::Grant;
use crate::codec::percent;
use crate::jwt::identifier::identifier_problem;
use crate::revocation::RevocationReason;

/// The most grants one listing (or one "revoke all") covers: the newest this many. Each is
/// one request to its grant object, so this bounds what one admin call costs.
pub const MAX_LISTED: usize = 200;

/// The name of a subject's index object.
pub fn index_name(sub: &str) -> String {
    format!("sub:{sub}")
}

/// One grant in a subject's index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexEntry {
    /// The grant's id.
    pub sid: String,
    /// When it was registered (just before it opened).
    pub created_at: i64,
    /// Its absolute end: after this it is gone whatever happens, and the index forgets it.
    pub expires_at: i64,
}

impl IndexEntry {
    /// The stored JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads stored JSON; `None` for a damaged row.
    pub fn from_json(text: &str) -> Option<IndexEntry> {
        serde_json::from_str(text).ok()
    }
}

/// A call to a subject's index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum IndexCall {
    /// Add a grant about to open.
    Register {
        /// The grant.
        entry: IndexEntry,
    },
    /// The grants not yet past their absolute end, newest first, at most [`MAX_LISTED`].
    List,
    /// Drop grants found revoked, expired or missing.
    Forget {
        /// Their ids.
        sids: Vec<String>,
    },
}

/// What the index object writes after a call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexWrites {
    /// Rows to insert or replace.
    pub put: Vec<IndexEntry>,
    /// Rows to delete, by sid.
    pub delete: Vec<String>,
}

/// One call to a subject's index holding `stored`, at `now`: the rows to write and the sids
/// to answer (for [`IndexCall::List`]; empty otherwise). Past their absolute end, rows are
/// deleted whatever the call.
pub fn serve_index(stored: &[IndexEntry], call: IndexCall, now: i64) -> (IndexWrites, Vec<String>) {
    let mut writes = IndexWrites {
        delete: stored
            .iter()
            .filter(|e| e.expires_at <= now)
            .map(|e| e.sid.clone())
            .collect(),
        ..IndexWrites::default()
    };
    match call {
        IndexCall::Register { entry } => {
            writes.put.push(entry);
            (writes, Vec::new())
        }
        IndexCall::Forget { sids } => {
            writes.delete.extend(
                sids.into_iter()
                    .filter(|sid| stored.iter().any(|e| &e.sid == sid)),
            );
            writes.delete.sort();
            writes.delete.dedup();
            (writes, Vec::new())
        }
        IndexCall::List => {
            let mut live: Vec<&IndexEntry> = stored.iter().filter(|e| e.expires_at > now).collect();
            live.sort_by(|a, b| (b.created_at, &b.sid).cmp(&(a.created_at, &a.sid)));
            let sids = live
                .into_iter()
                .take(MAX_LISTED)
                .map(|e| e.sid.clone())
                .collect();
            (writes, sids)
        }
    }
}

/// What the admin API shows of one grant: its id, client, scope and times; never a secret
/// or a digest.
pub fn summary(grant: &Grant, now: i64) -> Value {
    json!({
        "sid": grant.sid,
        "sub": grant.sub,
        "client_id": grant.client_id,
        "scope": grant.scope,
        "created_at": grant.created_at,
        // Refreshed at least once: it rotated, or a later use (a retry in grace) was recorded.
        "last_refresh_at": (grant.generation > 0 || grant.last_used_at > grant.created_at)
            .then_some(grant.last_used_at),
        "idle_expires_at": grant.idle_expires_at(),
        "expires_at": grant.expires_at(),
        "active": grant.is_active(now),
        "revoked_at": grant.revoked.map(|(at, _)| at),
    })
}

/// The answer to `GET /grants?sub=…` from each listed grant's [`summary`] (`None`: its
/// object has no grant): `{"sub", "grants": [active summaries, newest first]}`, and the sids
/// to forget (revoked, expired, missing).
pub fn listing(sub: &str, described: Vec<(String, Option<Value>)>) -> (Value, Vec<String>) {
    let mut active = Vec::new();
    let mut forget = Vec::new();
    for (sid, summary) in described {
        match summary {
            Some(s) if s["active"] == json!(true) => active.push(s),
            _ => forget.push(sid),
        }
    }
    (json!({ "sub": sub, "grants": active }), forget)
}

/// The subject a `GET /grants?sub=…` names (percent-decoded, form-style `+` as a space).
///
/// # Errors
/// [`IssueRequestError::BadSubject`] when `sub` is missing, given twice, not valid
/// percent-encoding, or not a revocable subject; [`IssueRequestError::Malformed`] for any
/// other parameter.
pub fn parse_list_query(query: Option<&str>) -> Result<String, IssueRequestError> {
    let mut sub = None;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if name != "sub" {
            return Err(IssueRequestError::Malformed);
        }
        let decoded = percent::decode_form_component(value.as_bytes())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or(IssueRequestError::BadSubject)?;
        if sub.replace(decoded).is_some() {
            return Err(IssueRequestError::BadSubject);
        }
    }
    let sub = sub.ok_or(IssueRequestError::BadSubject)?;
    if identifier_problem(&sub).is_some() {
        return Err(IssueRequestError::BadSubject);
    }
    Ok(sub)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeAllWire {
    sub: String,
    reason: Option<String>,
}

/// A checked `POST /grants/revoke` body: every grant of `sub` ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokeAll {
    /// The subject.
    pub sub: String,
    /// Why: `admin` unless the body says `logout` or `leaked` (`reuse` is a grant's own
    /// finding, never an operator's claim).
    pub reason: RevocationReason,
}

/// `POST /grants/revoke`: `{"sub", "reason"?}`.
///
/// # Errors
/// [`IssueRequestError::Malformed`] for another shape; [`IssueRequestError::BadSubject`];
/// [`IssueRequestError::BadLabel`] `"reason"` for a reason outside `admin`, `logout`,
/// `leaked`.
pub fn parse_revoke_all(body: &[u8]) -> Result<RevokeAll, IssueRequestError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| IssueRequestError::Malformed)?;
    if !value.is_object() {
        return Err(IssueRequestError::Malformed);
    }
    let wire: RevokeAllWire =
        serde_json::from_value(value).map_err(|_| IssueRequestError::Malformed)?;
    if identifier_problem(&wire.sub).is_some() {
        return Err(IssueRequestError::BadSubject);
    }
    let reason = match wire.reason.as_deref() {
        None => RevocationReason::Admin,
        Some(name) => RevocationReason::parse(name)
            .filter(|r| *r != RevocationReason::Reuse)
            .ok_or(IssueRequestError::BadLabel("reason"))?,
    };
    Ok(RevokeAll {
        sub: wire.sub,
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(sid: &str, created_at: i64, expires_at: i64) -> IndexEntry {
        IndexEntry {
            sid: sid.into(),
            created_at,
            expires_at,
        }
    }

    #[test]
    fn registering_adds_a_row_and_listing_answers_newest_first_without_the_expired() {
        let (w, sids) = serve_index(
            &[],
            IndexCall::Register {
                entry: entry("a", 10, 100),
            },
            10,
        );
        assert_eq!(w.put, vec![entry("a", 10, 100)]);
        assert!(w.delete.is_empty() && sids.is_empty());
        let stored = [
            entry("a", 10, 100),
            entry("b", 20, 100),
            entry("old", 5, 50),
        ];
        let (w, sids) = serve_index(&stored, IndexCall::List, 50);
        assert_eq!(sids, vec!["b", "a"]);
        assert_eq!(w.delete, vec!["old"], "past its absolute end: deleted");
        assert!(w.put.is_empty());
    }

    #[test]
    fn registering_drops_the_rows_past_their_absolute_end() {
        let stored = [entry("gone", 1, 50), entry("live", 2, 500)];
        let call = IndexCall::Register {
            entry: entry("new", 60, 600),
        };
        let (w, sids) = serve_index(&stored, call, 60);
        assert_eq!(w.put, vec![entry("new", 60, 600)]);
        assert_eq!(
            w.delete,
            vec!["gone"],
            "past its end: deleted; the live row stays"
        );
        assert!(sids.is_empty());
    }

    #[test]
    fn listing_is_capped_at_the_newest() {
        let stored: Vec<IndexEntry> = (0..MAX_LISTED as i64 + 5)
            .map(|i| entry(&format!("s{i:04}"), i, 10_000))
            .collect();
        let (_, sids) = serve_index(&stored, IndexCall::List, 1);
        assert_eq!(sids.len(), MAX_LISTED);
        assert_eq!(sids[0], format!("s{:04}", MAX_LISTED + 4));
    }

    #[test]
    fn forgetting_deletes_only_rows_it_holds() {
        let stored = [entry("a", 1, 100), entry("b", 1, 100)];
        let call = IndexCall::Forget {
            sids: vec!["b".into(), "zz".into(), "b".into()],
        };
        let (w, _) = serve_index(&stored, call, 2);
        assert_eq!(w.delete, vec!["b"]);
    }

    #[test]
    fn index_rows_round_trip_and_damaged_ones_read_as_none() {
        let e = entry("a", 1, 2);
        assert_eq!(IndexEntry::from_json(&e.to_json()), Some(e));
        assert_eq!(IndexEntry::from_json(r#"{"sid":"a"}"#), None);
    }

    #[test]
    fn listing_shows_active_grants_and_forgets_the_rest() {
        let active = json!({ "sid": "a", "active": true, "scope": "x" });
        let revoked = json!({ "sid": "b", "active": false });
        let (body, forget) = listing(
            "alice",
            vec![
                ("a".into(), Some(active.clone())),
                ("b".into(), Some(revoked)),
                ("c".into(), None),
            ],
        );
        assert_eq!(body, json!({ "sub": "alice", "grants": [active] }));
        assert_eq!(forget, vec!["b", "c"]);
    }

    #[test]
    fn the_list_query_names_one_subject() {
        assert_eq!(parse_list_query(Some("sub=alice")), Ok("alice".into()));
        assert_eq!(parse_list_query(Some("sub=al%C3%A9+x")), Ok("alé x".into()));
        for bad in [
            None,
            Some(""),
            Some("sub="),
            Some("sub=a&sub=b"),
            Some("sub=%ZZ"),
        ] {
            assert_eq!(
                parse_list_query(bad),
                Err(IssueRequestError::BadSubject),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_list_query(Some("sub=a&all=1")),
            Err(IssueRequestError::Malformed)
        );
    }

    #[test]
    fn revoke_all_takes_a_subject_and_an_operator_reason() {
        assert_eq!(
            parse_revoke_all(br#"{"sub":"alice"}"#),
            Ok(RevokeAll {
                sub: "alice".into(),
                reason: RevocationReason::Admin
            })
        );
        assert_eq!(
            parse_revoke_all(br#"{"sub":"alice","reason":"leaked"}"#).map(|r| r.reason),
            Ok(RevocationReason::Leaked)
        );
        assert_eq!(
            parse_revoke_all(br#"{"sub":"alice","reason":"reuse"}"#),
            Err(IssueRequestError::BadLabel("reason"))
        );
        assert_eq!(
            parse_revoke_all(br#"{"sub":""}"#),
            Err(IssueRequestError::BadSubject)
        );
        for bad in [
            &br#"{"sub":"a","sid":"b"}"#[..],
            b"[]",
            b"{",
            br#"{"sub":7}"#,
        ] {
            assert_eq!(parse_revoke_all(bad), Err(IssueRequestError::Malformed));
        }
    }
}
