//! API key records: what is stored for a key (never its secret), and the exchange of a key
//! for an access token of at most its scopes.

use serde::{Deserialize, Serialize};

use super::scope::{narrow, ScopeError};
use super::secrets::{digests_equal, ApiKey};

/// Version written in, and required of, stored key JSON.
const KEY_VERSION: u8 = 1;

/// An API key as stored: its id, owner, scopes and lifetimes, and the SHA-256 digest of its
/// secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyRecord {
    v: u8,
    /// The key id (the OAuth `client_id`).
    pub id: String,
    /// The subject its access tokens speak for.
    pub sub: String,
    /// The most its access tokens may carry.
    pub scope: String,
    /// A label for people.
    pub name: Option<String>,
    /// When it was created.
    pub created_at: i64,
    /// When it expires, if ever.
    pub expires_at: Option<i64>,
    /// When it last minted a token.
    pub last_used_at: Option<i64>,
    /// When it was revoked.
    pub revoked_at: Option<i64>,
    digest: String,
}

/// Why a key cannot be exchanged. All are `invalid_client` to the client except scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRefusal {
    /// No such key (or its secret does not match).
    Unknown,
    /// Revoked.
    Revoked,
    /// Expired.
    Expired,
    /// The requested scope is wider than the key's.
    Scope(ScopeError),
}

impl KeyRefusal {
    /// A stable code for the audit log.
    pub fn code(&self) -> &'static str {
        match self {
            KeyRefusal::Unknown => "api_key_unknown",
            KeyRefusal::Revoked => "api_key_revoked",
            KeyRefusal::Expired => "api_key_expired",
            KeyRefusal::Scope(_) => "scope_widened",
        }
    }
}

impl ApiKeyRecord {
    /// The record for a new key.
    pub fn new(
        key: &ApiKey,
        sub: String,
        scope: String,
        name: Option<String>,
        expires_at: Option<i64>,
        now: i64,
    ) -> ApiKeyRecord {
        ApiKeyRecord {
            v: KEY_VERSION,
            id: key.id.to_text(),
            sub,
            scope,
            name,
            created_at: now,
            expires_at,
            last_used_at: None,
            revoked_at: None,
            digest: key.digest(),
        }
    }

    /// The stored JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads stored JSON; `None` for another version or a damaged record.
    pub fn from_json(text: &str) -> Option<ApiKeyRecord> {
        serde_json::from_str::<ApiKeyRecord>(text)
            .ok()
            .filter(|k| k.v == KEY_VERSION)
    }

    /// The record as the admin API lists it: everything but the digest.
    pub fn public(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id, "sub": self.sub, "scope": self.scope, "name": self.name,
            "created_at": self.created_at, "expires_at": self.expires_at,
            "last_used_at": self.last_used_at, "revoked_at": self.revoked_at,
        })
    }

    /// Exchanges `presented` at `now` for the scope of one access token; records the use.
    pub fn exchange(
        &mut self,
        presented: &ApiKey,
        scope: Option<&str>,
        now: i64,
    ) -> Result<String, KeyRefusal> {
        if presented.id.to_text() != self.id || !digests_equal(&self.digest, &presented.digest()) {
            return Err(KeyRefusal::Unknown);
        }
        if self.revoked_at.is_some() {
            return Err(KeyRefusal::Revoked);
        }
        if self.expires_at.is_some_and(|exp| now >= exp) {
            return Err(KeyRefusal::Expired);
        }
        let scope = narrow(&self.scope, scope).map_err(KeyRefusal::Scope)?;
        self.last_used_at = Some(now);
        Ok(scope)
    }

    /// Whether `presented` is this key: its id and secret (by digest) match.
    pub fn authenticates(&self, presented: &ApiKey) -> bool {
        presented.id.to_text() == self.id && digests_equal(&self.digest, &presented.digest())
    }

    /// Revokes the key at `now` (again: no change).
    pub fn revoke(&mut self, now: i64) {
        self.revoked_at.get_or_insert(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grant::secrets::ApiKeyId;

    fn key() -> ApiKey {
        ApiKey {
            id: ApiKeyId([3; 12]),
            secret: [4; 20],
        }
    }

    fn record() -> ApiKeyRecord {
        ApiKeyRecord::new(&key(), "svc".into(), "a b".into(), None, Some(2000), 1000)
    }

    #[test]
    fn exchanges_within_scope_and_records_use() {
        let mut r = record();
        assert_eq!(r.exchange(&key(), None, 1100).unwrap(), "a b");
        assert_eq!(r.exchange(&key(), Some("b"), 1200).unwrap(), "b");
        assert_eq!(r.last_used_at, Some(1200));
        assert!(matches!(
            r.exchange(&key(), Some("c"), 1300),
            Err(KeyRefusal::Scope(_))
        ));
    }

    #[test]
    fn refuses_wrong_secret_revoked_and_expired() {
        let mut r = record();
        let wrong = ApiKey {
            secret: [5; 20],
            ..key()
        };
        assert_eq!(r.exchange(&wrong, None, 1100), Err(KeyRefusal::Unknown));
        assert_eq!(r.exchange(&key(), None, 2000), Err(KeyRefusal::Expired));
        r.revoke(1500);
        r.revoke(1600);
        assert_eq!(r.revoked_at, Some(1500));
        assert_eq!(r.exchange(&key(), None, 1501), Err(KeyRefusal::Revoked));
    }

    #[test]
    fn never_stores_or_lists_the_secret() {
        let r = record();
        let text = key().encode();
        assert!(!r.to_json().contains(&text));
        assert!(r.public().get("digest").is_none());
        assert_eq!(ApiKeyRecord::from_json(&r.to_json()), Some(r));
    }
}
