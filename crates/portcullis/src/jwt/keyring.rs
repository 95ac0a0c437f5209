//! HMAC keys and the key ring: a JWK Set (RFC 7517) of `kty: "oct"` keys.
//!
//! The ring holds every key a verifier accepts; a token that names a `kid` is checked with
//! that key only, and a token without `kid` only when the ring holds exactly one key. At most
//! one key signs: the one whose `key_ops` includes `"sign"` (or the only key of a one-key set
//! that has no `key_ops`). Rotation is therefore: add the new key as verify-only everywhere,
//! move `"sign"` to it, and drop the old key once the longest token lifetime has passed.

use core::fmt;
use std::sync::OnceLock;

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Map, Value};
use sha2::{Sha256, Sha384, Sha512};
use zeroize::Zeroizing;

// `Alg` has its own module (the errors name it too); re-exported where callers know it.
pub use crate::jwt::alg::Alg;
use crate::jwt::error::{KeyringError, TokenError};
use crate::{codec::b64, codec::json};

// The header is read where tokens are ([`crate::jwt::token`]), which also bounds a `kid`.
use crate::jwt::token::Header;
pub use crate::jwt::token::MAX_KID_LEN;

/// An HMAC state with the key already absorbed, cloned per use: the inner and outer key
/// blocks are hashed once at load time instead of on every request.
#[derive(Clone)]
enum Prepared {
    S256(Hmac<Sha256>),
    S384(Hmac<Sha384>),
    S512(Hmac<Sha512>),
}

/// The longest encoded header a key remembers: a usual one (alg, typ, kid) is under 100.
const MAX_REMEMBERED_HEADER: usize = 512;

/// The longest tag any algorithm here produces.
pub const MAX_TAG_LEN: usize = 64;

/// One HMAC key. Its bytes are zeroized on drop and never printed.
#[derive(Clone)]
pub struct Key {
    kid: Option<String>,
    alg: Alg,
    signs: bool,
    secret: Zeroizing<Vec<u8>>,
    prepared: Prepared,
    /// The first encoded header whose token this key verified, and what it reads as: an
    /// issuer writes the same header on every token, so a verify that meets it again skips
    /// decoding and parsing it ([`Keyring::remembered_header`]). Reading a header is a pure
    /// function of its bytes, so the answer is the one a parse would give.
    header: OnceLock<(Box<str>, Header)>,
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("signs", &self.signs)
            .field("secret", &"[redacted]")
            .finish()
    }
}

impl Key {
    /// A key from raw bytes. Refuses a key shorter than the hash output (RFC 7518 3.2).
    pub fn new(kid: Option<String>, alg: Alg, secret: &[u8]) -> Result<Key, KeyringError> {
        if secret.len() < alg.output_len() {
            return Err(KeyringError::WeakKey {
                index: 0,
                kid,
                alg,
                len: secret.len(),
            });
        }
        Ok(Key::full_length(kid, alg, secret))
    }

    /// A key from bytes already known to be at least the hash's output long.
    fn full_length(kid: Option<String>, alg: Alg, secret: &[u8]) -> Key {
        let prepared = match alg {
            Alg::HS256 => Prepared::S256(new_mac(secret)),
            Alg::HS384 => Prepared::S384(new_mac(secret)),
            Alg::HS512 => Prepared::S512(new_mac(secret)),
        };
        Key {
            kid,
            alg,
            signs: false,
            secret: Zeroizing::new(secret.to_vec()),
            prepared,
            header: OnceLock::new(),
        }
    }

    /// A fresh key of the hash's output length from the operating system's CSPRNG.
    pub fn generate(kid: Option<String>, alg: Alg) -> Result<Key, getrandom::Error> {
        let mut secret = Zeroizing::new(vec![0u8; alg.output_len()]);
        getrandom::fill(&mut secret)?;
        Ok(Key::full_length(kid, alg, &secret))
    }

    /// The key id, if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The algorithm this key is for.
    pub fn alg(&self) -> Alg {
        self.alg
    }

    /// Whether this is the ring's signing key.
    pub fn signs(&self) -> bool {
        self.signs
    }

    /// Computes the tag over `input` into `out`, returning its length.
    pub fn tag(&self, input: &[u8], out: &mut [u8; MAX_TAG_LEN]) -> usize {
        fn run<M: Mac + Clone>(m: &M, input: &[u8], out: &mut [u8]) -> usize {
            let mut m = m.clone();
            m.update(input);
            let tag = m.finalize().into_bytes();
            out[..tag.len()].copy_from_slice(&tag);
            tag.len()
        }
        match &self.prepared {
            Prepared::S256(m) => run(m, input, out),
            Prepared::S384(m) => run(m, input, out),
            Prepared::S512(m) => run(m, input, out),
        }
    }

