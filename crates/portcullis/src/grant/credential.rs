//! Opaque credentials a scanner can attribute: refresh tokens and API keys.
//!
//! A credential is `<prefix><body><checksum>`:
//! - `prefix`: `pcrt_` (refresh token) or `pcak_` (API key), fixed;
//! - `body`: the credential's bytes as one big-endian number in base62 (`0-9A-Za-z`),
//!   left-padded with `0` to a fixed width (54 characters for a refresh token's 40 bytes, 43
//!   for an API key's 32);
//! - `checksum`: CRC-32 (IEEE) of `prefix` and `body` as ASCII, in base62, 6 characters.
//!
//! [`parse`] checks all three without any storage read, so a typo, a truncated paste or a
//! made-up example is refused at once, and a leak scanner that finds a string matching a
//! [`DETECTORS`] pattern and passing [`attribute`] knows it is ours (a random string passes
//! the checksum with probability 2^-32).
//!
//! The bytes come from the caller (the core never reads the CSPRNG itself): a refresh token
//! is 16 bytes of grant id, a 4-byte generation and 20 secret bytes (288 random bits); an API
//! key is a 12-byte key id and 20 secret bytes (256 random bits).

use std::fmt;

/// The base62 alphabet, in ASCII order.
const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Characters of the checksum: 62^6 > 2^32.
pub const CHECKSUM_CHARS: usize = 6;

/// What kind of credential a string is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialKind {
    /// A refresh token (`pcrt_`).
    RefreshToken,
    /// An API key (`pcak_`).
    ApiKey,
}

impl CredentialKind {
    /// The fixed prefix.
    pub const fn prefix(self) -> &'static str {
        match self {
            CredentialKind::RefreshToken => "pcrt_",
            CredentialKind::ApiKey => "pcak_",
        }
    }

    /// How many bytes the body encodes.
    pub const fn body_bytes(self) -> usize {
        match self {
            CredentialKind::RefreshToken => 40,
            CredentialKind::ApiKey => 32,
        }
    }

    /// How many base62 characters the body takes.
    pub const fn body_chars(self) -> usize {
        base62_width(self.body_bytes())
    }

    /// The whole credential's length.
    pub const fn text_len(self) -> usize {
        self.prefix().len() + self.body_chars() + CHECKSUM_CHARS
    }

    const ALL: [CredentialKind; 2] = [CredentialKind::RefreshToken, CredentialKind::ApiKey];
}

/// The fewest base62 digits that hold any `bytes`-byte number: ceil(8 * bytes / log2 62).
pub const fn base62_width(bytes: usize) -> usize {
    // log2(62) = 5.954196...; 5954196 / 10^6 rounds it down, so the ceiling is never short
    // (checked for every width used here by the tests).
    (bytes * 8 * 1_000_000).div_ceil(5_954_196)
}

/// One entry of the table a leak scanner uses to find these credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detector {
    /// A stable name for findings.
    pub name: &'static str,
    /// Which credential it finds.
    pub kind: CredentialKind,
    /// The fixed prefix.
    pub prefix: &'static str,
    /// The whole match's length.
    pub len: usize,
    /// A regular expression (RE2/PCRE/JS syntax) that finds candidates; confirm each with
    /// [`attribute`], which checks the checksum.
    pub pattern: &'static str,
}

/// Every credential this gate issues, for leak scanners (issue 16).
pub const DETECTORS: [Detector; 2] = [
    Detector {
        name: "portcullis_refresh_token",
        kind: CredentialKind::RefreshToken,
        prefix: "pcrt_",
        len: CredentialKind::RefreshToken.text_len(),
        pattern: r"\bpcrt_[0-9A-Za-z]{60}\b",
    },
    Detector {
        name: "portcullis_api_key",
        kind: CredentialKind::ApiKey,
        prefix: "pcak_",
        len: CredentialKind::ApiKey.text_len(),
        pattern: r"\bpcak_[0-9A-Za-z]{49}\b",
    },
];

