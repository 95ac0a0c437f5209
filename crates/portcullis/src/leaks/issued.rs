//! What a leaked opaque credential of ours (a `pcrt_` refresh token, a `pcak_` API key) lets
//! its finder do, and what revoking it means, decided from the string alone: the checksum
//! says it is ours (no storage read), and its body names the grant or the key. Whether it
//! still works is in the grant object or the key store, which only the gate can ask.

use crate::grant::credential::CredentialKind;
use crate::grant::secrets::{ApiKey, RefreshToken};

/// What to revoke for a leaked opaque credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssuedTarget {
    /// A refresh token: its whole grant (every generation, and the access tokens it
    /// issued), since a finder who refreshes first would make the holder's next refresh
    /// look like the reuse.
    Grant {
        /// The grant id (`sid`).
        sid: String,
        /// The generation the leaked token was.
        generation: u32,
    },
    /// An API key, by id.
    ApiKey {
        /// The key id.
        id: String,
    },
}

impl IssuedTarget {
    /// The target's kind: `sid` or `api_key`.
    pub fn kind(&self) -> &'static str {
        match self {
            IssuedTarget::Grant { .. } => "sid",
            IssuedTarget::ApiKey { .. } => "api_key",
        }
    }

    /// The id: the grant's `sid` or the key's id (neither is a secret).
    pub fn id(&self) -> &str {
        match self {
            IssuedTarget::Grant { sid, .. } => sid,
            IssuedTarget::ApiKey { id } => id,
        }
    }
}

/// The grant or key `token` belongs to, when it is one of our opaque credentials with a
/// valid checksum; `None` for anything else (a JWT, a fake example, a typo).
pub fn issued_target(token: &str) -> Option<(CredentialKind, IssuedTarget)> {
    if let Ok(rt) = RefreshToken::parse(token) {
        return Some((
            CredentialKind::RefreshToken,
            IssuedTarget::Grant {
                sid: rt.grant.to_text(),
                generation: rt.generation,
            },
        ));
    }
    ApiKey::parse(token).ok().map(|k| {
        (
            CredentialKind::ApiKey,
            IssuedTarget::ApiKey { id: k.id.to_text() },
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grant::secrets::{ApiKeyId, GrantId};

    #[test]
    fn a_refresh_token_names_its_grant_and_an_api_key_its_id() {
        let rt = RefreshToken {
            grant: GrantId([7; 16]),
            generation: 3,
            secret: [9; 20],
        };
        let (kind, target) = issued_target(&rt.encode()).unwrap();
        assert_eq!(kind, CredentialKind::RefreshToken);
        assert_eq!(
            target,
            IssuedTarget::Grant {
                sid: GrantId([7; 16]).to_text(),
                generation: 3
            }
        );
        assert_eq!(target.kind(), "sid");
        let key = ApiKey {
            id: ApiKeyId([5; 12]),
            secret: [1; 20],
        };
        let (kind, target) = issued_target(&key.encode()).unwrap();
        assert_eq!(kind, CredentialKind::ApiKey);
        assert_eq!(target.id(), ApiKeyId([5; 12]).to_text());
    }

    #[test]
    fn a_broken_checksum_or_a_jwt_names_nothing() {
        let key = ApiKey {
            id: ApiKeyId([5; 12]),
            secret: [1; 20],
        }
        .encode();
        let mut broken = key.into_bytes();
        let last = broken.len() - 1;
        broken[last] = if broken[last] == b'0' { b'1' } else { b'0' };
        assert_eq!(issued_target(std::str::from_utf8(&broken).unwrap()), None);
        assert_eq!(issued_target("eyJhbGciOiJIUzI1NiJ9.e30.c2ln"), None);
    }
}