    /// Checks a full-length tag over `input` in constant time.
    pub fn verify_tag(&self, input: &[u8], tag: &[u8]) -> Result<(), TokenError> {
        let expected = self.alg.output_len();
        if tag.len() != expected {
            return Err(TokenError::TagLength {
                expected,
                found: tag.len(),
            });
        }
        fn run<M: Mac + Clone>(m: &M, input: &[u8], tag: &[u8]) -> bool {
            let mut m = m.clone();
            m.update(input);
            m.verify_slice(tag).is_ok()
        }
        let ok = match &self.prepared {
            Prepared::S256(m) => run(m, input, tag),
            Prepared::S384(m) => run(m, input, tag),
            Prepared::S512(m) => run(m, input, tag),
        };
        if ok {
            Ok(())
        } else {
            Err(TokenError::BadSignature)
        }
    }

    /// The key as a JWK, secret included: for writing key files, never for logs.
    pub fn to_jwk(&self) -> Value {
        let mut jwk = json!({ "kty": "oct", "use": "sig", "alg": self.alg.name() });
        if let Some(kid) = &self.kid {
            jwk["kid"] = Value::String(kid.clone());
        }
        jwk["k"] = Value::String(b64::encode(&*self.secret));
        jwk
    }

    fn from_jwk(index: usize, value: &Value) -> Result<(Key, Option<bool>), KeyringError> {
        let jwk = value
            .as_object()
            .ok_or(KeyringError::KeyNotAnObject { index })?;
        let member = |member| KeyringError::Member { index, member };
        let string = |name: &'static str| -> Result<Option<&str>, KeyringError> {
            match jwk.get(name) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(member(name)),
            }
        };
        match string("kty")? {
            Some("oct") => {}
            Some(_) => return Err(KeyringError::UnsupportedKeyType { index }),
            None => return Err(member("kty")),
        }
        let alg = string("alg")?.ok_or(member("alg"))?;
        let alg = Alg::from_name(alg).ok_or(KeyringError::UnsupportedAlgorithm { index })?;
        let kid = string("kid")?.map(str::to_owned);
        // A kid the revocation list could not hold would make the key impossible to revoke.
        if kid
            .as_deref()
            .is_some_and(|k| crate::jwt::identifier::identifier_problem(k).is_some())
        {
            return Err(member("kid"));
        }
        if let Some(u) = string("use")? {
            if u != "sig" {
                return Err(KeyringError::NotASigningKey { index });
            }
        }
        let signs = match jwk.get("key_ops") {
            None => None,
            Some(Value::Array(ops)) => {
                let mut ops_str = Vec::with_capacity(ops.len());
                for op in ops {
                    ops_str.push(op.as_str().ok_or(member("key_ops"))?);
                }
                if !ops_str.contains(&"verify") {
                    return Err(KeyringError::NotAVerificationKey { index });
                }
                Some(ops_str.contains(&"sign"))
            }
            Some(_) => return Err(member("key_ops")),
        };
        let k = string("k")?.ok_or(member("k"))?;
        let secret = Zeroizing::new(
            b64::decode(k).map_err(|problem| KeyringError::KeyEncoding { index, problem })?,
        );
        let key = Key::new(kid, alg, &secret).map_err(|e| match e {
            KeyringError::WeakKey { kid, alg, len, .. } => KeyringError::WeakKey {
                index,
                kid,
                alg,
                len,
            },
            other => other,
        })?;
        Ok((key, signs))
    }
}

#[expect(
    clippy::expect_used,
    reason = "HMAC takes a key of any length (RFC 2104); new_from_slice cannot fail for it"
)]
fn new_mac<M: KeyInit>(secret: &[u8]) -> M {
    // HMAC accepts keys of any length; the length policy is enforced by the caller.
    M::new_from_slice(secret).expect("HMAC takes keys of any length")
}

/// The keys a verifier trusts, selected by `kid`.
#[derive(Clone, Debug)]
pub struct Keyring {
    keys: Vec<Key>,
}

impl Keyring {
    /// Loads a JWK Set (`{"keys": [...]}`), refusing anything ambiguous or weak.
    pub fn from_jwks(text: &str) -> Result<Keyring, KeyringError> {
        let doc = json::parse_object(text.as_bytes()).map_err(KeyringError::Json)?;
        Self::from_jwks_value(&doc)
    }

