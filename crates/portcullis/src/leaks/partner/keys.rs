//! The reporter's public keys, configured in the shape GitHub publishes them
//! (`GET https://api.github.com/meta/public_keys/secret_scanning`):
//! `{"public_keys": [{"key_identifier": "…", "key": "-----BEGIN PUBLIC KEY-----…", "is_current": true}]}`.
//! Only P-256 keys are accepted; each is kept as its raw uncompressed point, the form
//! WebCrypto's `importKey("raw", …)` takes.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::Value;

/// DER `SubjectPublicKeyInfo` up to the point, for `id-ecPublicKey` on `prime256v1` with an
/// uncompressed point: every P-256 public key in PEM starts with exactly these bytes.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// Most keys accepted in the setting (GitHub publishes a handful, old and current).
const MAX_KEYS: usize = 32;

/// One reporter key.
#[derive(Clone, PartialEq, Eq)]
pub struct ReporterKey {
    /// `key_identifier`, matched against `Github-Public-Key-Identifier`.
    pub id: String,
    /// The uncompressed SEC1 point, `04 || x || y`.
    pub point: [u8; 65],
    /// `is_current`: informative; a listed key that is not current still verifies, so a
    /// report signed just before a rotation is not lost. Remove a key to stop trusting it.
    pub is_current: bool,
}

impl fmt::Debug for ReporterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReporterKey")
            .field("id", &self.id)
            .field("is_current", &self.is_current)
            .finish_non_exhaustive()
    }
}

/// The configured reporter keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReporterKeys {
    keys: Vec<ReporterKey>,
}

/// Why the reporter key setting cannot be used. Public keys are not secret, but the text is
/// still not echoed: a mistaken paste may be.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReporterKeysError {
    /// Not JSON.
    InvalidJson,
    /// Not `{"public_keys": [ … ]}`.
    Shape,
    /// `public_keys` is empty or longer than the limit.
    Count {
        /// Keys given.
        count: usize,
    },
    /// Key `index` lacks `key_identifier` or `key` as a non-empty string, or its
    /// `is_current` is not a boolean.
    Field {
        /// The key's index.
        index: usize,
        /// The field.
        field: &'static str,
    },
    /// Key `index` is not a PEM `PUBLIC KEY`.
    Pem {
        /// The key's index.
        index: usize,
    },
    /// Key `index` is not an uncompressed P-256 key.
    NotP256 {
        /// The key's index.
        index: usize,
    },
    /// Two keys share an identifier.
    DuplicateId {
        /// The second one's index.
        index: usize,
    },
}

impl fmt::Display for ReporterKeysError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReporterKeysError::InvalidJson => f.write_str("not valid JSON"),
            ReporterKeysError::Shape => {
                f.write_str("must be {\"public_keys\": [{key_identifier, key, is_current}]}")
            }
            ReporterKeysError::Count { count } => {
                write!(f, "public_keys must list 1 to {MAX_KEYS} keys, not {count}")
            }
            ReporterKeysError::Field { index, field } => {
                write!(
                    f,
                    "public_keys[{index}].{field} is missing or of the wrong type"
                )
            }
            ReporterKeysError::Pem { index } => {
                write!(f, "public_keys[{index}].key is not a PEM public key")
            }
            ReporterKeysError::NotP256 { index } => {
                write!(
                    f,
                    "public_keys[{index}].key is not an ECDSA P-256 public key"
                )
            }
            ReporterKeysError::DuplicateId { index } => {
                write!(
                    f,
                    "public_keys[{index}].key_identifier repeats an earlier one"
                )
            }
        }
    }
}

impl std::error::Error for ReporterKeysError {}

impl ReporterKeys {
    /// Parses the setting from JSON text.
    ///
    /// # Errors
    /// [`ReporterKeysError`] naming the first problem.
    pub fn from_json(text: &str) -> Result<ReporterKeys, ReporterKeysError> {
        let value: Value =
            serde_json::from_str(text).map_err(|_| ReporterKeysError::InvalidJson)?;
        ReporterKeys::from_value(&value)
    }

