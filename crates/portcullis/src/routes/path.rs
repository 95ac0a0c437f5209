//! Path normalization: every spelling of a request path turned into the one canonical form
//! that route rules match and the origin receives, or refused.
//!
//! `//orders/1`, `/health/%2E%2E/orders/1` and `/%6Frders/1` are all `/orders/1` here;
//! `%2F`, `\`, NUL and `..` above the root are refused ([`PathError`]), so no spelling can
//! match one rule at the gate and reach another path at the origin.

use std::fmt;

/// Longest path, in bytes, that [`normalize_path`] accepts as input or produces as output.
pub const MAX_PATH_LEN: usize = 4096;

/// A request path in canonical form, produced only by [`normalize_path`].
///
/// Invariants: starts with `/`; no empty segments except a final one (a trailing slash); no `.`
/// or `..` segments, nor one followed by `;` parameters; every `%` starts an escape with uppercase hex that is neither an
/// unreserved character, `/`, `\`, NUL nor a control character; all escapes together decode
/// to UTF-8; only characters allowed literally in an RFC 3986 path appear unescaped; at most
/// [`MAX_PATH_LEN`] bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NormalizedPath(String);

impl NormalizedPath {
    /// The canonical path; forward exactly this to the origin.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The segments after the leading `/`: `/` gives `[""]`, `/a/b/` gives `["a", "b", ""]`.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0[1..].split('/')
    }
}

impl fmt::Display for NormalizedPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for NormalizedPath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Why [`normalize_path`] rejected a path. Offsets are byte offsets into the raw input.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathError {
    /// The input is longer than `max` bytes, or its canonical form would be.
    TooLong {
        /// Length of the input or of the canonical form, whichever exceeded `max`.
        len: usize,
        /// The limit, [`MAX_PATH_LEN`].
        max: usize,
    },
    /// The path is empty or does not start with `/`.
    NotAbsolute,
    /// A literal NUL byte.
    Nul {
        /// Where it was.
        offset: usize,
    },
    /// A literal control character (U+0001..U+001F or U+007F).
    ControlCharacter {
        /// Where it was.
        offset: usize,
        /// The byte.
        byte: u8,
    },
    /// A literal `\`, which some origins treat as `/`.
    Backslash {
        /// Where it was.
        offset: usize,
    },
    /// A literal `?` or `#`: the caller passed a query or fragment, which must be cut off first.
    QueryOrFragmentDelimiter {
        /// Where it was.
        offset: usize,
        /// The byte, `?` or `#`.
        byte: u8,
    },
    /// `%` not followed by two hex digits (`%`, `%4`, `%zz`).
    MalformedPercentEscape {
        /// Where the `%` was.
        offset: usize,
    },
    /// `%00`.
    EncodedNul {
        /// Where the `%` was.
        offset: usize,
    },
    /// `%2F`: an origin that decodes it would see a different path than the rules did.
    EncodedSlash {
        /// Where the `%` was.
        offset: usize,
    },
    /// `%5C`: an origin may decode it and then treat it as `/`.
    EncodedBackslash {
        /// Where the `%` was.
        offset: usize,
    },
    /// An escape of a control character (`%01`..`%1F`, `%7F`), e.g. `%0A`.
    EncodedControlCharacter {
        /// Where the `%` was.
        offset: usize,
        /// The decoded byte.
        byte: u8,
    },
    /// The percent-escapes do not decode to UTF-8 (`%FF`, a lone `%C3`).
    InvalidUtf8,
    /// A `..` segment would climb above `/`. Rejected rather than clamped: a client that
    /// sends one is probing, and clamping would hide a path the origin might resolve otherwise.
    AboveRoot,
    /// A segment that is `.` or `..` followed by `;` (`..;`, `..%3B`, `.;x=1`, after decoding
    /// escapes of unreserved characters): servlet containers drop the `;` parameters and then
    /// resolve the segment as a dot segment, so the origin would see another path than the
    /// rules did.
    DotSegmentWithParameters,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLong { len, max } => write!(f, "path is {len} bytes, longer than {max}"),
            Self::NotAbsolute => f.write_str("path does not start with `/`"),
            Self::Nul { offset } => write!(f, "NUL byte at offset {offset}"),
            Self::ControlCharacter { offset, byte } => {
                write!(f, "control character 0x{byte:02X} at offset {offset}")
            }
            Self::Backslash { offset } => write!(f, "backslash at offset {offset}"),
            Self::QueryOrFragmentDelimiter { offset, byte } => {
                write!(
                    f,
                    "`{}` at offset {offset}: path must not include a query or fragment",
                    *byte as char
                )
            }
            Self::MalformedPercentEscape { offset } => {
                write!(f, "malformed percent-escape at offset {offset}")
            }
            Self::EncodedNul { offset } => write!(f, "encoded NUL (%00) at offset {offset}"),
            Self::EncodedSlash { offset } => write!(f, "encoded slash (%2F) at offset {offset}"),
            Self::EncodedBackslash { offset } => {
                write!(f, "encoded backslash (%5C) at offset {offset}")
            }
            Self::EncodedControlCharacter { offset, byte } => {
                write!(
                    f,
                    "encoded control character (%{byte:02X}) at offset {offset}"
                )
            }
            Self::InvalidUtf8 => f.write_str("percent-escapes do not decode to UTF-8"),
            Self::AboveRoot => f.write_str("`..` segment climbs above the root"),
            Self::DotSegmentWithParameters => {
                f.write_str("`.` or `..` segment followed by `;` parameters")
            }
        }
    }
}

