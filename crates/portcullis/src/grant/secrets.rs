//! The two credentials' contents: what a refresh token and an API key carry, built from
//! random bytes the caller supplies, and the digests under which they are stored.

use sha2::{Digest, Sha256};

use super::credential::{self, CredentialError, CredentialKind};
use crate::codec::b64;

/// Secret bytes in every credential: 160 bits from the CSPRNG.
pub const SECRET_BYTES: usize = 20;

/// A grant's id, which is also the `sid` claim of its access tokens: 16 random bytes, base62.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GrantId(pub [u8; 16]);

impl GrantId {
    /// The id as text (22 base62 characters): the `sid` claim and the Durable Object's name.
    pub fn to_text(self) -> String {
        base62(&self.0)
    }

    /// Parses the text form.
    pub fn from_text(text: &str) -> Option<GrantId> {
        from_base62(text).map(GrantId)
    }
}

fn base62(bytes: &[u8]) -> String {
    credential::base62_encode(bytes, credential::base62_width(bytes.len()))
}

/// The `N` bytes a fixed-width base62 id spells, if it is one.
fn from_base62<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != credential::base62_width(N) {
        return None;
    }
    let bytes = credential::base62_decode(text.as_bytes(), N).ok()?;
    bytes.try_into().ok()
}

/// SHA-256 of a secret, base64url: the only form in which a secret is stored.
pub fn digest(secret: &[u8]) -> String {
    b64::encode(Sha256::digest(secret))
}

/// Whether two digests are equal, in time independent of where they differ.
pub fn digests_equal(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A refresh token's contents: which grant, which generation, and the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshToken {
    /// The grant.
    pub grant: GrantId,
    /// The generation: 0 for the token the grant opened with, +1 per rotation.
    pub generation: u32,
    /// The secret; stored only as its [`digest`].
    pub secret: [u8; SECRET_BYTES],
}

impl std::fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("RefreshToken")
            .field("grant", &self.grant.to_text())
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

impl RefreshToken {
    /// The token as a `pcrt_` credential.
    pub fn encode(&self) -> String {
        let mut body = Vec::with_capacity(40);
        body.extend_from_slice(&self.grant.0);
        body.extend_from_slice(&self.generation.to_be_bytes());
        body.extend_from_slice(&self.secret);
        credential::encode(CredentialKind::RefreshToken, &body).unwrap_or_default()
    }

    /// Parses a `pcrt_` credential (checksum included; no storage read).
    pub fn parse(text: &str) -> Result<RefreshToken, CredentialError> {
        let body = credential::parse(CredentialKind::RefreshToken, text)?;
        let mut grant = [0u8; 16];
        grant.copy_from_slice(&body[..16]);
        let mut generation = [0u8; 4];
        generation.copy_from_slice(&body[16..20]);
        let mut secret = [0u8; SECRET_BYTES];
        secret.copy_from_slice(&body[20..]);
        Ok(RefreshToken {
            grant: GrantId(grant),
            generation: u32::from_be_bytes(generation),
            secret,
        })
    }

    /// The stored digest of this token's secret.
    pub fn digest(&self) -> String {
        digest(&self.secret)
    }
}

/// An API key's id: 12 random bytes, base62 (17 characters). It is the OAuth `client_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ApiKeyId(pub [u8; 12]);

impl ApiKeyId {
    /// The id as text.
    pub fn to_text(self) -> String {
        base62(&self.0)
    }

    /// Parses the text form.
    pub fn from_text(text: &str) -> Option<ApiKeyId> {
        from_base62(text).map(ApiKeyId)
    }
}

/// An API key's contents: its id and secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// The key's id (public: the `client_id`).
    pub id: ApiKeyId,
    /// The secret; stored only as its [`digest`].
    pub secret: [u8; SECRET_BYTES],
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKey")
            .field("id", &self.id.to_text())
            .finish_non_exhaustive()
    }
}

impl ApiKey {
    /// The key as a `pcak_` credential.
    pub fn encode(&self) -> String {
        let mut body = Vec::with_capacity(32);
        body.extend_from_slice(&self.id.0);
        body.extend_from_slice(&self.secret);
        credential::encode(CredentialKind::ApiKey, &body).unwrap_or_default()
    }

    /// Parses a `pcak_` credential (checksum included; no storage read).
    pub fn parse(text: &str) -> Result<ApiKey, CredentialError> {
        let body = credential::parse(CredentialKind::ApiKey, text)?;
        let mut id = [0u8; 12];
        id.copy_from_slice(&body[..12]);
        let mut secret = [0u8; SECRET_BYTES];
        secret.copy_from_slice(&body[12..]);
        Ok(ApiKey {
            id: ApiKeyId(id),
            secret,
        })
    }

    /// The stored digest of this key's secret.
    pub fn digest(&self) -> String {
        digest(&self.secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_fixed_width() {
        assert_eq!(GrantId([0; 16]).to_text(), "0".repeat(22));
        assert_eq!(GrantId([0xff; 16]).to_text().len(), 22);
        assert_eq!(ApiKeyId([0xff; 12]).to_text().len(), 17);
        assert_ne!(GrantId([1; 16]).to_text(), GrantId([2; 16]).to_text());
        let id = GrantId([0xA5; 16]);
        assert_eq!(GrantId::from_text(&id.to_text()), Some(id));
        assert_eq!(GrantId::from_text("short"), None);
        assert_eq!(GrantId::from_text(&"z".repeat(22)), None);
        let k = ApiKeyId([7; 12]);
        assert_eq!(ApiKeyId::from_text(&k.to_text()), Some(k));
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let t = RefreshToken {
            grant: GrantId([1; 16]),
            generation: 3,
            secret: [0xAB; SECRET_BYTES],
        };
        let shown = format!("{t:?}");
        assert!(!shown.contains("171") && !shown.to_lowercase().contains("ab, "));
        assert!(!shown.contains(&t.encode()));
        assert!(!format!(
            "{:?}",
            ApiKey {
                id: ApiKeyId([1; 12]),
                secret: [7; SECRET_BYTES]
            }
        )
        .contains("secret"));
    }

    #[test]
    fn digests_compare() {
        assert!(digests_equal(&digest(b"a"), &digest(b"a")));
        assert!(!digests_equal(&digest(b"a"), &digest(b"b")));
        assert!(!digests_equal("ab", "abc"));
    }
}
