//! The grant (session) state machine: open, refresh with rotation, the grace period, reuse
//! detection, idle and absolute lifetimes, revocation. Pure: `now` and the new secret bytes
//! come in, the new state and an outcome come out. The Worker keeps one [`Grant`] per Durable
//! Object, so every step on one grant is serialized.

use serde::{Deserialize, Serialize};

use super::scope::{narrow, ScopeError};
use super::secrets::{digests_equal, GrantId, RefreshToken, SECRET_BYTES};

/// Version written in, and required of, stored grant JSON.
const GRANT_VERSION: u8 = 1;

/// How many generations' digests a grant keeps. A token older than these is refused as
/// unknown (it cannot be authenticated any more, so it cannot trigger a revocation).
pub const KEPT_GENERATIONS: usize = 64;

/// A grant's lifetimes, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifetimes {
    /// How long a predecessor stays usable after a rotation, answering with the same
    /// successor. 0 allowed.
    pub grace_s: u64,
    /// A grant unused (no refresh) this long expires.
    pub idle_s: u64,
    /// A grant expires this long after it opened, whatever its use.
    pub absolute_s: u64,
}

impl Lifetimes {
    /// Defaults: 30 s grace, 7 days idle, 30 days absolute.
    pub const DEFAULT: Lifetimes = Lifetimes {
        grace_s: 30,
        idle_s: 7 * 86_400,
        absolute_s: 30 * 86_400,
    };
    /// Upper bounds: 5 min grace, 1 year absolute (idle is at most absolute).
    pub const MAX_GRACE_S: u64 = 300;
    /// The longest absolute lifetime.
    pub const MAX_ABSOLUTE_S: u64 = 365 * 86_400;
}

/// An access token the grant issued. The grant keeps only the latest `exp`
/// ([`Grant::access_exp`]): revoking the grant is one `sid` revocation that must outlive it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issued {
    /// The token's `jti`.
    pub jti: String,
    /// Its `exp`.
    pub exp: i64,
}

/// Why a grant was revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevokeReason {
    /// A refresh token was used again outside the grace period.
    Reuse,
    /// An operator (or the application, by `sid`) ended the session.
    Revoked,
}

/// One generation's stored digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Generation {
    g: u32,
    digest: String,
}

/// A grant as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    v: u8,
    /// The grant id, the `sid` of its access tokens.
    pub sid: String,
    /// The subject.
    pub sub: String,
    /// The scope granted; refreshes may narrow it for one access token, never widen it.
    pub scope: String,
    /// The client the grant was issued to, if named.
    pub client_id: Option<String>,
    /// Lifetimes.
    pub lifetimes: Lifetimes,
    /// When it opened.
    pub created_at: i64,
    /// When a refresh token of it was last used (successfully).
    pub last_used_at: i64,
    /// The current generation.
    pub generation: u32,
    generations: Vec<Generation>,
    /// When the current generation was issued; its predecessor's grace ends `grace_s` later.
    pub rotated_at: i64,
    /// The current refresh token, in the clear, only while its predecessor is in grace
    /// (so a retry gets the same successor); dropped at the next step after grace.
    successor: Option<String>,
    /// Records written before the `sid` revocation kind listed every live access token;
    /// read once into [`Grant::access_exp`], never written.
    #[serde(default, skip_serializing)]
    issued: Vec<Issued>,
    /// The latest `exp` of any access token the grant issued (0: none). A `sid` revocation
    /// lives until then (plus leeway): the grant mints nothing once revoked.
    #[serde(default)]
    pub access_exp: i64,
    /// Set once the grant is revoked; a revoked grant stays so its tokens keep failing.
    pub revoked: Option<(i64, RevokeReason)>,
}

/// What opening a grant needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenGrant {
    /// The subject.
    pub sub: String,
    /// The scope granted.
    pub scope: String,
    /// The client, if named.
    pub client_id: Option<String>,
    /// Lifetimes.
    pub lifetimes: Lifetimes,
}

