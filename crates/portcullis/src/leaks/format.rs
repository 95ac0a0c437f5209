//! The credential formats a scanner looks for, as a table ([`FORMATS`]): each entry is a
//! literal prefix plus a shape that confirms a match, so a scanner finds candidates with a
//! fast substring search and rejects look-alikes without knowing any key.
//!
//! Listed: JWTs, and the gate's prefixed, checksummed opaque credentials (refresh tokens,
//! API keys), one entry per [`crate::grant::credential::DETECTORS`] row, confirmed by the
//! same checksum the token endpoint checks ([`Shape::Issued`]), so a fake example with a
//! broken checksum is never a finding. Another format with a prefix and a checksum is one
//! more entry with [`Shape::Prefixed`].

use sha2::{Digest, Sha256};

use crate::grant::credential::{self, CredentialKind, Detector, DETECTORS};

/// How a match is confirmed after its prefix.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// A compact JWS: three base64url segments; the first (which starts with the prefix)
    /// must decode to a JSON object with an `alg` member.
    Jwt,
    /// `prefix` + exactly `len` characters of `[A-Za-z0-9_]` for which `checksum` holds.
    Prefixed {
        /// Characters after the prefix.
        len: usize,
        /// Whether the characters after the prefix carry a valid checksum.
        checksum: fn(&[u8]) -> bool,
    },
    /// One of the gate's own opaque credentials ([`crate::grant::credential`]): the
    /// detector's fixed length, then its base62 body and CRC-32 checksum checked by
    /// [`credential::parse`].
    Issued(CredentialKind),
}

/// One credential format.
#[derive(Debug, Clone, Copy)]
pub struct CredentialFormat {
    /// The kind reported for a match (`jwt`, ...).
    pub kind: &'static str,
    /// The literal every credential of this format starts with.
    pub prefix: &'static str,
    /// What must follow.
    pub shape: Shape,
}

/// The format of one of the gate's opaque credentials, from its detector.
const fn issued(detector: Detector, kind: &'static str) -> CredentialFormat {
    CredentialFormat {
        kind,
        prefix: detector.prefix,
        shape: Shape::Issued(detector.kind),
    }
}

/// Every format a scanner looks for; see the module documentation.
pub const FORMATS: &[CredentialFormat] = &[
    CredentialFormat {
        kind: "jwt",
        // `{"` base64url-encoded: every JSON object header without leading whitespace.
        prefix: "eyJ",
        shape: Shape::Jwt,
    },
    issued(DETECTORS[0], "refresh_token"),
    issued(DETECTORS[1], "api_key"),
];

/// Longest JWT a scanner considers (the gate refuses longer ones anyway).
pub const MAX_JWT_LEN: usize = 8 * 1024;

/// Whether `b` is a base64url character.
fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

impl CredentialFormat {
    /// The length of this format's credential at the start of `text`, if one is there.
    /// `text` starts where the prefix was found; the byte before it (if any) is the
    /// caller's to check, see [`CredentialFormat::starts_cleanly`].
    pub fn match_at(&self, text: &[u8]) -> Option<usize> {
        if !text.starts_with(self.prefix.as_bytes()) {
            return None;
        }
        match self.shape {
            Shape::Jwt => jwt_len(text),
            Shape::Prefixed { len, checksum } => {
                let end = self.prefix.len() + len;
                let body = text.get(self.prefix.len()..end)?;
                let clean_end = text
                    .get(end)
                    .is_none_or(|&b| !(b.is_ascii_alphanumeric() || b == b'_'));
                (body.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
                    && clean_end
                    && checksum(body))
                .then_some(end)
            }
            Shape::Issued(kind) => {
                let end = kind.text_len();
                let candidate = std::str::from_utf8(text.get(..end)?).ok()?;
                let clean_end = text
                    .get(end)
                    .is_none_or(|&b| !(b.is_ascii_alphanumeric() || b == b'_'));
                (clean_end && credential::parse(kind, candidate).is_ok()).then_some(end)
            }
        }
    }

    /// Whether a match may start after `before` (the preceding byte): a credential is not
    /// the tail of a longer word (`xeyJ...` is not a JWT).
    pub fn starts_cleanly(&self, before: Option<u8>) -> bool {
        before.is_none_or(|b| !(is_b64url(b) || b == b'.'))
    }
}

/// The length of a compact JWS at the start of `text`: three non-empty base64url runs
/// joined by dots, whose first decodes to a JSON object naming an `alg`.
fn jwt_len(text: &[u8]) -> Option<usize> {
    let limit = text.len().min(MAX_JWT_LEN + 1);
    let text = &text[..limit];
    let run = |from: usize| {
        text[from..]
            .iter()
            .position(|&b| !is_b64url(b))
            .map_or(text.len(), |n| from + n)
    };
    let header_end = run(0);
    if text.get(header_end) != Some(&b'.') {
        return None;
    }
    let payload_end = run(header_end + 1);
    if payload_end == header_end + 1 || text.get(payload_end) != Some(&b'.') {
        return None;
    }
    let end = run(payload_end + 1);
    // A fourth segment makes it a JWE or something else: not ours.
    if end == payload_end + 1 || end > MAX_JWT_LEN || text.get(end) == Some(&b'.') {
        return None;
    }
    let header = std::str::from_utf8(&text[..header_end]).ok()?;
    let header = crate::codec::b64::decode(header).ok()?;
    let header: serde_json::Value = serde_json::from_slice(&header).ok()?;
    header.get("alg")?.as_str()?;
    Some(end)
}

