//! Which identifiers (`jti`, `sub`, `kid`) the gate accepts: exactly those the revocation
//! list can hold, so every accepted token can be revoked by each of its identifiers.

use core::fmt;

/// Longest `jti`, `sub` or `kid` the admin API accepts, in bytes.
pub const MAX_IDENTIFIER_LEN: usize = 256;

/// Why an identifier (`jti`, `sub` or `kid`) cannot be revoked.
///
/// One rule serves the verifier (a token whose `sub` or `jti` breaks it is refused), the key
/// ring (a `kid` that breaks it is not loaded) and the admin API (a revoke request naming one
/// is refused): so every token the gate accepts can be revoked by each of its identifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentifierProblem {
    /// The empty string.
    Empty,
    /// Longer than [`MAX_IDENTIFIER_LEN`] bytes.
    TooLong {
        /// Its length, in bytes.
        len: usize,
    },
    /// Holds a control character (U+0000 to U+001F, U+007F).
    ControlCharacter,
}

impl fmt::Display for IdentifierProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdentifierProblem::Empty => f.write_str("is empty"),
            IdentifierProblem::TooLong { .. } => f.write_str("is too long"),
            IdentifierProblem::ControlCharacter => f.write_str("holds a control character"),
        }
    }
}

/// Checks that `id` can be revoked: non-empty, at most [`MAX_IDENTIFIER_LEN`] bytes, no
/// control character.
///
/// Such an identifier always fits the store: base64url makes its KV key at most
/// `4 * 256 / 3` bytes (well under
/// Workers KV's 512-byte key limit), and without control characters JSON
/// escapes at most `"` and `\`, doubling it at worst, so an entry's metadata stays under
/// KV's 1,024-byte metadata limit (the revocation module's test
/// `every_valid_identifier_fits_the_store` checks both).
pub fn identifier_problem(id: &str) -> Option<IdentifierProblem> {
    if id.is_empty() {
        Some(IdentifierProblem::Empty)
    } else if id.len() > MAX_IDENTIFIER_LEN {
        Some(IdentifierProblem::TooLong { len: id.len() })
    } else if id.bytes().any(|b| b < 0x20 || b == 0x7f) {
        Some(IdentifierProblem::ControlCharacter)
    } else {
        None
    }
}
