//! Stateless DPoP server nonces (RFC 9449 section 8): a nonce is the current time bucket and
//! an HMAC of it, so every isolate in every location issues and checks the same nonces with
//! no shared state. A nonce is accepted in the bucket it was issued in and the next one, so it
//! lives between one and two `lifetime_s`.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::codec::b64;

/// Bytes of MAC kept in a nonce: 128 bits, beyond guessing.
const MAC_LEN: usize = 16;

/// Issues and checks nonces under one secret.
#[derive(Clone)]
pub struct NonceIssuer {
    key: Zeroizing<Vec<u8>>,
    lifetime_s: u64,
}

impl core::fmt::Debug for NonceIssuer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never the key.
        f.debug_struct("NonceIssuer")
            .field("lifetime_s", &self.lifetime_s)
            .finish_non_exhaustive()
    }
}

impl PartialEq for NonceIssuer {
    fn eq(&self, other: &Self) -> bool {
        self.lifetime_s == other.lifetime_s && *self.key == *other.key
    }
}

impl NonceIssuer {
    /// An issuer with `key` (at least 32 bytes, checked by the configuration) whose nonces
    /// live `lifetime_s` to `2 * lifetime_s` seconds.
    pub fn new(key: &[u8], lifetime_s: u64) -> NonceIssuer {
        NonceIssuer {
            key: Zeroizing::new(key.to_vec()),
            lifetime_s: lifetime_s.max(1),
        }
    }

    /// The configured lifetime.
    pub fn lifetime_s(&self) -> u64 {
        self.lifetime_s
    }

    fn bucket(&self, now: i64) -> u64 {
        (now.max(0) as u64) / self.lifetime_s
    }

    fn mac(&self, bucket: u64) -> [u8; MAC_LEN] {
        // A key of any length is accepted by HMAC.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"portcullis-dpop-nonce\n");
        mac.update(&bucket.to_be_bytes());
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; MAC_LEN];
        out.copy_from_slice(&full[..MAC_LEN]);
        out
    }

    /// The nonce for `now`.
    pub fn issue(&self, now: i64) -> String {
        let bucket = self.bucket(now);
        let mut bytes = bucket.to_be_bytes().to_vec();
        bytes.extend_from_slice(&self.mac(bucket));
        b64::encode(bytes)
    }

    /// Whether `nonce` was issued by this issuer in the current bucket or the one before.
    pub fn accepts(&self, nonce: &str, now: i64) -> bool {
        let Ok(bytes) = b64::decode(nonce) else {
            return false;
        };
        if bytes.len() != 8 + MAC_LEN {
            return false;
        }
        let mut be = [0u8; 8];
        be.copy_from_slice(&bytes[..8]);
        let bucket = u64::from_be_bytes(be);
        let current = self.bucket(now);
        if bucket != current && bucket.checked_add(1) != Some(current) {
            return false;
        }
        // Constant time: the MAC is the secret part.
        let expected = self.mac(bucket);
        expected
            .iter()
            .zip(&bytes[8..])
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_lives_one_to_two_lifetimes_and_only_under_its_key() {
        let issuer = NonceIssuer::new(&[1u8; 32], 60);
        let nonce = issuer.issue(6_000);
        assert!(issuer.accepts(&nonce, 6_000));
        assert!(issuer.accepts(&nonce, 6_119));
        assert!(!issuer.accepts(&nonce, 6_120));
        assert!(!issuer.accepts(&nonce, 5_999));
        assert!(!NonceIssuer::new(&[2u8; 32], 60).accepts(&nonce, 6_000));
        let mut forged = b64::decode(&nonce).unwrap();
        forged[10] ^= 1;
        assert!(!issuer.accepts(&b64::encode(forged), 6_000));
        assert!(!issuer.accepts("", 6_000));
        assert!(!issuer.accepts("not base64!", 6_000));
        assert!(format!("{issuer:?}").contains("lifetime_s"));
    }
}