/// A successful refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refreshed {
    /// The refresh token to hand out.
    pub refresh_token: String,
    /// The access token's scope (the grant's, or the narrower one requested).
    pub scope: String,
    /// Whether this was a retry within grace (the same successor as before).
    pub retry: bool,
}

/// Why a refresh was refused. Every one is `invalid_grant` to the client (or `invalid_scope`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshRefusal {
    /// The grant was revoked earlier.
    Revoked(RevokeReason),
    /// Past the absolute lifetime.
    Expired {
        /// When it expired.
        at: i64,
    },
    /// Unused for longer than the idle lifetime.
    Idle {
        /// When it expired.
        at: i64,
    },
    /// The token's generation is unknown or its secret does not match.
    UnknownToken,
    /// The token is not the grant's id (a misrouted request).
    WrongGrant,
    /// Issued to another client.
    WrongClient,
    /// The requested scope is not within the grant's.
    Scope(ScopeError),
    /// A used refresh token came back outside the grace period: the grant is now revoked.
    Reuse {
        /// The generation presented.
        presented: u32,
        /// The grant's current generation.
        current: u32,
        /// The latest `exp` of its access tokens, for the `sid` revocation.
        access_exp: i64,
    },
}

impl RefreshRefusal {
    /// A stable code for the audit log.
    pub fn code(&self) -> &'static str {
        match self {
            RefreshRefusal::Revoked(_) => "grant_revoked",
            RefreshRefusal::Expired { .. } => "grant_expired",
            RefreshRefusal::Idle { .. } => "grant_idle_expired",
            RefreshRefusal::UnknownToken => "refresh_token_unknown",
            RefreshRefusal::WrongGrant => "refresh_token_wrong_grant",
            RefreshRefusal::WrongClient => "refresh_token_wrong_client",
            RefreshRefusal::Scope(_) => "scope_widened",
            RefreshRefusal::Reuse { .. } => "refresh_token_reused",
        }
    }
}

/// The secret bytes of the next refresh token.
pub type Secret = [u8; SECRET_BYTES];

impl Grant {
    /// Opens a grant with id `id`, its first refresh token made from `secret`.
    pub fn open(req: OpenGrant, id: GrantId, secret: Secret, now: i64) -> (Grant, String) {
        let token = RefreshToken {
            grant: id,
            generation: 0,
            secret,
        };
        let grant = Grant {
            v: GRANT_VERSION,
            sid: id.to_text(),
            sub: req.sub,
            scope: req.scope,
            client_id: req.client_id,
            lifetimes: req.lifetimes,
            created_at: now,
            last_used_at: now,
            generation: 0,
            generations: vec![Generation {
                g: 0,
                digest: token.digest(),
            }],
            rotated_at: now,
            successor: None,
            issued: Vec::new(),
            access_exp: 0,
            revoked: None,
        };
        (grant, token.encode())
    }

    /// The stored JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads stored JSON; `None` for another version or a damaged record. A record that
    /// still lists its access tokens (written before the `sid` kind) keeps their latest `exp`.
    pub fn from_json(text: &str) -> Option<Grant> {
        let mut grant = serde_json::from_str::<Grant>(text)
            .ok()
            .filter(|g| g.v == GRANT_VERSION)?;
        for issued in std::mem::take(&mut grant.issued) {
            grant.access_exp = grant.access_exp.max(issued.exp);
        }
        Some(grant)
    }

    /// When the grant ends at the latest (absolute lifetime).
    pub fn expires_at(&self) -> i64 {
        self.created_at
            .saturating_add(self.lifetimes.absolute_s as i64)
    }

    /// When the grant ends if unused.
    pub fn idle_expires_at(&self) -> i64 {
        self.last_used_at
            .saturating_add(self.lifetimes.idle_s as i64)
    }

    /// Whether it can still be refreshed at `now`.
    pub fn is_active(&self, now: i64) -> bool {
        self.revoked.is_none() && now < self.expires_at() && now < self.idle_expires_at()
    }

    /// Records an access token the grant issued: only its `exp` matters once minted.
    pub fn record_issued(&mut self, issued: &Issued) {
        self.access_exp = self.access_exp.max(issued.exp);
    }