impl std::error::Error for PathError {}

/// Normalizes a request path (without its query string, percent-encoding intact) to the one
/// canonical form that rules match and the origin receives.
///
/// Steps, after rejecting anything listed in [`PathError`]:
/// 1. Escapes of unreserved characters (`A-Z a-z 0-9 - . _ ~`) are decoded (`%6F` → `o`,
///    `%2E` → `.`); every other escape is kept with uppercase hex (`%c3%a9` → `%C3%A9`).
///    Characters that may not appear literally in a path (space, `"`, `<`, `>`, `[`, `]`, `^`,
///    `` ` ``, `{`, `|`, `}` and all non-ASCII) are percent-encoded as UTF-8, so `/é` and
///    `/%c3%a9` are one path. Literal sub-delimiters, `:` and `@` stay literal, and their
///    escapes stay escaped, because RFC 3986 does not make the two equivalent.
/// 2. Runs of `/` collapse into one (before step 3, so `/a//..` is `/`).
/// 3. Dot segments are removed as in RFC 3986 section 5.2.4 (`/a/./b/../c` → `/a/c`; a final
///    `.` or `..` leaves a trailing slash: `/a/b/..` → `/a/`). `..` above the root is
///    [`PathError::AboveRoot`]. A `.` or `..` followed by `;` or `%3B` is
///    [`PathError::DotSegmentWithParameters`].
///
/// A trailing slash is kept: `/orders/` and `/orders` stay different paths. Normalizing a
/// [`NormalizedPath`] again returns it unchanged.
pub fn normalize_path(raw: &str) -> Result<NormalizedPath, PathError> {
    if raw.len() > MAX_PATH_LEN {
        return Err(PathError::TooLong {
            len: raw.len(),
            max: MAX_PATH_LEN,
        });
    }
    if !raw.starts_with('/') {
        return Err(PathError::NotAbsolute);
    }
    let bytes = raw.as_bytes();
    let mut canonical = String::with_capacity(raw.len());
    // Every byte the path stands for, escapes decoded: only to check the escapes form UTF-8.
    let mut decoded = Vec::with_capacity(raw.len());
    let mut offset = 0;
    while offset < bytes.len() {
        let byte = bytes[offset];
        match byte {
            b'%' => {
                let value = decode_escape(bytes, offset)
                    .ok_or(PathError::MalformedPercentEscape { offset })?;
                match value {
                    0 => return Err(PathError::EncodedNul { offset }),
                    b'/' => return Err(PathError::EncodedSlash { offset }),
                    b'\\' => return Err(PathError::EncodedBackslash { offset }),
                    v if v.is_ascii_control() => {
                        return Err(PathError::EncodedControlCharacter { offset, byte: v })
                    }
                    v if is_unreserved(v) => canonical.push(char::from(v)),
                    v => push_escape(&mut canonical, v),
                }
                decoded.push(value);
                offset += 3;
                continue;
            }
            0 => return Err(PathError::Nul { offset }),
            b if b.is_ascii_control() => {
                return Err(PathError::ControlCharacter { offset, byte: b })
            }
            b'\\' => return Err(PathError::Backslash { offset }),
            b'?' | b'#' => return Err(PathError::QueryOrFragmentDelimiter { offset, byte }),
            b'/' => canonical.push('/'),
            b if is_path_literal(b) => canonical.push(char::from(b)),
            b => push_escape(&mut canonical, b),
        }
        decoded.push(byte);
        offset += 1;
    }
    if std::str::from_utf8(&decoded).is_err() {
        return Err(PathError::InvalidUtf8);
    }
    let canonical = remove_dot_segments(&canonical)?;
    if canonical.len() > MAX_PATH_LEN {
        return Err(PathError::TooLong {
            len: canonical.len(),
            max: MAX_PATH_LEN,
        });
    }
    Ok(NormalizedPath(canonical))
}