    /// Loads a parsed JWK Set.
    pub fn from_jwks_value(doc: &Map<String, Value>) -> Result<Keyring, KeyringError> {
        let entries = match doc.get("keys") {
            Some(Value::Array(keys)) => keys,
            _ => return Err(KeyringError::NotAKeySet),
        };
        if entries.is_empty() {
            return Err(KeyringError::Empty);
        }
        let mut keys: Vec<Key> = Vec::with_capacity(entries.len());
        let mut declared_signers = 0;
        let mut any_key_ops = false;
        for (index, entry) in entries.iter().enumerate() {
            let (mut key, signs) = Key::from_jwk(index, entry)?;
            if entries.len() > 1 && key.kid.is_none() {
                return Err(KeyringError::MissingKeyId { index });
            }
            if let Some(kid) = &key.kid {
                if keys.iter().any(|k| k.kid.as_deref() == Some(kid)) {
                    return Err(KeyringError::DuplicateKeyId(kid.clone()));
                }
            }
            any_key_ops |= signs.is_some();
            if signs == Some(true) {
                declared_signers += 1;
                key.signs = true;
            }
            keys.push(key);
        }
        if declared_signers > 1 {
            return Err(KeyringError::SeveralSigningKeys);
        }
        if keys.len() == 1 && !any_key_ops {
            keys[0].signs = true;
        }
        Ok(Keyring { keys })
    }

    /// Loads a single JWK (not a set) as a one-key ring.
    pub fn from_jwk(text: &str) -> Result<Keyring, KeyringError> {
        let doc = json::parse_value(text.as_bytes()).map_err(KeyringError::Json)?;
        let (mut key, _) = Key::from_jwk(0, &doc)?;
        key.signs = true;
        Ok(Keyring { keys: vec![key] })
    }

    /// Every key, in set order.
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// The key with this `kid`.
    pub fn get(&self, kid: &str) -> Option<&Key> {
        self.keys.iter().find(|k| k.kid.as_deref() == Some(kid))
    }

    /// The key a token selects: by its `kid`, or the only key when it names none.
    pub fn select(&self, kid: Option<&str>) -> Result<&Key, TokenError> {
        match kid {
            Some(kid) => self.get(kid).ok_or(TokenError::UnknownKeyId),
            None if self.keys.len() == 1 => Ok(&self.keys[0]),
            None => Err(TokenError::MissingKeyId),
        }
    }

    /// The header an encoded header segment reads as, if a key of this ring has verified a
    /// token with exactly that segment before (remembered once that token's tag checked).
    pub fn remembered_header(&self, encoded: &str) -> Option<&Header> {
        self.keys.iter().find_map(|k| {
            k.header
                .get()
                .filter(|(seen, _)| **seen == *encoded)
                .map(|(_, header)| header)
        })
    }

    /// Remembers, for `key`, the encoded header of a token it has just verified and what it
    /// read as; only the first is kept, so the memory per key is one header.
    pub(crate) fn remember_header(key: &Key, encoded: &str, header: &Header) {
        if encoded.len() <= MAX_REMEMBERED_HEADER {
            key.header.get_or_init(|| (encoded.into(), header.clone()));
        }
    }

