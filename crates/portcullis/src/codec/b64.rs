//! Canonical unpadded base64url (RFC 7515 section 2), strictly.
//!
//! A token has exactly one spelling: no padding, no standard alphabet, no whitespace and no
//! stray bits after the last byte. Each deviation has its own [`EncodingProblem`], so a
//! rejection says precisely what was wrong.
//!
//! The `base64` crate does the work, configured to that profile; this module only names the
//! problem once the crate has refused a text, and keeps the hot path allocation-free
//! ([`decode_to_slice`] writes into the caller's buffer).

use core::fmt;

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;

/// Why a text is not canonical unpadded base64url (RFC 7515 section 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodingProblem {
    /// `=` padding, which JWS forbids.
    Padding,
    /// `+` or `/`: the standard alphabet, not base64url.
    StandardAlphabet,
    /// Spaces, tabs or line breaks inside a segment.
    Whitespace,
    /// Any other byte outside the base64url alphabet.
    InvalidCharacter,
    /// A length no unpadded base64 string can have (4n + 1).
    InvalidLength,
    /// Non-zero bits after the last whole byte: a second spelling of the same bytes.
    NonCanonical,
}

impl EncodingProblem {
    /// The problem as a predicate, so that a caller can name what was refused:
    /// "header segment" + " has '=' padding".
    pub(crate) fn predicate(self) -> &'static str {
        match self {
            EncodingProblem::Padding => "has '=' padding",
            EncodingProblem::StandardAlphabet => "uses '+' or '/' (standard base64, not base64url)",
            EncodingProblem::Whitespace => "contains whitespace",
            EncodingProblem::InvalidCharacter => "contains a character outside base64url",
            EncodingProblem::InvalidLength => "has an impossible base64 length",
            EncodingProblem::NonCanonical => "has non-zero trailing bits (non-canonical base64url)",
        }
    }
}

impl fmt::Display for EncodingProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "base64url text {}", self.predicate())
    }
}

impl std::error::Error for EncodingProblem {}

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
/// The `base64` crate decides (one pass, no allocation); only when it refuses is the text
/// looked at again, to name the problem: the first byte outside the alphabet (by its kind),
/// then the length, then stray bits after the last byte.
pub fn decode_to_slice(text: &str, out: &mut [u8]) -> Result<usize, EncodingProblem> {
    assert!(
        out.len() >= decoded_len(text.len()),
        "b64 output buffer too small"
    );
    // With `out` at least `decoded_len` long the crate cannot run out of room, so every
    // error it returns is about the text.
    STRICT
        .decode_slice(text, out)
        .map_err(|_| classify(text.as_bytes()))
}

/// Unpadded base64url that refuses padding and non-zero trailing bits: together with the
/// URL-safe alphabet (no `+`, `/` or whitespace), exactly one spelling per byte string.
const STRICT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(false),
);

/// Why `text`, which [`STRICT`] refused, is not canonical unpadded base64url.
fn classify(text: &[u8]) -> EncodingProblem {
    if let Some(problem) = text.iter().find_map(|&b| classify_byte(b)) {
        return problem;
    }
    // Every byte is in the alphabet: the length or the trailing bits are wrong.
    if text.len() % 4 == 1 {
        EncodingProblem::InvalidLength
    } else {
        EncodingProblem::NonCanonical
    }
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

    /// Every string of up to `max` symbols drawn from `symbols` (with repeats).
    pub(super) fn strings_over(symbols: &[&str], max: usize) -> Vec<String> {
        let mut all = vec![String::new()];
        let mut last = all.clone();
        for _ in 0..max {
            last = last
                .iter()
                .flat_map(|p| symbols.iter().map(move |a| format!("{p}{a}")))
                .collect();
            all.extend(last.iter().cloned());
        }
        all
    }

    #[test]
    fn agrees_with_the_base64_crate_on_every_short_input() {
        // Every string of up to 3 symbols over a small alphabet that covers each class, and
        // longer ones built from them: same bytes, or an error exactly when the crate errs.
        let alphabet = ["A", "Q", "R", "w", "/", "=", " ", "?", "_", "-", "9"];
        for tail in strings_over(&alphabet, 3) {
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

/// The hand-written decoder this module used before it moved onto the `base64` crate, kept
/// as the reference the strict profile is checked against: same bytes, same problem.
#[cfg(test)]
mod against_the_old_decoder {
    use proptest::prelude::*;

    use super::tests::strings_over;
    use super::{decode_to_slice, decoded_len, EncodingProblem};

    fn reference_decode(text: &str, out: &mut [u8]) -> Result<usize, EncodingProblem> {
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
            let word =
                (u32::from(a) << 18) | (u32::from(b) << 12) | (u32::from(c) << 6) | u32::from(d);
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
            .find_map(|&b| reference_classify_byte(b))
            .unwrap_or(EncodingProblem::InvalidCharacter)
    }

    fn reference_classify_byte(b: u8) -> Option<EncodingProblem> {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => None,
            b'=' => Some(EncodingProblem::Padding),
            b'+' | b'/' => Some(EncodingProblem::StandardAlphabet),
            b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c => Some(EncodingProblem::Whitespace),
            _ => Some(EncodingProblem::InvalidCharacter),
        }
    }

    type Verdict = Result<Vec<u8>, EncodingProblem>;

    fn both(text: &str) -> (Verdict, Verdict) {
        let run = |f: fn(&str, &mut [u8]) -> Result<usize, EncodingProblem>| {
            let mut out = vec![0u8; decoded_len(text.len())];
            f(text, &mut out).map(|n| out[..n].to_vec())
        };
        (run(decode_to_slice), run(reference_decode))
    }

    #[test]
    fn agrees_on_every_string_of_up_to_four_symbols_over_each_class() {
        let symbols = [
            "A", "Q", "R", "B", "w", "/", "+", "=", " ", "\n", "?", "_", "-", "9", "é",
        ];
        for tail in strings_over(&symbols, 4) {
            for head in ["", "YWJj", "YW=j"] {
                let text = format!("{head}{tail}");
                let (new, old) = both(&text);
                assert_eq!(new, old, "{text:?}");
            }
        }
    }

    proptest! {
        #[test]
        fn agrees_on_arbitrary_text(text in "[A-Za-z0-9_\\-+/= \t\r\n.?]{0,90}") {
            let (new, old) = both(&text);
            prop_assert_eq!(new, old);
        }

        #[test]
        fn agrees_on_arbitrary_strings(text in any::<String>()) {
            let (new, old) = both(&text);
            prop_assert_eq!(new, old);
        }
    }
}