/// The byte that the escape at `bytes[at]` (a `%`) stands for, if two hex digits follow.
fn decode_escape(bytes: &[u8], at: usize) -> Option<u8> {
    let high = hex_value(*bytes.get(at + 1)?)?;
    let low = hex_value(*bytes.get(at + 2)?)?;
    Some(high << 4 | low)
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        _ => None,
    }
}

fn push_escape(out: &mut String, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(char::from(HEX[usize::from(byte >> 4)]));
    out.push(char::from(HEX[usize::from(byte & 0x0F)]));
}

/// RFC 3986 `unreserved`.
fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

/// RFC 3986 `pchar` minus `pct-encoded`: what may stand unescaped in a path segment.
fn is_path_literal(byte: u8) -> bool {
    is_unreserved(byte)
        || matches!(
            byte,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
        )
}

/// Collapses empty segments and removes `.`/`..` from an absolute path (RFC 3986 5.2.4).
fn remove_dot_segments(path: &str) -> Result<String, PathError> {
    let segments: Vec<&str> = path[1..].split('/').collect();
    let mut kept: Vec<&str> = Vec::with_capacity(segments.len());
    for segment in &segments {
        if is_dot_segment_with_parameters(segment) {
            return Err(PathError::DotSegmentWithParameters);
        }
        match *segment {
            "" | "." => {}
            ".." => {
                kept.pop().ok_or(PathError::AboveRoot)?;
            }
            other => kept.push(other),
        }
    }
    // A path ending in `/`, `/.` or `/..` names a directory-like resource: keep the slash.
    let trailing_slash = matches!(segments.last(), Some(&("" | "." | "..")));
    let mut out = String::with_capacity(path.len());
    out.push('/');
    out.push_str(&kept.join("/"));
    if trailing_slash && !kept.is_empty() {
        out.push('/');
    }
    Ok(out)
}

/// Whether a canonical segment is `.` or `..` followed by `;` parameters (`;` or its escape,
/// which canonical form spells `%3B`).
fn is_dot_segment_with_parameters(segment: &str) -> bool {
    let after_dots = segment
        .strip_prefix("..")
        .or_else(|| segment.strip_prefix('.'));
    after_dots.is_some_and(|rest| rest.starts_with(';') || rest.starts_with("%3B"))
}

#[cfg(test)]
pub(in crate::routes) mod tests {
    use super::*;
    use proptest::prelude::*;