    /// The key new tokens are signed with, if the ring designates one.
    pub fn signing_key(&self) -> Option<&Key> {
        self.keys.iter().find(|k| k.signs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwk(kid: &str, alg: &str, len: usize, extra: &str) -> String {
        let k = b64::encode(vec![7u8; len]);
        format!(r#"{{"kty":"oct","kid":"{kid}","alg":"{alg}","k":"{k}"{extra}}}"#)
    }

    /// The key ring of one key, `jwk(kid, alg, len, extra)`.
    fn ring_of(kid: &str, alg: &str, len: usize, extra: &str) -> Result<Keyring, KeyringError> {
        Keyring::from_jwks(&format!(r#"{{"keys":[{}]}}"#, jwk(kid, alg, len, extra)))
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let key = Key::new(Some("a".into()), Alg::HS256, &[0x41; 32]).unwrap();
        let shown = format!("{key:?}");
        assert!(shown.contains("[redacted]"));
        assert!(!shown.contains("65") && !shown.contains("QUFB") && !shown.contains("AAAA"));
    }

    #[test]
    fn refuses_keys_shorter_than_the_hash() {
        for (alg, len) in [("HS256", 31), ("HS384", 47), ("HS512", 63)] {
            assert!(
                matches!(ring_of("a", alg, len, ""), Err(KeyringError::WeakKey { len: l, .. }) if l == len)
            );
        }
        assert!(ring_of("a", "HS512", 64, "").is_ok());
    }

    #[test]
    fn single_key_without_key_ops_signs() {
        let ring = ring_of("a", "HS256", 32, "").unwrap();
        assert_eq!(ring.signing_key().and_then(Key::kid), Some("a"));
        assert_eq!(ring.select(None).unwrap().kid(), Some("a"));
    }

    #[test]
    fn several_keys_need_kids_and_an_explicit_signer() {
        let two = format!(
            r#"{{"keys":[{},{}]}}"#,
            jwk("old", "HS256", 32, r#","key_ops":["verify"]"#),
            jwk("new", "HS384", 48, r#","key_ops":["sign","verify"]"#)
        );
        let ring = Keyring::from_jwks(&two).unwrap();
        assert_eq!(ring.signing_key().and_then(Key::kid), Some("new"));
        assert_eq!(ring.select(None).unwrap_err(), TokenError::MissingKeyId);
        assert_eq!(
            ring.select(Some("nope")).unwrap_err(),
            TokenError::UnknownKeyId
        );
        assert_eq!(ring.select(Some("old")).unwrap().alg(), Alg::HS256);

        let no_signer = format!(
            r#"{{"keys":[{},{}]}}"#,
            jwk("a", "HS256", 32, ""),
            jwk("b", "HS256", 32, "")
        );
        assert!(Keyring::from_jwks(&no_signer)
            .unwrap()
            .signing_key()
            .is_none());
    }

    #[test]
    fn refuses_ambiguous_or_foreign_sets() {
        let dup = format!(
            r#"{{"keys":[{},{}]}}"#,
            jwk("a", "HS256", 32, ""),
            jwk("a", "HS256", 32, "")
        );
        assert_eq!(
            Keyring::from_jwks(&dup).unwrap_err(),
            KeyringError::DuplicateKeyId("a".into())
        );
        let two_signers = format!(
            r#"{{"keys":[{},{}]}}"#,
            jwk("a", "HS256", 32, r#","key_ops":["sign","verify"]"#),
            jwk("b", "HS256", 32, r#","key_ops":["sign","verify"]"#)
        );
        assert_eq!(
            Keyring::from_jwks(&two_signers).unwrap_err(),
            KeyringError::SeveralSigningKeys
        );
        let k = b64::encode([1u8; 32]);
        let no_kid = format!(
            r#"{{"keys":[{{"kty":"oct","alg":"HS256","k":"{k}"}},{}]}}"#,
            jwk("b", "HS256", 32, "")
        );
        assert_eq!(
            Keyring::from_jwks(&no_kid).unwrap_err(),
            KeyringError::MissingKeyId { index: 0 }
        );
        let rsa = r#"{"keys":[{"kty":"RSA","alg":"RS256","n":"AQAB","e":"AQAB"}]}"#;
        assert_eq!(
            Keyring::from_jwks(rsa).unwrap_err(),
            KeyringError::UnsupportedKeyType { index: 0 }
        );
        assert_eq!(
            ring_of("a", "hs256", 32, "").unwrap_err(),
            KeyringError::UnsupportedAlgorithm { index: 0 }
        );
        assert_eq!(
            Keyring::from_jwks(r#"{"keys":[]}"#).unwrap_err(),
            KeyringError::Empty
        );
        assert_eq!(
            Keyring::from_jwks(r#"{"kty":"oct"}"#).unwrap_err(),
            KeyringError::NotAKeySet
        );
        let enc = r#"{"keys":[{"kty":"oct","alg":"HS256","k":"AAAA+AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]}"#;
        assert!(matches!(
            Keyring::from_jwks(enc).unwrap_err(),
            KeyringError::KeyEncoding { .. }
        ));
        assert_eq!(
            ring_of("a", "HS256", 32, r#","use":"enc""#).unwrap_err(),
            KeyringError::NotASigningKey { index: 0 }
        );
        assert_eq!(
            ring_of(&"k".repeat(257), "HS256", 32, "").unwrap_err(),
            KeyringError::Member {
                index: 0,
                member: "kid"
            }
        );
        assert_eq!(
            ring_of("a\\u0007", "HS256", 32, "").unwrap_err(),
            KeyringError::Member {
                index: 0,
                member: "kid"
            }
        );
        assert_eq!(
            ring_of("a", "HS256", 32, r#","key_ops":["sign"]"#).unwrap_err(),
            KeyringError::NotAVerificationKey { index: 0 }
        );
    }

    #[test]
    fn errors_never_carry_key_material() {
        let k = b64::encode([0x5au8; 16]);
        let weak = format!(r#"{{"keys":[{{"kty":"oct","kid":"w","alg":"HS256","k":"{k}"}}]}}"#);
        let err = Keyring::from_jwks(&weak).unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(!text.contains(&k), "{text}");
    }

    #[test]
    fn jwk_round_trips_through_the_loader() {
        let key = Key::generate(Some("g".into()), Alg::HS384).unwrap();
        let set = json!({ "keys": [key.to_jwk()] }).to_string();
        let ring = Keyring::from_jwks(&set).unwrap();
        let mut a = [0u8; MAX_TAG_LEN];
        let mut b = [0u8; MAX_TAG_LEN];
        assert_eq!(ring.keys()[0].tag(b"x", &mut a), key.tag(b"x", &mut b));
        assert_eq!(a, b);
    }
}
