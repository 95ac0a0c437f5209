//! The native signature check for DPoP proofs, over the RustCrypto `p256` and
//! `ed25519-dalek` crates: for the CLI, tests and benches. The Worker uses WebCrypto instead,
//! so none of this ships in the wasm.

use p256::ecdsa::signature::Verifier as _;

use crate::codec::b64;

use super::{ProofAlg, ProofKey, SignatureVerifier};

/// Verifies ES256 and EdDSA proof signatures natively.
#[derive(Debug, Clone, Copy, Default)]
pub struct NativeVerifier;

fn bytes32(text: &str) -> Option<[u8; 32]> {
    b64::decode(text).ok()?.try_into().ok()
}

impl SignatureVerifier for NativeVerifier {
    fn verify(&self, alg: ProofAlg, key: &ProofKey, message: &[u8], signature: &[u8]) -> bool {
        match (alg, key) {
            (ProofAlg::Es256, ProofKey::P256 { x, y }) => {
                let (Some(x), Some(y)) = (bytes32(x), bytes32(y)) else {
                    return false;
                };
                let point =
                    p256::EncodedPoint::from_affine_coordinates(&x.into(), &y.into(), false);
                let Ok(key) = p256::ecdsa::VerifyingKey::from_encoded_point(&point) else {
                    return false;
                };
                let Ok(sig) = p256::ecdsa::Signature::from_slice(signature) else {
                    return false;
                };
                key.verify(message, &sig).is_ok()
            }
            (ProofAlg::EdDsa, ProofKey::Ed25519 { x }) => {
                let Some(x) = bytes32(x) else { return false };
                let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&x) else {
                    return false;
                };
                let Ok(sig) = ed25519_dalek::Signature::from_slice(signature) else {
                    return false;
                };
                key.verify_strict(message, &sig).is_ok()
            }
            _ => false,
        }
    }
}