    fn path(raw: &str) -> NormalizedPath {
        normalize_path(raw).expect("valid path")
    }

    // --- Normalization -----------------------------------------------------------------------
    // Each rule's cases (escapes, dot segments, slash runs, forbidden bytes) are rows of the path
    // table in tests/paths.rs, which also generates tests/vectors/paths.json for the end-to-end
    // suite and the fuzz seeds: one home, so a case added there is checked everywhere.

    #[test]
    fn overlong_paths_are_rejected() {
        let at_limit = format!("/{}", "a".repeat(MAX_PATH_LEN - 1));
        assert_eq!(path(&at_limit).as_str(), at_limit);
        let over = format!("/{}", "a".repeat(MAX_PATH_LEN));
        assert_eq!(
            normalize_path(&over),
            Err(PathError::TooLong {
                len: MAX_PATH_LEN + 1,
                max: MAX_PATH_LEN
            })
        );
        // Short input whose canonical form (each space becomes `%20`) is too long.
        let expands = format!("/{}", " ".repeat(2000));
        assert_eq!(
            normalize_path(&expands),
            Err(PathError::TooLong {
                len: 6001,
                max: MAX_PATH_LEN
            })
        );
    }

    // --- Properties --------------------------------------------------------------------------

    /// Paths built from fragments that exercise every normalization step.
    pub(in crate::routes) fn tricky_path() -> impl Strategy<Value = String> {
        let fragment = prop::sample::select(vec![
            "/",
            "/",
            "/",
            ".",
            "..",
            "health",
            "orders",
            "%68ealth",
            "a",
            "B",
            "%2e",
            "%2E",
            "%6f",
            "%7E",
            "%41",
            "%c3%a9",
            "é",
            " ",
            "%20",
            "%25",
            "%3a",
            ":",
            ";",
            "*",
            "%",
            "%4",
            "%zz",
            "%2F",
            "%5c",
            "\\",
            "%00",
            "%C3",
            "%ff",
            "?",
            "~",
            "-",
            "[",
            "\u{1F980}",
        ]);
        prop::collection::vec(fragment, 0..24).prop_map(|parts| format!("/{}", parts.concat()))
    }

    fn assert_canonical(normalized: &str) {
        assert!(normalized.starts_with('/'));
        assert!(normalized.len() <= MAX_PATH_LEN);
        for bad in ["//", "/./", "/../"] {
            assert!(!normalized.contains(bad), "{normalized:?} contains {bad:?}");
        }
        assert!(!normalized.ends_with("/."), "{normalized:?}");
        assert!(!normalized.ends_with("/.."), "{normalized:?}");
        let bytes = normalized.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            assert!(
                b == b'/' || b == b'%' || is_path_literal(b),
                "{normalized:?}: byte {b:#x}"
            );
            if b == b'%' {
                let value = decode_escape(bytes, i).expect("well-formed escape");
                assert!(bytes[i + 1..i + 3].iter().all(|d| !d.is_ascii_lowercase()));
                assert!(!is_unreserved(value), "{normalized:?}: unreserved escape");
            }
        }
    }

    proptest! {
        #[test]
        fn normalization_is_idempotent(raw in tricky_path()) {
            if let Ok(once) = normalize_path(&raw) {
                let twice = normalize_path(once.as_str());
                prop_assert_eq!(twice.as_ref(), Ok(&once));
            }
        }

        #[test]
        fn normalization_is_idempotent_for_arbitrary_strings(raw in "/\\PC{0,64}") {
            if let Ok(once) = normalize_path(&raw) {
                let twice = normalize_path(once.as_str());
                prop_assert_eq!(twice.as_ref(), Ok(&once));
            }
        }

        #[test]
        fn normalized_paths_have_no_dot_or_empty_segments(raw in tricky_path()) {
            if let Ok(normalized) = normalize_path(&raw) {
                assert_canonical(normalized.as_str());
            }
        }
    }
}
