//! Canonical unpadded base64url (RFC 7515 section 2), strictly.
//!
//! A token has exactly one spelling: no padding, no standard alphabet, no whitespace and no
//! stray bits after the last byte. Each deviation has its own [`EncodingProblem`], so a
//! rejection says precisely what was wrong.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::error::EncodingProblem;

/// Encodes bytes as unpadded base64url.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Appends the unpadded base64url form of `bytes` to `out`.
pub fn encode_into(bytes: impl AsRef<[u8]>, out: &mut String) {
    URL_SAFE_NO_PAD.encode_string(bytes, out)
}

/// Decodes canonical unpadded base64url, or says why the input is not that.
pub fn decode(text: &str) -> Result<Vec<u8>, EncodingProblem> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4 + 1);
    decode_into(text, &mut out)?;
    Ok(out)
}

/// Decodes canonical unpadded base64url into `out` (cleared first).
pub fn decode_into(text: &str, out: &mut Vec<u8>) -> Result<(), EncodingProblem> {
    if let Some(problem) = text.bytes().find_map(classify_byte) {
        return Err(problem);
    }
    if text.len() % 4 == 1 {
        return Err(EncodingProblem::InvalidLength);
    }
    out.clear();
    // The alphabet and length are already checked, so the engine (which rejects non-zero
    // trailing bits by default) can only object to the last symbol.
    URL_SAFE_NO_PAD
        .decode_vec(text, out)
        .map_err(|_| EncodingProblem::NonCanonical)
}

fn classify_byte(b: u8) -> Option<EncodingProblem> {
    match b {
        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => None,
        b'=' => Some(EncodingProblem::Padding),
        b'+' | b'/' => Some(EncodingProblem::StandardAlphabet),
        b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c => Some(EncodingProblem::Whitespace),
        _ => Some(EncodingProblem::InvalidCharacter),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_length() {
        for n in 0..40u8 {
            let bytes: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(decode(&encode(&bytes)).unwrap(), bytes);
        }
    }

    #[test]
    fn each_deviation_has_its_own_problem() {
        assert_eq!(decode("YQ=="), Err(EncodingProblem::Padding));
        assert_eq!(decode("a+b/"), Err(EncodingProblem::StandardAlphabet));
        assert_eq!(decode("YW Jj"), Err(EncodingProblem::Whitespace));
        assert_eq!(decode("YWJj\n"), Err(EncodingProblem::Whitespace));
        assert_eq!(decode("YW?j"), Err(EncodingProblem::InvalidCharacter));
        assert_eq!(decode("YWJjZ"), Err(EncodingProblem::InvalidLength));
        // "YR" decodes to the same byte as "YQ" but leaves a non-zero trailing bit.
        assert_eq!(decode("YQ").unwrap(), b"a");
        assert_eq!(decode("YR"), Err(EncodingProblem::NonCanonical));
    }
}