    /// Parses the setting from a JSON value (a structured wrangler var).
    ///
    /// # Errors
    /// [`ReporterKeysError`] naming the first problem.
    pub fn from_value(value: &Value) -> Result<ReporterKeys, ReporterKeysError> {
        let list = value
            .get("public_keys")
            .and_then(Value::as_array)
            .ok_or(ReporterKeysError::Shape)?;
        if list.is_empty() || list.len() > MAX_KEYS {
            return Err(ReporterKeysError::Count { count: list.len() });
        }
        let mut keys: Vec<ReporterKey> = Vec::with_capacity(list.len());
        for (index, item) in list.iter().enumerate() {
            let field = |field: &'static str| ReporterKeysError::Field { index, field };
            let text = |name: &'static str| {
                item.get(name)
                    .and_then(Value::as_str)
                    .filter(|s| !s.trim().is_empty())
                    .ok_or(field(name))
            };
            let id = text("key_identifier")?.trim().to_owned();
            let point = point_from_pem(text("key")?, index)?;
            let is_current = match item.get("is_current") {
                None => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err(field("is_current")),
            };
            if keys.iter().any(|k| k.id == id) {
                return Err(ReporterKeysError::DuplicateId { index });
            }
            keys.push(ReporterKey {
                id,
                point,
                is_current,
            });
        }
        Ok(ReporterKeys { keys })
    }

    /// The key with this identifier.
    pub fn get(&self, id: &str) -> Option<&ReporterKey> {
        self.keys.iter().find(|k| k.id == id)
    }

    /// Every key, in the configured order.
    pub fn keys(&self) -> &[ReporterKey] {
        &self.keys
    }
}

/// The raw point of a PEM `PUBLIC KEY` holding a P-256 key.
fn point_from_pem(pem: &str, index: usize) -> Result<[u8; 65], ReporterKeysError> {
    let pem_error = ReporterKeysError::Pem { index };
    let body = pem
        .trim()
        .strip_prefix("-----BEGIN PUBLIC KEY-----")
        .and_then(|rest| rest.trim_end().strip_suffix("-----END PUBLIC KEY-----"))
        .ok_or(pem_error.clone())?;
    let b64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let der = STANDARD.decode(b64).map_err(|_| pem_error)?;
    match der.strip_prefix(&P256_SPKI_PREFIX[..]) {
        Some(point) if point.len() == 65 && point[0] == 0x04 => {
            let mut out = [0u8; 65];
            out.copy_from_slice(point);
            Ok(out)
        }
        _ => Err(ReporterKeysError::NotP256 { index }),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A P-256 public key (the NIST P-256 generator point, a valid point) in PEM.
    pub(crate) fn pem() -> String {
        let mut der = P256_SPKI_PREFIX.to_vec();
        der.extend_from_slice(&generator());
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            STANDARD.encode(der)
        )
    }

    pub(crate) fn generator() -> [u8; 65] {
        let hex = "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5";
        let mut out = [0u8; 65];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    #[test]
    fn parses_githubs_published_shape() {
        let json = serde_json::json!({"public_keys": [
            {"key_identifier": "old", "key": pem(), "is_current": false},
            {"key_identifier": "new", "key": pem(), "is_current": true},
        ]});
        let keys = ReporterKeys::from_json(&json.to_string()).unwrap();
        assert_eq!(keys.keys().len(), 2);
        assert_eq!(keys.get("new").unwrap().point, generator());
        assert!(keys.get("new").unwrap().is_current);
        assert!(!keys.get("old").unwrap().is_current);
        assert!(keys.get("other").is_none());
    }

    #[test]
    fn refuses_what_is_not_p256_keys_in_that_shape() {
        let with = |key: serde_json::Value| {
            ReporterKeys::from_json(&serde_json::json!({ "public_keys": [key] }).to_string())
        };
        assert_eq!(
            ReporterKeys::from_json("{"),
            Err(ReporterKeysError::InvalidJson)
        );
        assert_eq!(ReporterKeys::from_json("[]"), Err(ReporterKeysError::Shape));
        assert_eq!(
            ReporterKeys::from_json(r#"{"public_keys":[]}"#),
            Err(ReporterKeysError::Count { count: 0 })
        );
        assert_eq!(
            with(serde_json::json!({"key": pem()})),
            Err(ReporterKeysError::Field {
                index: 0,
                field: "key_identifier"
            })
        );
        assert_eq!(
            with(serde_json::json!({"key_identifier": "a", "key": "nope"})),
            Err(ReporterKeysError::Pem { index: 0 })
        );
        let rsa_like = "-----BEGIN PUBLIC KEY-----\nMAwwCgYIKoZIzj0DAQc=\n-----END PUBLIC KEY-----";
        assert_eq!(
            with(serde_json::json!({"key_identifier": "a", "key": rsa_like})),
            Err(ReporterKeysError::NotP256 { index: 0 })
        );
        assert_eq!(
            with(serde_json::json!({"key_identifier": "a", "key": pem(), "is_current": "yes"})),
            Err(ReporterKeysError::Field {
                index: 0,
                field: "is_current"
            })
        );
        let twice = serde_json::json!({"public_keys": [
            {"key_identifier": "a", "key": pem()}, {"key_identifier": "a", "key": pem()}]});
        assert_eq!(
            ReporterKeys::from_json(&twice.to_string()),
            Err(ReporterKeysError::DuplicateId { index: 1 })
        );
    }
}
