//! Finds credential candidates in bytes: a SIMD substring search for each format's prefix
//! (`memchr::memmem`), then the core's shape check ([`CredentialFormat::match_at`]), so only
//! strings shaped like one of our credentials are ever assessed.

use memchr::memmem;
use portcullis::leaks::{CredentialFormat, FORMATS};

/// One candidate in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Byte offset of its first character.
    pub offset: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in bytes.
    pub column: usize,
    /// The candidate itself.
    pub token: String,
    /// The format it matched.
    pub kind: &'static str,
}

/// Every candidate in `bytes`, in order of offset.
pub fn find(bytes: &[u8]) -> Vec<Hit> {
    let mut found: Vec<(usize, usize, &'static CredentialFormat)> = Vec::new();
    for format in FORMATS {
        for at in memmem::find_iter(bytes, format.prefix.as_bytes()) {
            let before = at.checked_sub(1).map(|i| bytes[i]);
            if !format.starts_cleanly(before) {
                continue;
            }
            if let Some(len) = format.match_at(&bytes[at..]) {
                found.push((at, len, format));
            }
        }
    }
    found.sort_by_key(|&(at, ..)| at);
    let (mut line, mut line_start, mut counted) = (1, 0, 0);
    let mut hits = Vec::with_capacity(found.len());
    let mut end_of_last = 0;
    for (at, len, format) in found {
        if at < end_of_last {
            continue; // inside the previous candidate
        }
        end_of_last = at + len;
        for nl in memchr::memchr_iter(b'\n', &bytes[counted..at]) {
            line += 1;
            line_start = counted + nl + 1;
        }
        counted = at;
        // Every format's characters are ASCII, so this never fails for a match.
        let Ok(token) = std::str::from_utf8(&bytes[at..at + len]) else {
            continue;
        };
        hits.push(Hit {
            offset: at,
            line,
            column: at - line_start + 1,
            token: token.to_owned(),
            kind: format.kind,
        });
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl";

    #[test]
    fn finds_each_candidate_with_its_line_and_column() {
        let text = format!("a\nkey = \"{T}\"\n\nBearer {T}\nxeyJ{T}\n");
        let hits = find(text.as_bytes());
        let at: Vec<_> = hits.iter().map(|h| (h.line, h.column)).collect();
        assert_eq!(at, [(2, 8), (4, 8)]);
        assert!(hits.iter().all(|h| h.token == T && h.kind == "jwt"));
    }

    #[test]
    fn finds_nothing_in_text_without_candidates() {
        assert!(find(b"eyJ but nothing else; eyJx.y").is_empty());
        assert!(find(b"").is_empty());
    }
}
