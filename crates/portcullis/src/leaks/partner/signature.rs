//! Which key must verify a report, and its signature in the form WebCrypto verifies: GitHub
//! sends ASN.1 DER (`SEQUENCE { INTEGER r, INTEGER s }`), WebCrypto's ECDSA takes IEEE P1363
//! (`r || s`, 32 bytes each for P-256).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::error::LeakReportError;
use super::keys::{ReporterKey, ReporterKeys};

/// Longest signature header accepted: a P-256 DER signature is at most 72 bytes.
const MAX_SIGNATURE_B64_LEN: usize = 128;

/// A report's signature, ready to verify: the key and the raw `r || s`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedReport<'k> {
    /// The key the identifier names.
    pub key: &'k ReporterKey,
    /// The signature, IEEE P1363.
    pub signature: [u8; 64],
}

/// Selects the key `key_id` names and converts the base64 DER `signature`.
///
/// # Errors
/// [`LeakReportError::NotConfigured`] without keys; a missing or unknown identifier, a
/// missing, non-base64 or non-DER signature each have their own variant.
pub fn signed_by<'k>(
    keys: Option<&'k ReporterKeys>,
    key_id: Option<&str>,
    signature: Option<&str>,
) -> Result<SignedReport<'k>, LeakReportError> {
    let keys = keys.ok_or(LeakReportError::NotConfigured)?;
    let key_id = key_id
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or(LeakReportError::MissingKeyId)?;
    let key = keys.get(key_id).ok_or(LeakReportError::UnknownKeyId)?;
    let signature = signature
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(LeakReportError::MissingSignature)?;
    if signature.len() > MAX_SIGNATURE_B64_LEN {
        return Err(LeakReportError::SignatureNotDer);
    }
    let der = STANDARD
        .decode(signature)
        .map_err(|_| LeakReportError::SignatureNotBase64)?;
    let signature = der_to_raw(&der).ok_or(LeakReportError::SignatureNotDer)?;
    Ok(SignedReport { key, signature })
}

/// Converts a DER ECDSA P-256 signature to `r || s`. Strict DER: definite short lengths,
/// minimal positive integers, nothing trailing. `None` for anything else.
pub fn der_to_raw(der: &[u8]) -> Option<[u8; 64]> {
    let (&tag, rest) = der.split_first()?;
    let (&len, body) = rest.split_first()?;
    if tag != 0x30 || len >= 0x80 || usize::from(len) != body.len() {
        return None;
    }
    let (r, body) = integer(body)?;
    let (s, body) = integer(body)?;
    if !body.is_empty() {
        return None;
    }
    let mut out = [0u8; 64];
    out[32 - r.len()..32].copy_from_slice(r);
    out[64 - s.len()..].copy_from_slice(s);
    Some(out)
}

/// One DER INTEGER, positive and minimally encoded, at most 32 bytes of value; answers the
/// value without its sign byte, and what follows.
fn integer(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&len, rest) = rest.split_first()?;
    let len = usize::from(len);
    if tag != 0x02 || len == 0 || len > 33 || rest.len() < len {
        return None;
    }
    let (value, rest) = rest.split_at(len);
    let value = match value {
        // Negative numbers are not signatures.
        [first, ..] if first & 0x80 != 0 => return None,
        // A leading zero only to clear the sign bit of the next byte.
        [0, next, ..] if next & 0x80 == 0 => return None,
        [0, tail @ ..] if !tail.is_empty() => tail,
        v => v,
    };
    if value.len() > 32 || value.iter().all(|&b| b == 0) {
        return None;
    }
    Some((value, rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leaks::partner::keys::tests::pem;

    fn der(r: &[u8], s: &[u8]) -> Vec<u8> {
        let mut body = vec![0x02, r.len() as u8];
        body.extend_from_slice(r);
        body.extend_from_slice(&[0x02, s.len() as u8]);
        body.extend_from_slice(s);
        let mut out = vec![0x30, body.len() as u8];
        out.extend(body);
        out
    }

    #[test]
    fn der_integers_are_left_padded_and_sign_bytes_dropped() {
        let mut r = vec![0x00, 0x80];
        r.extend([1u8; 31]);
        let raw = der_to_raw(&der(&r, &[0x05])).unwrap();
        assert_eq!(raw[0], 0x80);
        assert_eq!(&raw[1..32], &[1u8; 31]);
        assert_eq!(&raw[32..63], &[0u8; 31]);
        assert_eq!(raw[63], 5);
    }

    #[test]
    fn non_strict_der_is_refused() {
        let ok = [7u8; 32];
        assert!(der_to_raw(&der(&ok, &ok)).is_some());
        let cases: Vec<Vec<u8>> = vec![
            vec![],
            der(&[0x80], &ok),                 // negative
            der(&[0x00, 0x01], &ok),           // non-minimal
            der(&[0u8; 1], &ok),               // zero
            der(&[1u8; 33], &ok),              // too long for P-256
            der(&ok, &ok)[..10].to_vec(),      // truncated
            [der(&ok, &ok), vec![0]].concat(), // trailing
            {
                let mut d = der(&ok, &ok);
                d[0] = 0x31;
                d
            },
        ];
        for case in cases {
            assert_eq!(der_to_raw(&case), None, "{case:02x?}");
        }
    }

    #[test]
    fn the_key_is_chosen_by_identifier_and_each_missing_piece_is_named() {
        let keys = ReporterKeys::from_json(
            &serde_json::json!({"public_keys": [{"key_identifier": "k1", "key": pem()}]})
                .to_string(),
        )
        .unwrap();
        let sig = STANDARD.encode(der(&[7u8; 32], &[9u8; 32]));
        let ok = signed_by(Some(&keys), Some("k1"), Some(&sig)).unwrap();
        assert_eq!(ok.key.id, "k1");
        assert_eq!(&ok.signature[..32], &[7u8; 32]);
        let err = |keys, id, sig| signed_by(keys, id, sig).unwrap_err();
        assert_eq!(
            err(None, Some("k1"), Some(&sig)),
            LeakReportError::NotConfigured
        );
        assert_eq!(
            err(Some(&keys), None, Some(&sig)),
            LeakReportError::MissingKeyId
        );
        assert_eq!(
            err(Some(&keys), Some("k2"), Some(&sig)),
            LeakReportError::UnknownKeyId
        );
        assert_eq!(
            err(Some(&keys), Some("k1"), None),
            LeakReportError::MissingSignature
        );
        assert_eq!(
            err(Some(&keys), Some("k1"), Some("%%")),
            LeakReportError::SignatureNotBase64
        );
        assert_eq!(
            err(Some(&keys), Some("k1"), Some("AAAA")),
            LeakReportError::SignatureNotDer
        );
    }
}