/// Why a string is not one of our credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialError {
    /// Neither prefix, or not the kind expected.
    WrongPrefix,
    /// The right prefix, the wrong length.
    WrongLength {
        /// The length given.
        len: usize,
        /// The length of this kind.
        expected: usize,
    },
    /// A character outside base62.
    NotBase62,
    /// The body is a number larger than the credential's bytes can hold.
    Overflow,
    /// The checksum does not match: a typo or a fake.
    BadChecksum,
}

impl CredentialError {
    /// A stable code for logs.
    pub fn code(self) -> &'static str {
        match self {
            CredentialError::WrongPrefix => "wrong_prefix",
            CredentialError::WrongLength { .. } => "wrong_length",
            CredentialError::NotBase62 => "not_base62",
            CredentialError::Overflow => "body_overflow",
            CredentialError::BadChecksum => "bad_checksum",
        }
    }
}

impl fmt::Display for CredentialError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialError::WrongPrefix => f.write_str("not a credential of the expected kind"),
            CredentialError::WrongLength { len, expected } => {
                write!(f, "credential is {len} characters, expected {expected}")
            }
            CredentialError::NotBase62 => f.write_str("credential has a character outside base62"),
            CredentialError::Overflow => f.write_str("credential body is out of range"),
            CredentialError::BadChecksum => f.write_str("credential checksum does not match"),
        }
    }
}

impl std::error::Error for CredentialError {}

/// CRC-32 (IEEE 802.3, reflected, as zlib and GitHub's token checksums use). Bitwise, with
/// no table: it runs once per credential, and a 1 KiB table would ship to every edge.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// `bytes` as a big-endian number in base62, exactly `width` digits (left-padded with `0`).
pub(crate) fn base62_encode(bytes: &[u8], width: usize) -> String {
    let mut number = bytes.to_vec();
    let mut digits = vec![b'0'; width];
    for slot in digits.iter_mut().rev() {
        // Long division of the big-endian number by 62; the remainder is the next digit.
        let mut rem = 0u32;
        for b in number.iter_mut() {
            let acc = (rem << 8) | u32::from(*b);
            *b = (acc / 62) as u8;
            rem = acc % 62;
        }
        *slot = ALPHABET[rem as usize];
    }
    String::from_utf8(digits).unwrap_or_default()
}

fn digit_value(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some(u32::from(c - b'0')),
        b'A'..=b'Z' => Some(u32::from(c - b'A') + 10),
        b'a'..=b'z' => Some(u32::from(c - b'a') + 36),
        _ => None,
    }
}

/// The `len`-byte big-endian number `text` spells in base62.
pub(crate) fn base62_decode(text: &[u8], len: usize) -> Result<Vec<u8>, CredentialError> {
    let mut out = vec![0u8; len];
    for &c in text {
        let mut carry = digit_value(c).ok_or(CredentialError::NotBase62)?;
        for b in out.iter_mut().rev() {
            let acc = u32::from(*b) * 62 + carry;
            *b = acc as u8;
            carry = acc >> 8;
        }
        if carry != 0 {
            return Err(CredentialError::Overflow);
        }
    }
    Ok(out)
}

fn checksum(prefix_and_body: &str) -> String {
    base62_encode(
        &crc32(prefix_and_body.as_bytes()).to_be_bytes(),
        CHECKSUM_CHARS,
    )
}

/// Encodes `body` (exactly [`CredentialKind::body_bytes`] long) as a credential of `kind`.
/// Returns `None` for a body of the wrong length.
pub fn encode(kind: CredentialKind, body: &[u8]) -> Option<String> {
    if body.len() != kind.body_bytes() {
        return None;
    }
    let mut out = String::with_capacity(kind.text_len());
    out.push_str(kind.prefix());
    out.push_str(&base62_encode(body, kind.body_chars()));
    let sum = checksum(&out);
    out.push_str(&sum);
    Some(out)
}

