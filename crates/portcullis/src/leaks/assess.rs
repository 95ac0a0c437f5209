//! Whether a found credential is ours and still works, decided offline from the key ring:
//! the same signature check as the gate, without the route's audience or scope rules (a
//! token for another audience of ours is still our leak).

use crate::jwt::claims::Claims;
use crate::jwt::keyring::Keyring;
use crate::jwt::verify::{verify_jws, VerifyPolicy};
use crate::revocation::{
    entry_for, Revocation, RevocationEntry, RevocationPolicy, RevocationReason,
};

/// What a verified token says about itself; identifiers only, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenFacts {
    /// `sub`.
    pub sub: Option<String>,
    /// `jti`.
    pub jti: Option<String>,
    /// `iat`.
    pub iat: Option<i64>,
    /// `exp`.
    pub exp: i64,
    /// The `kid` of the ring key that verified it.
    pub kid: Option<String>,
}

/// What a credential is, as far as the key ring can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assessment {
    /// Ours, and unexpired at `now` (within the leeway): it opens the gate unless revoked.
    Live(TokenFacts),
    /// Ours, but expired: nothing to revoke.
    Expired(TokenFacts),
    /// Not verified by any key of the ring: someone else's, an example, or forged.
    Foreign,
}

impl Assessment {
    /// The revocation that stops a live credential, recorded as [`RevocationReason::Leaked`]:
    /// its `jti` until its own expiry; without a `jti`, its subject's tokens issued up to and
    /// including its `iat` (every token the gate accepts has a `sub` or a `jti` to revoke
    /// by). `None` for an expired or foreign credential, or one with neither.
    pub fn revocation(&self, now: i64, policy: &RevocationPolicy) -> Option<RevocationEntry> {
        let Assessment::Live(facts) = self else {
            return None;
        };
        let rev = match (&facts.jti, &facts.sub) {
            (Some(jti), _) => Revocation::Token { jti: jti.clone() },
            (None, Some(sub)) => Revocation::Subject {
                sub: sub.clone(),
                before: facts.iat.unwrap_or(now).saturating_add(1),
            },
            (None, None) => return None,
        };
        Some(entry_for(rev, now, Some(facts.exp), policy).because(RevocationReason::Leaked))
    }

    /// `live`, `expired` or `unverified`.
    pub fn status(&self) -> &'static str {
        match self {
            Assessment::Live(_) => "live",
            Assessment::Expired(_) => "expired",
            Assessment::Foreign => "unverified",
        }
    }

    /// The facts of a credential that is ours.
    pub fn facts(&self) -> Option<&TokenFacts> {
        match self {
            Assessment::Live(f) | Assessment::Expired(f) => Some(f),
            Assessment::Foreign => None,
        }
    }
}

/// Assesses `token` against `ring` at `now`, granting `leeway` seconds on `exp` as the gate
/// does. Only the signature, the algorithm rules and `exp` decide; see the module docs.
pub fn assess(token: &str, ring: &Keyring, leeway: u64, now: i64) -> Assessment {
    let policy = VerifyPolicy {
        leeway,
        max_ttl: None,
        ..VerifyPolicy::default()
    };
    let Ok(jws) = verify_jws(token, ring, &policy) else {
        return Assessment::Foreign;
    };
    let Ok(claims) = Claims::parse(&jws.payload) else {
        return Assessment::Foreign;
    };
    // The ring key that verified it, as the gate names it (a one-key ring needs no `kid`).
    let kid = ring
        .select(jws.header.kid.as_deref())
        .ok()
        .and_then(|k| k.kid())
        .map(str::to_owned);
    let facts = TokenFacts {
        sub: claims.sub,
        jti: claims.jti,
        iat: claims.iat,
        exp: claims.exp,
        kid,
    };
    let leeway = i64::try_from(leeway).unwrap_or(i64::MAX);
    if now > facts.exp.saturating_add(leeway) {
        Assessment::Expired(facts)
    } else {
        Assessment::Live(facts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::mint::sign_compact;
    use serde_json::json;

    const NOW: i64 = 1_700_000_000;

    fn ring(byte: u8) -> Keyring {
        let k = crate::codec::b64::encode([byte; 32]);
        Keyring::from_jwks(&format!(
            r#"{{"keys":[{{"kty":"oct","kid":"k1","alg":"HS256","k":"{k}"}}]}}"#
        ))
        .unwrap()
    }

    fn token(ring: &Keyring, claims: serde_json::Value) -> String {
        sign_compact(&ring.keys()[0], &json!({"alg":"HS256","kid":"k1"}), &claims)
    }

    const POLICY: RevocationPolicy = RevocationPolicy {
        max_ttl: 3600,
        leeway: 0,
    };

    #[test]
    fn a_token_of_ours_is_live_until_exp_plus_leeway_then_expired() {
        let r = ring(1);
        let t = token(&r, json!({"sub":"a","jti":"j1","iat":NOW-10,"exp":NOW+60}));
        let live = assess(&t, &r, 0, NOW);
        assert_eq!(live.status(), "live");
        assert_eq!(live.facts().unwrap().kid.as_deref(), Some("k1"));
        assert_eq!(assess(&t, &r, 30, NOW + 90).status(), "live");
        assert_eq!(assess(&t, &r, 30, NOW + 91).status(), "expired");
    }

    #[test]
    fn a_token_another_key_signed_is_foreign_whatever_it_claims() {
        let t = token(&ring(2), json!({"sub":"a","jti":"j1","exp":NOW+60}));
        assert_eq!(assess(&t, &ring(1), 0, NOW), Assessment::Foreign);
        assert_eq!(assess("eyJ.x.y", &ring(1), 0, NOW), Assessment::Foreign);
    }

    #[test]
    fn a_live_leak_is_revoked_by_jti_else_by_subject_as_leaked() {
        let r = ring(1);
        let t = token(&r, json!({"sub":"a","jti":"j1","exp":NOW+60}));
        let entry = assess(&t, &r, 0, NOW).revocation(NOW, &POLICY).unwrap();
        assert_eq!(entry.revocation, Revocation::Token { jti: "j1".into() });
        assert_eq!(entry.reason, RevocationReason::Leaked);
        assert_eq!(entry.expires_at, Some(NOW + 60));
        let t = token(&r, json!({"sub":"a","iat":NOW-5,"exp":NOW+60}));
        let entry = assess(&t, &r, 0, NOW).revocation(NOW, &POLICY).unwrap();
        assert_eq!(
            entry.revocation,
            Revocation::Subject {
                sub: "a".into(),
                before: NOW - 4
            }
        );
        let expired = token(&r, json!({"sub":"a","jti":"j2","exp":NOW-60}));
        assert_eq!(assess(&expired, &r, 0, NOW).revocation(NOW, &POLICY), None);
    }
}
