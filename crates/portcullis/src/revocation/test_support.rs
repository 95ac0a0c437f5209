//! Helpers shared by the revocation modules' unit tests.

use proptest::prelude::*;

use super::{
    entry_for, DecodeError, Revocation, RevocationEntry, RevocationPolicy, RevocationReason,
    RevocationSnapshot,
};

pub(super) const NOW: i64 = 1_700_000_000;

pub(super) type DecodeCheck = fn(&DecodeError) -> bool;

pub(super) const POLICY: RevocationPolicy = RevocationPolicy {
    max_ttl: 3600,
    leeway: 30,
};

pub(super) fn jti(s: &str) -> Revocation {
    Revocation::Token { jti: s.to_owned() }
}

pub(super) fn sub(s: &str, before: i64) -> Revocation {
    Revocation::Subject {
        sub: s.to_owned(),
        before,
    }
}

pub(super) fn kid(s: &str) -> Revocation {
    Revocation::Key { kid: s.to_owned() }
}

pub(super) fn sid(s: &str) -> Revocation {
    Revocation::Session { sid: s.to_owned() }
}

pub(super) fn snapshot_of(revs: Vec<Revocation>) -> RevocationSnapshot {
    RevocationSnapshot::from_entries(
        revs.into_iter().map(|r| entry_for(r, NOW, None, &POLICY)),
        NOW,
    )
}

pub(super) fn arb_revocation() -> impl Strategy<Value = Revocation> {
    // A small alphabet so targets collide across entries and kinds.
    let id = "[ab/é]{0,3}";
    prop_oneof![
        id.prop_map(|jti| Revocation::Token { jti }),
        (id, NOW - 5000..NOW).prop_map(|(sub, before)| Revocation::Subject { sub, before }),
        id.prop_map(|kid| Revocation::Key { kid }),
        id.prop_map(|sid| Revocation::Session { sid }),
    ]
}

pub(super) fn arb_entry() -> impl Strategy<Value = RevocationEntry> {
    (
        arb_revocation(),
        NOW - 5000..NOW,
        proptest::option::of(NOW - 5000..NOW + 5000),
        proptest::sample::select(RevocationReason::ALL.to_vec()),
    )
        .prop_map(|(rev, at, exp, reason)| entry_for(rev, at, exp, &POLICY).because(reason))
}

/// A lookup's claims: `jti`, `sub`, `iat`, `kid`, `sid`.
pub(super) type Query = (
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
);

pub(super) fn arb_query() -> impl Strategy<Value = Query> {
    let id = proptest::option::of("[ab/é]{0,3}");
    (
        id.clone(),
        id.clone(),
        proptest::option::of(NOW - 6000..NOW + 100),
        id.clone(),
        id,
    )
}