/// A credential's fingerprint: the first 16 hex digits of its SHA-256. Identifies a finding
/// across reports without printing the secret; [`token_hash`] is the full hash.
pub fn fingerprint(token: &str) -> String {
    token_hash(token)[..16].to_owned()
}

/// The credential's SHA-256, lower-case hex (the partner program's `token_hash`).
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    out
}

/// What may be shown of a credential: its first `n` characters (a JWT's header, which holds
/// no secret), never more than half of it.
pub fn shown_prefix(token: &str, n: usize) -> &str {
    let n = n.min(token.len() / 2);
    let mut end = n;
    while !token.is_char_boundary(end) {
        end -= 1;
    }
    &token[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

    fn jwt() -> &'static CredentialFormat {
        &FORMATS[0]
    }

    #[test]
    fn a_compact_jws_is_matched_to_its_end() {
        let text = format!("{EXAMPLE}\" rest");
        assert_eq!(jwt().match_at(text.as_bytes()), Some(EXAMPLE.len()));
        assert_eq!(jwt().match_at(EXAMPLE.as_bytes()), Some(EXAMPLE.len()));
    }

    #[test]
    fn look_alikes_are_not_matched() {
        for text in [
            "eyJhbGciOiJIUzI1NiJ9",                  // one segment
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0",  // two
            "eyJhbGciOiJIUzI1NiJ9..sig",             // empty payload
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.", // empty signature
            "eyJub3RhbGciOjF9.eyJzdWIiOiJhIn0.c2ln", // header without alg
            "eyJ!!!.a.b",
            "eyJhbGciOiJIUzI1NiJ9.a.b.c", // four segments
            "eyJxx.yy.zz",                // header not JSON
        ] {
            assert_eq!(jwt().match_at(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn a_match_must_not_continue_a_word() {
        assert!(jwt().starts_cleanly(None));
        assert!(jwt().starts_cleanly(Some(b'"')));
        assert!(jwt().starts_cleanly(Some(b' ')));
        assert!(!jwt().starts_cleanly(Some(b'x')));
        assert!(!jwt().starts_cleanly(Some(b'.')));
    }

    #[test]
    fn adding_a_prefixed_checksummed_format_is_one_table_entry() {
        // A made-up format: `pct_` + 6 characters whose byte sum is even.
        let format = CredentialFormat {
            kind: "example_key",
            prefix: "pct_",
            shape: Shape::Prefixed {
                len: 6,
                checksum: |body| body.iter().map(|&b| u32::from(b)).sum::<u32>() % 2 == 0,
            },
        };
        assert_eq!(format.match_at(b"pct_aaaaaa rest"), Some(10));
        assert_eq!(format.match_at(b"pct_aaaaab rest"), None, "bad checksum");
        assert_eq!(format.match_at(b"pct_aaaaaaa"), None, "too long");
        assert_eq!(format.match_at(b"pct_aaa"), None, "too short");
    }

    #[test]
    fn the_gates_opaque_credentials_are_found_only_with_a_valid_checksum() {
        use crate::grant::secrets::{ApiKey, ApiKeyId, GrantId, RefreshToken};
        let rt = RefreshToken {
            grant: GrantId([3; 16]),
            generation: 0,
            secret: [4; 20],
        }
        .encode();
        let key = ApiKey {
            id: ApiKeyId([5; 12]),
            secret: [6; 20],
        }
        .encode();
        for (token, kind) in [(rt.as_str(), "refresh_token"), (key.as_str(), "api_key")] {
            let format = FORMATS.iter().find(|f| f.kind == kind).unwrap();
            assert!(token.starts_with(format.prefix));
            let text = format!("{token}\" rest");
            assert_eq!(
                format.match_at(text.as_bytes()),
                Some(token.len()),
                "{kind}"
            );
            // One character changed: the checksum no longer holds.
            let mut broken = token.as_bytes().to_vec();
            broken[9] = if broken[9] == b'a' { b'b' } else { b'a' };
            assert_eq!(format.match_at(&broken), None, "{kind} broken");
            assert_eq!(
                format.match_at(format!("{token}x").as_bytes()),
                None,
                "longer"
            );
            assert_eq!(format.match_at(&token.as_bytes()[..token.len() - 1]), None);
        }
        // A documentation example with the right shape and a made-up checksum.
        let fake = format!("pcak_{}", "A".repeat(49));
        assert!(FORMATS
            .iter()
            .all(|f| f.match_at(fake.as_bytes()).is_none()));
    }

    #[test]
    fn fingerprints_and_prefixes_never_show_the_secret() {
        assert_eq!(fingerprint(EXAMPLE).len(), 16);
        assert_eq!(token_hash("abc").len(), 64);
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(shown_prefix(EXAMPLE, 12), "eyJhbGciOiJI");
        assert_eq!(shown_prefix("short", 12), "sh");
    }
}
