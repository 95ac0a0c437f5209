//! Canonical unpadded base64url (RFC 7515 section 2), strictly.
//!
//! A token has exactly one spelling: no padding, no standard alphabet, no whitespace and no
//! stray bits after the last byte. Each deviation has its own [`EncodingProblem`], so a
//! rejection says precisely what was wrong.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::jwt::error::EncodingProblem;

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
    let mut out = Vec::new();
    decode_into(text, &mut out)?;
    Ok(out)
}

/// Decodes canonical unpadded base64url into `out` (cleared first).
pub fn decode_into(text: &str, out: &mut Vec<u8>) -> Result<(), EncodingProblem> {
    out.clear();
    out.resize(decoded_len(text.len()), 0);
    let n = decode_to_slice(text, out)?;
    out.truncate(n);
    Ok(())
}

/// How many bytes `len` symbols of unpadded base64 decode to (at most; exact when `len` is
/// a possible length, i.e. not 4n + 1).
pub fn decoded_len(len: usize) -> usize {
    len / 4 * 3 + [0, 0, 1, 2][len % 4]
}

/// Decodes canonical unpadded base64url into the front of `out`, which must hold at least
/// [`decoded_len`]`(text.len())` bytes, and returns how many bytes were written.
///
/// One pass, but the same verdict as checking in this order: the first byte outside the
/// alphabet (by its kind), then the length, then stray bits after the last byte.
pub fn decode_to_slice(text: &str, out: &mut [u8]) -> Result<usize, EncodingProblem> {
    let text = text.as_bytes();
    assert!(
        out.len() >= decoded_len(text.len()),
        "b64 output buffer too small"
    );
    let mut chunks = text.chunks_exact(4);
    let mut n = 0;
    for chunk in &mut chunks {
        let (a, b, c, d) = (
            SYMBOL[chunk[0] as usize],
            SYMBOL[chunk[1] as usize],
            SYMBOL[chunk[2] as usize],
            SYMBOL[chunk[3] as usize],
        );
        if (a | b | c | d) & NOT_A_SYMBOL != 0 {
            return Err(first_problem(chunk));
        }
        let word = (u32::from(a) << 18) | (u32::from(b) << 12) | (u32::from(c) << 6) | u32::from(d);
        out[n..n + 3].copy_from_slice(&word.to_be_bytes()[1..]);
        n += 3;
    }
    let rest = chunks.remainder();
    let mut word = 0u32;
    for &byte in rest {
        let v = SYMBOL[byte as usize];
        if v & NOT_A_SYMBOL != 0 {
            return Err(first_problem(rest));
        }
        word = (word << 6) | u32::from(v);
    }
    match rest.len() {
        0 => {}
        1 => return Err(EncodingProblem::InvalidLength),
        2 => {
            if word & 0x0f != 0 {
                return Err(EncodingProblem::NonCanonical);
            }
            out[n] = (word >> 4) as u8;
            n += 1;
        }
        _ => {
            if word & 0x03 != 0 {
                return Err(EncodingProblem::NonCanonical);
            }
            out[n..n + 2].copy_from_slice(&((word >> 2) as u16).to_be_bytes());
            n += 2;
        }
    }
    Ok(n)
}

/// Set in a [`SYMBOL`] entry for a byte outside the alphabet.
const NOT_A_SYMBOL: u8 = 0x80;

/// Each byte's 6-bit value, or [`NOT_A_SYMBOL`].
static SYMBOL: [u8; 256] = {
    let mut table = [NOT_A_SYMBOL; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut i = 0;
    while i < 64 {
        table[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Why the first non-symbol byte of `bytes` (which holds one) is not one.
fn first_problem(bytes: &[u8]) -> EncodingProblem {
    bytes
        .iter()
        .find_map(|&b| classify_byte(b))
        .unwrap_or(EncodingProblem::InvalidCharacter)
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
    fn agrees_with_the_base64_crate_on_every_short_input() {
        // Every string of up to 3 symbols over a small alphabet that covers each class, and
        // longer ones built from them: same bytes, or an error exactly when the crate errs.
        let alphabet = ["A", "Q", "R", "w", "/", "=", " ", "?", "_", "-", "9"];
        let mut inputs = vec![String::new()];
        for _ in 0..3 {
            let prev = inputs.clone();
            for p in &prev {
                for a in alphabet {
                    inputs.push(format!("{p}{a}"));
                }
            }
        }
        for tail in inputs {
            for head in ["", "YWJj", "YWJjZGVm"] {
                let text = format!("{head}{tail}");
                let ours = decode(&text);
                let theirs = URL_SAFE_NO_PAD.decode(&text);
                match (&ours, &theirs) {
                    (Ok(a), Ok(b)) => assert_eq!(a, b, "{text:?}"),
                    (Err(_), Err(_)) => {}
                    _ => panic!("{text:?}: ours {ours:?}, base64 {theirs:?}"),
                }
            }
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
