//! The proof's algorithm and public key: the allowlist, the JWK as RFC 7518 writes it (public
//! members only), and its RFC 7638 thumbprint.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::codec::b64;
use crate::sender::BindingError;

/// An algorithm a DPoP proof may use: asymmetric only (RFC 9449 4.2: never `none`, never MAC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofAlg {
    /// ECDSA on P-256 with SHA-256; the JWS signature is `r || s`, 64 bytes.
    Es256,
    /// Ed25519 (RFC 8037); 64-byte signature.
    EdDsa,
}

impl ProofAlg {
    /// Every algorithm this gate can verify.
    pub const ALL: [ProofAlg; 2] = [ProofAlg::Es256, ProofAlg::EdDsa];

    /// The JWS `alg` name.
    pub fn name(self) -> &'static str {
        match self {
            ProofAlg::Es256 => "ES256",
            ProofAlg::EdDsa => "EdDSA",
        }
    }

    /// The algorithm a JWS `alg` names, if this gate supports it.
    pub fn from_name(name: &str) -> Option<ProofAlg> {
        ProofAlg::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// A proof's public key, decoded and checked for its shape (the curve check itself is the
/// signature verifier's: WebCrypto's import and the native crates both refuse a point off
/// the curve).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofKey {
    /// `{"kty":"EC","crv":"P-256","x","y"}`.
    P256 {
        /// `x`, base64url as received (canonical, 32 bytes).
        x: String,
        /// `y`, base64url as received (canonical, 32 bytes).
        y: String,
    },
    /// `{"kty":"OKP","crv":"Ed25519","x"}`.
    Ed25519 {
        /// `x`, base64url as received (canonical, 32 bytes).
        x: String,
    },
}

/// JWK members that hold private key material (RFC 7518 6.2.2, 6.3.2, 6.4.1; RFC 8037).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

impl ProofKey {
    /// Reads the header `jwk` for `alg`. Private members are refused by name before anything
    /// else: a client that leaks its private key must learn so.
    pub fn from_jwk(jwk: &Map<String, Value>, alg: ProofAlg) -> Result<ProofKey, BindingError> {
        if PRIVATE_MEMBERS.iter().any(|m| jwk.contains_key(*m)) {
            return Err(BindingError::ProofPrivateKey);
        }
        let text = |name: &str| match jwk.get(name) {
            Some(Value::String(s)) => Some(s.as_str()),
            _ => None,
        };
        let coordinate = |name: &str| {
            text(name)
                .filter(|v| b64::decode(v).is_ok_and(|b| b.len() == 32))
                .map(str::to_owned)
                .ok_or(BindingError::ProofKeyInvalid)
        };
        match (alg, text("kty"), text("crv")) {
            (ProofAlg::Es256, Some("EC"), Some("P-256")) => Ok(ProofKey::P256 {
                x: coordinate("x")?,
                y: coordinate("y")?,
            }),
            (ProofAlg::EdDsa, Some("OKP"), Some("Ed25519")) => Ok(ProofKey::Ed25519 {
                x: coordinate("x")?,
            }),
            _ => Err(BindingError::ProofKeyInvalid),
        }
    }

    /// The key as a public JWK, members in RFC 7638's order: the thumbprint's input, and what
    /// WebCrypto's `importKey("jwk", …)` takes.
    pub fn canonical_jwk(&self) -> String {
        // Coordinates are checked base64url, so nothing in them needs escaping.
        match self {
            ProofKey::P256 { x, y } => {
                format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#)
            }
            ProofKey::Ed25519 { x } => format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#),
        }
    }

    /// The RFC 7638 JWK SHA-256 thumbprint, base64url: what `cnf.jkt` holds.
    pub fn thumbprint(&self) -> String {
        b64::encode(Sha256::digest(self.canonical_jwk().as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn jwk(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn thumbprint_matches_rfc_7638_section_3_1_construction() {
        // RFC 8037 appendix A.3: the Ed25519 key's thumbprint.
        let key = ProofKey::from_jwk(
            &jwk(json!({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})),
            ProofAlg::EdDsa,
        )
        .unwrap();
        assert_eq!(
            key.thumbprint(),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }

    #[test]
    fn private_members_and_wrong_key_types_are_refused() {
        let x = b64::encode([7u8; 32]);
        let ok = json!({"kty":"EC","crv":"P-256","x": x, "y": x});
        assert!(ProofKey::from_jwk(&jwk(ok.clone()), ProofAlg::Es256).is_ok());
        for member in PRIVATE_MEMBERS {
            let mut with = jwk(ok.clone());
            with.insert(member.into(), json!(x));
            assert_eq!(
                ProofKey::from_jwk(&with, ProofAlg::Es256),
                Err(BindingError::ProofPrivateKey),
                "{member}"
            );
        }
        for bad in [
            json!({"kty":"EC","crv":"P-384","x": x, "y": x}),
            json!({"kty":"EC","crv":"P-256","x": x}),
            json!({"kty":"EC","crv":"P-256","x": x, "y": "short"}),
            json!({"kty":"oct","k": x}),
        ] {
            assert!(
                ProofKey::from_jwk(&jwk(bad.clone()), ProofAlg::Es256).is_err(),
                "{bad}"
            );
        }
        // An EC key cannot sign EdDSA.
        assert_eq!(
            ProofKey::from_jwk(&jwk(ok), ProofAlg::EdDsa),
            Err(BindingError::ProofKeyInvalid)
        );
    }
}