    /// Revokes the grant at `now`; returns the latest `exp` of its access tokens, until
    /// which its `sid` revocation must hold.
    pub fn revoke(&mut self, reason: RevokeReason, now: i64) -> i64 {
        if self.revoked.is_none() {
            self.revoked = Some((now, reason));
        }
        self.successor = None;
        self.access_exp
    }

    /// Whether `presented` is a refresh token this grant issued and still remembers (one
    /// of the last [`KEPT_GENERATIONS`]): its secret matches the stored digest.
    pub fn authenticates(&self, presented: &RefreshToken) -> bool {
        presented.grant.to_text() == self.sid
            && self
                .digest_of(presented.generation)
                .is_some_and(|d| digests_equal(d, &presented.digest()))
    }

    fn digest_of(&self, generation: u32) -> Option<&str> {
        self.generations
            .iter()
            .find(|g| g.g == generation)
            .map(|g| g.digest.as_str())
    }

    /// One refresh at `now` with `presented`, asking for `scope` (`None`: the grant's) on
    /// behalf of `client_id` (if the client named itself). `next` is the secret of the
    /// successor, used only if this refresh rotates.
    ///
    /// - the current generation rotates: a new token, the old one enters grace;
    /// - the predecessor within grace gets the same successor again (a retry after a lost
    ///   response, or a concurrent refresh, is not an attack);
    /// - any other generation this grant issued is reuse: the grant is revoked.
    pub fn refresh(
        &mut self,
        presented: &RefreshToken,
        client_id: Option<&str>,
        scope: Option<&str>,
        next: Secret,
        now: i64,
    ) -> Result<Refreshed, RefreshRefusal> {
        if presented.grant.to_text() != self.sid {
            return Err(RefreshRefusal::WrongGrant);
        }
        if let Some((_, reason)) = self.revoked {
            return Err(RefreshRefusal::Revoked(reason));
        }
        // A token that does not authenticate changes nothing: it cannot revoke the grant.
        match self.digest_of(presented.generation) {
            Some(d) if digests_equal(d, &presented.digest()) => {}
            _ => return Err(RefreshRefusal::UnknownToken),
        }
        if now >= self.expires_at() {
            return Err(RefreshRefusal::Expired {
                at: self.expires_at(),
            });
        }
        if now >= self.idle_expires_at() {
            return Err(RefreshRefusal::Idle {
                at: self.idle_expires_at(),
            });
        }
        if let (Some(ours), Some(theirs)) = (&self.client_id, client_id) {
            if ours != theirs {
                return Err(RefreshRefusal::WrongClient);
            }
        }
        let in_grace = now
            < self
                .rotated_at
                .saturating_add(self.lifetimes.grace_s as i64);
        if !in_grace {
            self.successor = None;
        }
        let is_current = presented.generation == self.generation;
        let is_retry = presented.generation.checked_add(1) == Some(self.generation)
            && in_grace
            && self.successor.is_some();
        if !is_current && !is_retry {
            let access_exp = self.revoke(RevokeReason::Reuse, now);
            return Err(RefreshRefusal::Reuse {
                presented: presented.generation,
                current: self.generation,
                access_exp,
            });
        }
        let scope = narrow(&self.scope, scope).map_err(RefreshRefusal::Scope)?;
        self.last_used_at = now;
        if is_retry {
            return Ok(Refreshed {
                refresh_token: self.successor.clone().unwrap_or_default(),
                scope,
                retry: true,
            });
        }
        let generation = self.generation.saturating_add(1);
        let token = RefreshToken {
            grant: presented.grant,
            generation,
            secret: next,
        };
        let text = token.encode();
        self.generation = generation;
        self.generations.push(Generation {
            g: generation,
            digest: token.digest(),
        });
        if self.generations.len() > KEPT_GENERATIONS {
            self.generations.remove(0);
        }
        self.rotated_at = now;
        self.successor = (self.lifetimes.grace_s > 0).then(|| text.clone());
        Ok(Refreshed {
            refresh_token: text,
            scope,
            retry: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: GrantId = GrantId([9; 16]);

    fn open(grace_s: u64) -> (Grant, RefreshToken) {
        let (g, t) = Grant::open(
            OpenGrant {
                sub: "alice".into(),
                scope: "orders:read orders:write".into(),
                client_id: Some("app".into()),
                lifetimes: Lifetimes {
                    grace_s,
                    idle_s: 600,
                    absolute_s: 3600,
                },
            },
            ID,
            [1; 20],
            1000,
        );
        (g, RefreshToken::parse(&t).unwrap())
    }

    fn rt(text: &str) -> RefreshToken {
        RefreshToken::parse(text).unwrap()
    }

    #[test]
    fn rotates_and_the_new_token_works() {
        let (mut g, t0) = open(30);
        let r1 = g.refresh(&t0, None, None, [2; 20], 1010).unwrap();
        assert!(!r1.retry);
        assert_eq!(r1.scope, "orders:read orders:write");
        let t1 = rt(&r1.refresh_token);
        assert_eq!(t1.generation, 1);
        let r2 = g.refresh(&t1, Some("app"), None, [3; 20], 1020).unwrap();
        assert_eq!(rt(&r2.refresh_token).generation, 2);
    }

    #[test]
    fn a_retry_within_grace_gets_the_same_successor() {
        let (mut g, t0) = open(30);
        let r1 = g.refresh(&t0, None, None, [2; 20], 1010).unwrap();
        let again = g.refresh(&t0, None, None, [5; 20], 1039).unwrap();
        assert!(again.retry);
        assert_eq!(again.refresh_token, r1.refresh_token);
        assert_eq!(g.generation, 1);
    }

    #[test]
    fn reuse_after_grace_revokes_the_grant_and_reports_generations() {
        let (mut g, t0) = open(30);
        let r1 = g.refresh(&t0, None, None, [2; 20], 1010).unwrap();
        for exp in [1300, 1310, 1290] {
            g.record_issued(&Issued {
                jti: format!("j{exp}"),
                exp,
            });
        }
        let err = g.refresh(&t0, None, None, [5; 20], 1040).unwrap_err();
        assert_eq!(
            err,
            RefreshRefusal::Reuse {
                presented: 0,
                current: 1,
                access_exp: 1310,
            }
        );
        // Every token of the grant is dead now, the current one included.
        assert_eq!(
            g.refresh(&rt(&r1.refresh_token), None, None, [6; 20], 1041),
            Err(RefreshRefusal::Revoked(RevokeReason::Reuse))
        );
    }

    #[test]
    fn zero_grace_makes_any_second_use_reuse() {
        let (mut g, t0) = open(0);
        g.refresh(&t0, None, None, [2; 20], 1010).unwrap();
        assert!(matches!(
            g.refresh(&t0, None, None, [3; 20], 1010),
            Err(RefreshRefusal::Reuse { .. })
        ));
    }

    #[test]
    fn an_older_generation_is_reuse_even_within_grace() {
        let (mut g, t0) = open(30);
        let t1 = rt(&g
            .refresh(&t0, None, None, [2; 20], 1010)
            .unwrap()
            .refresh_token);
        g.refresh(&t1, None, None, [3; 20], 1011).unwrap();
        assert!(matches!(
            g.refresh(&t0, None, None, [4; 20], 1012),
            Err(RefreshRefusal::Reuse {
                presented: 0,
                current: 2,
                ..
            })
        ));
    }

    #[test]
    fn a_forged_secret_changes_nothing() {
        let (mut g, t0) = open(30);
        let forged = RefreshToken {
            secret: [0xEE; 20],
            ..t0.clone()
        };
        let before = g.clone();
        assert_eq!(
            g.refresh(&forged, None, None, [2; 20], 1010),
            Err(RefreshRefusal::UnknownToken)
        );
        let future = RefreshToken {
            generation: 7,
            ..t0.clone()
        };
        assert_eq!(
            g.refresh(&future, None, None, [2; 20], 1010),
            Err(RefreshRefusal::UnknownToken)
        );
        let other = RefreshToken {
            grant: GrantId([1; 16]),
            ..t0
        };
        assert_eq!(
            g.refresh(&other, None, None, [2; 20], 1010),
            Err(RefreshRefusal::WrongGrant)
        );
        assert_eq!(g, before);
    }

    #[test]
    fn idle_and_absolute_lifetimes_end_the_grant() {
        let (mut g, t0) = open(30);
        assert_eq!(
            g.clone().refresh(&t0, None, None, [2; 20], 1600),
            Err(RefreshRefusal::Idle { at: 1600 })
        );
        // Used every 500 s, it stays alive until the absolute lifetime.
        let mut t = t0;
        let mut now = 1000;
        while now + 500 < 4600 {
            now += 500;
            t = rt(&g
                .refresh(&t, None, None, [now as u8; 20], now)
                .unwrap()
                .refresh_token);
        }
        assert_eq!(
            g.refresh(&t, None, None, [2; 20], 4600),
            Err(RefreshRefusal::Expired { at: 4600 })
        );
    }

    #[test]
    fn down_scoping_is_allowed_and_widening_refused_without_rotating() {
        let (mut g, t0) = open(30);
        let r = g
            .refresh(&t0, None, Some("orders:read"), [2; 20], 1010)
            .unwrap();
        assert_eq!(r.scope, "orders:read");
        let t1 = rt(&r.refresh_token);
        let err = g
            .refresh(&t1, None, Some("orders:read admin"), [3; 20], 1011)
            .unwrap_err();
        assert!(matches!(err, RefreshRefusal::Scope(_)));
        assert_eq!(g.generation, 1, "a refused refresh does not rotate");
        // The grant keeps its full scope.
        let r = g.refresh(&t1, None, None, [3; 20], 1012).unwrap();
        assert_eq!(r.scope, "orders:read orders:write");
    }

    #[test]
    fn refreshing_in_a_loop_keeps_the_record_bounded() {
        // No cap on live access tokens any more: the record keeps one `exp`, not a list.
        let (mut g, mut t) = open(0);
        for i in 0..1000i64 {
            g.record_issued(&Issued {
                jti: format!("j{i}"),
                exp: 1300 + i,
            });
            t = rt(&g
                .refresh(&t, None, None, [i as u8; 20], 1001 + i / 10)
                .unwrap()
                .refresh_token);
        }
        assert_eq!(g.access_exp, 2299);
        assert!(g.to_json().len() < 8 * 1024, "{}", g.to_json().len());
    }

    #[test]
    fn a_record_that_listed_its_access_tokens_reads_as_their_latest_exp() {
        let (g, _) = open(30);
        let old = g.to_json().replace(
            r#""access_exp":0"#,
            r#""issued":[{"jti":"a","exp":1200},{"jti":"b","exp":1290}]"#,
        );
        assert!(old.contains("issued"), "{old}");
        let read = Grant::from_json(&old).unwrap();
        assert_eq!(read.access_exp, 1290);
        assert!(!read.to_json().contains("issued"));
    }

    #[test]
    fn another_client_is_refused() {
        let (mut g, t0) = open(30);
        assert_eq!(
            g.refresh(&t0, Some("other"), None, [2; 20], 1010),
            Err(RefreshRefusal::WrongClient)
        );
    }

    #[test]
    fn stored_json_round_trips_and_versions_are_checked() {
        let (mut g, t0) = open(30);
        g.refresh(&t0, None, None, [2; 20], 1010).unwrap();
        let json = g.to_json();
        assert_eq!(Grant::from_json(&json), Some(g));
        assert_eq!(Grant::from_json(&json.replace("\"v\":1", "\"v\":2")), None);
        assert!(!json.contains(&t0.encode()));
    }

    #[test]
    fn keeps_a_bounded_history() {
        let (mut g, mut t) = open(0);
        for i in 0..(KEPT_GENERATIONS as i64 + 10) {
            t = rt(&g
                .refresh(&t, None, None, [i as u8; 20], 1001 + i)
                .unwrap()
                .refresh_token);
        }
        assert_eq!(g.generations.len(), KEPT_GENERATIONS);
    }
}
