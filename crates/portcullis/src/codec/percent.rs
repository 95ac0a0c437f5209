//! Percent-encoding, on the `percent-encoding` crate: the one codec for form bodies, query
//! parameter names and header values. (The path normalizer keeps its own single pass: it
//! decides per byte whether an escape may be decoded at all, which no general decoder does.)

use core::fmt;

use percent_encoding::{percent_decode, utf8_percent_encode, AsciiSet, CONTROLS};

/// What a strict decoder refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PercentError {
    /// A `%` not followed by two hex digits.
    BadEscape,
}

impl fmt::Display for PercentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a '%' is not followed by two hex digits")
    }
}

impl std::error::Error for PercentError {}

/// Decodes one `application/x-www-form-urlencoded` component strictly: `+` is a space, `%XX`
/// a byte, and a `%` without two hex digits is an error (the crate's decoder would keep it).
pub fn decode_form_component(input: &[u8]) -> Result<Vec<u8>, PercentError> {
    let mut rest = input;
    while let Some(at) = rest.iter().position(|&b| b == b'%') {
        match rest.get(at + 1..at + 3) {
            Some([h, l]) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                rest = &rest[at + 3..]
            }
            _ => return Err(PercentError::BadEscape),
        }
    }
    let spaced: Vec<u8> = input
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    Ok(percent_decode(&spaced).collect())
}

/// Decodes leniently, as servers read query parameter names: `+` is a space and valid `%XX`
/// escapes are bytes; anything else stays as it is.
pub fn decode_lenient(input: &[u8]) -> Vec<u8> {
    let spaced: Vec<u8> = input
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_decode(&spaced).collect()
}

/// What a header value must not carry as is: control characters and `%` itself (every byte
/// outside ASCII is encoded by the crate anyway).
const HEADER_UNSAFE: &AsciiSet = &CONTROLS.add(b'%');

/// `text` as a header value that decodes (`%XX` to bytes, then UTF-8) to exactly `text`:
/// controls, `%` and non-ASCII are percent-encoded, and so are leading and trailing spaces,
/// which HTTP would trim from a field value.
pub fn encode_header_value(text: &str) -> String {
    let inner = text.trim_matches(' ');
    let lead = text.len() - text.trim_start_matches(' ').len();
    let trail = if inner.is_empty() {
        0
    } else {
        text.len() - text.trim_end_matches(' ').len()
    };
    let mut out = String::with_capacity(text.len() + 3 * (lead + trail));
    out.push_str(&"%20".repeat(lead));
    out.extend(utf8_percent_encode(inner, HEADER_UNSAFE));
    out.push_str(&"%20".repeat(trail));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_components_decode_strictly() {
        assert_eq!(
            decode_form_component(b"a+b%2Bc%2fd%C3%A9").unwrap(),
            "a b+c/dé".as_bytes()
        );
        for bad in [&b"%"[..], b"%4", b"%zz", b"ab%4g", b"%%41"] {
            assert_eq!(
                decode_form_component(bad),
                Err(PercentError::BadEscape),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn lenient_decoding_keeps_what_is_not_an_escape() {
        assert_eq!(decode_lenient(b"access%5Ftoken"), b"access_token");
        assert_eq!(decode_lenient(b"a+b%zz%"), b"a b%zz%");
    }

    #[test]
    fn header_values_decode_to_exactly_the_text() {
        assert_eq!(
            encode_header_value("alice\r\nX-Evil: 1"),
            "alice%0D%0AX-Evil: 1"
        );
        assert_eq!(encode_header_value("é%"), "%C3%A9%25");
        assert_eq!(encode_header_value("  a b "), "%20%20a b%20");
        assert_eq!(encode_header_value("   "), "%20%20%20");
        assert_eq!(encode_header_value(""), "");
        for text in ["plain", " edge ", "tab\there", "ünïcödé", "100%"] {
            let encoded = encode_header_value(text);
            assert!(
                encoded.bytes().all(|b| (0x20..0x7f).contains(&b)),
                "{encoded}"
            );
            let decoded = percent_decode(encoded.as_bytes()).decode_utf8().unwrap();
            assert_eq!(decoded, text);
            assert_eq!(encoded.trim(), encoded, "{encoded}: HTTP would trim it");
        }
    }
}