/// The body bytes of `text`, a credential of `kind`: prefix, length, alphabet, range and
/// checksum all checked, with no storage read.
pub fn parse(kind: CredentialKind, text: &str) -> Result<Vec<u8>, CredentialError> {
    let rest = text
        .strip_prefix(kind.prefix())
        .ok_or(CredentialError::WrongPrefix)?;
    if text.len() != kind.text_len() {
        return Err(CredentialError::WrongLength {
            len: text.len(),
            expected: kind.text_len(),
        });
    }
    // Non-ASCII first: splitting by byte count must not fall inside a character.
    if !rest.is_ascii() {
        return Err(CredentialError::NotBase62);
    }
    let (body, sum) = rest.split_at(kind.body_chars());
    let bytes = base62_decode(body.as_bytes(), kind.body_bytes())?;
    if !sum.bytes().all(|c| digit_value(c).is_some()) {
        return Err(CredentialError::NotBase62);
    }
    if checksum(&text[..text.len() - CHECKSUM_CHARS]) != sum {
        return Err(CredentialError::BadChecksum);
    }
    Ok(bytes)
}

/// Which of our credentials `candidate` is, if it is one (checksum checked): for the leak
/// scanner, after a [`DETECTORS`] pattern matched.
pub fn attribute(candidate: &str) -> Option<CredentialKind> {
    CredentialKind::ALL
        .into_iter()
        .find(|&kind| parse(kind, candidate).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn widths_hold_every_value_and_no_more_digits_than_needed() {
        for bytes in [4usize, 12, 16, 20, 32, 40] {
            let w = base62_width(bytes);
            let bits = (bytes * 8) as f64;
            assert!(w as f64 * 62f64.log2() >= bits, "{bytes}");
            assert!((w - 1) as f64 * 62f64.log2() < bits, "{bytes}");
        }
        assert_eq!(base62_width(4), CHECKSUM_CHARS);
        assert_eq!(CredentialKind::RefreshToken.text_len(), 5 + 54 + 6);
        assert_eq!(CredentialKind::ApiKey.text_len(), 5 + 43 + 6);
    }

    #[test]
    fn encodes_extremes_and_round_trips() {
        for kind in CredentialKind::ALL {
            for fill in [0u8, 1, 0x7f, 0xff] {
                let body = vec![fill; kind.body_bytes()];
                let text = encode(kind, &body).unwrap();
                assert_eq!(text.len(), kind.text_len());
                assert_eq!(parse(kind, &text), Ok(body));
                assert_eq!(attribute(&text), Some(kind));
            }
        }
        assert_eq!(encode(CredentialKind::ApiKey, &[0; 31]), None);
    }

    #[test]
    fn refuses_typos_fakes_and_the_other_kind() {
        let body: Vec<u8> = (0..40).collect();
        let good = encode(CredentialKind::RefreshToken, &body).unwrap();
        let kind = CredentialKind::RefreshToken;
        assert_eq!(
            parse(CredentialKind::ApiKey, &good),
            Err(CredentialError::WrongPrefix)
        );
        assert_eq!(
            parse(kind, &good[..good.len() - 1]),
            Err(CredentialError::WrongLength {
                len: 64,
                expected: 65
            })
        );
        let fake = format!("pcrt_{}", "1".repeat(60));
        assert_eq!(parse(kind, &fake), Err(CredentialError::BadChecksum));
        let mut bad = good.clone().into_bytes();
        bad[10] = b'-';
        assert_eq!(
            parse(kind, std::str::from_utf8(&bad).unwrap()),
            Err(CredentialError::NotBase62)
        );
        let max = format!("pcrt_{}", "z".repeat(54));
        let max = format!("{max}{}", checksum(&max));
        assert_eq!(parse(kind, &max), Err(CredentialError::Overflow));
        assert_eq!(attribute("ghp_1234"), None);
    }

    #[test]
    fn detector_patterns_describe_the_format() {
        for d in DETECTORS {
            assert_eq!(d.prefix, d.kind.prefix());
            assert_eq!(d.len, d.kind.text_len());
            let count = format!("{{{}}}", d.len - d.prefix.len());
            assert!(d.pattern.contains(&count), "{}", d.pattern);
        }
    }
}
