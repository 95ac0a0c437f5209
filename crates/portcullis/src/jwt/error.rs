//! Every reason a token, a key ring or a mint request is refused, as data.
//!
//! Variants carry the values that were compared (times, lengths, algorithms), never a token,
//! a signature or key material, so an error can always be logged. What a *client* may see is
//! decided by the HTTP layer ([`crate::http`]), not here.

use core::fmt;

// The codec's problems are re-exported here, where the token and key-ring errors that wrap
// them live, so `portcullis::jwt::error::*` names every reason a token is refused.
pub use crate::codec::b64::EncodingProblem;
pub use crate::codec::json::JsonProblem;
use crate::jwt::alg::Alg;
use crate::jwt::identifier::IdentifierProblem;
use crate::time;

/// Which of the three compact-serialization segments a problem was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// The protected header.
    Header,
    /// The claims.
    Payload,
    /// The MAC tag.
    Signature,
}

impl Segment {
    fn name(self) -> &'static str {
        match self {
            Segment::Header => "header",
            Segment::Payload => "payload",
            Segment::Signature => "signature",
        }
    }
}

/// Why a token was rejected by [`crate::jwt::verify::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// Longer than the configured maximum; nothing was decoded.
    TooLong {
        /// The token's length in bytes.
        len: usize,
        /// The configured maximum.
        max: usize,
    },
    /// Not exactly three dot-separated segments.
    SegmentCount {
        /// How many segments were found.
        found: usize,
    },
    /// A segment is not canonical unpadded base64url.
    Encoding {
        /// Where.
        segment: Segment,
        /// What.
        problem: EncodingProblem,
    },
    /// The header or payload is not a duplicate-free UTF-8 JSON object.
    Json {
        /// Where.
        segment: Segment,
        /// What.
        problem: JsonProblem,
    },
    /// A header or claim member has the wrong JSON type (e.g. `kid` is a number).
    MemberType {
        /// Where.
        segment: Segment,
        /// The member's name.
        member: &'static str,
    },
    /// The header has no `alg`.
    MissingAlgorithm,
    /// `alg` is `none` in some spelling: an unsecured JWS.
    UnsecuredAlgorithm,
    /// `alg` names no algorithm this profile knows (compared case-sensitively).
    UnsupportedAlgorithm,
    /// `alg` is known, but the verifier does not allow it.
    AlgorithmNotAllowed(Alg),
    /// `alg` differs from the algorithm of the key the token selects.
    AlgorithmKeyMismatch {
        /// The token's `alg`.
        token: Alg,
        /// The selected key's `alg`.
        key: Alg,
    },
    /// The header lists `crit` extensions; none are supported (RFC 7515 4.1.11).
    CriticalHeader,
    /// The header has `b64` (RFC 7797 unencoded payload); not supported.
    UnencodedPayload,
    /// The header has `zip`: compressed payloads are not supported.
    Compressed,
    /// `cty` says `JWT`: nested tokens are not supported.
    NestedToken,
    /// `typ` is present and is neither `JWT` nor `at+jwt`.
    UnexpectedType,
    /// The token names a `kid` the key ring does not hold.
    UnknownKeyId,
    /// The token names no `kid` and the key ring holds more than one key.
    MissingKeyId,
    /// The tag's length is not the full output of the hash.
    TagLength {
        /// The length the algorithm produces.
        expected: usize,
        /// The length found.
        found: usize,
    },
    /// The tag does not match (compared in constant time).
    BadSignature,
    /// There is no `exp` claim.
    MissingExpiry,
    /// A NumericDate claim is a string (e.g. `"exp": "1700000000"`).
    NumericClaimIsString(&'static str),
    /// A NumericDate claim is a number outside the range of a timestamp.
    NumericClaimOutOfRange(&'static str),
    /// `now >= exp + leeway`.
    Expired {
        /// The token's `exp`.
        exp: i64,
        /// The verifier's `now`.
        now: i64,
        /// The allowed clock skew.
        leeway: u64,
    },
    /// `nbf > now + leeway`.
    NotYetValid {
        /// The token's `nbf`.
        nbf: i64,
        /// The verifier's `now`.
        now: i64,
        /// The allowed clock skew.
        leeway: u64,
    },
    /// `iat > now + leeway`.
    IssuedInFuture {
        /// The token's `iat`.
        iat: i64,
        /// The verifier's `now`.
        now: i64,
        /// The allowed clock skew.
        leeway: u64,
    },
    /// The token has `aud` but the verifier has no audience configured.
    AudienceNotConfigured,
    /// The verifier has an audience the token's `aud` lacks (or the token has no `aud`).
    AudienceMismatch,
    /// The verifier has an issuer and the token's `iss` differs (or is absent).
    IssuerMismatch,
    /// The lifetime (`exp - iat`, or `exp - now` without `iat`) exceeds the maximum.
    LifetimeTooLong {
        /// The token's lifetime in seconds.
        lifetime: i64,
        /// The configured maximum.
        max: u64,
    },
    /// `sub` or `jti` is an identifier the revocation list cannot hold (empty, too long, or
    /// with a control character), so the token could not be revoked by it.
    UnrevocableClaim {
        /// `"sub"` or `"jti"`.
        claim: &'static str,
        /// What is wrong with it.
        problem: IdentifierProblem,
    },
}

impl TokenError {
    /// A stable machine-readable code for logs, problem types and tests.
    pub fn code(&self) -> &'static str {
        use TokenError::*;
        match self {
            TooLong { .. } => "token_too_long",
            SegmentCount { .. } => "malformed",
            Encoding { .. } => "bad_encoding",
            Json { .. } => "bad_json",
            MemberType { .. } => "bad_member_type",
            MissingAlgorithm => "missing_alg",
            UnsecuredAlgorithm => "alg_none",
            UnsupportedAlgorithm => "unsupported_alg",
            AlgorithmNotAllowed(_) => "alg_not_allowed",
            AlgorithmKeyMismatch { .. } => "alg_key_mismatch",
            CriticalHeader => "crit_unsupported",
            UnencodedPayload => "b64_unsupported",
            Compressed => "zip_unsupported",
            NestedToken => "nested_token",
            UnexpectedType => "unexpected_typ",
            UnknownKeyId => "unknown_kid",
            MissingKeyId => "missing_kid",
            TagLength { .. } => "bad_tag_length",
            BadSignature => "bad_signature",
            MissingExpiry => "missing_exp",
            NumericClaimIsString(_) => "numeric_claim_is_string",
            NumericClaimOutOfRange(_) => "numeric_claim_out_of_range",
            Expired { .. } => "expired",
            NotYetValid { .. } => "not_yet_valid",
            IssuedInFuture { .. } => "issued_in_future",
            AudienceNotConfigured => "audience_not_configured",
            AudienceMismatch => "audience_mismatch",
            IssuerMismatch => "issuer_mismatch",
            LifetimeTooLong { .. } => "lifetime_too_long",
            UnrevocableClaim { .. } => "unrevocable_claim",
        }
    }
}

impl TokenError {
    /// What a client may be told: the class of the problem in general terms, never the
    /// server's clock, leeway, limits or configuration (those stay in [`fmt::Display`], for
    /// the audit log and the CLI).
    pub fn client_detail(&self) -> &'static str {
        use TokenError::*;
        match self {
            TooLong { .. } => "the token is too long",
            SegmentCount { .. } => "the token is not a compact JWS (three dot-separated parts)",
            Encoding { .. } => "the token is not canonical unpadded base64url",
            Json { .. } => "the token's header or claims are not an acceptable JSON object",
            MemberType { .. } => "a header member or claim of the token has the wrong type",
            MissingAlgorithm => "the token's header has no `alg`",
            UnsecuredAlgorithm => "unsecured tokens (`alg: none`) are refused",
            UnsupportedAlgorithm | AlgorithmNotAllowed(_) => {
                "the token's algorithm is not accepted"
            }
            AlgorithmKeyMismatch { .. } => "the token's algorithm does not match its key",
            CriticalHeader | UnencodedPayload | Compressed | NestedToken => {
                "the token uses a JWS feature that is not supported"
            }
            UnexpectedType => "the token's `typ` is not accepted",
            UnknownKeyId | MissingKeyId => "the token does not identify a key this gate accepts",
            TagLength { .. } | BadSignature => "the token's signature does not verify",
            MissingExpiry => "the token has no `exp` claim",
            NumericClaimIsString(_) | NumericClaimOutOfRange(_) => {
                "a time claim of the token is not a valid NumericDate"
            }
            Expired { .. } => "the token has expired",
            NotYetValid { .. } => "the token is not valid yet",
            IssuedInFuture { .. } => "the token's `iat` is in the future",
            AudienceNotConfigured | AudienceMismatch => "the token is not for this audience",
            IssuerMismatch => "the token is not from an accepted issuer",
            LifetimeTooLong { .. } => "the token's lifetime is longer than this gate accepts",
            UnrevocableClaim { .. } => {
                "the token's `sub` or `jti` is not an identifier this gate can revoke"
            }
        }
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use TokenError::*;
        match self {
            TooLong { len, max } => write!(f, "token is {len} bytes, over the {max}-byte limit"),
            SegmentCount { found } => {
                write!(
                    f,
                    "token has {found} segment(s); a JWS compact token has exactly 3"
                )
            }
            Encoding { segment, problem } => {
                write!(f, "{} segment {}", segment.name(), problem.predicate())
            }
            Json { segment, problem } => {
                write!(f, "{} {}", segment.name(), problem.predicate())
            }
            MemberType { segment, member } => {
                write!(f, "{} member `{member}` has the wrong type", segment.name())
            }
            MissingAlgorithm => f.write_str("header has no `alg`"),
            UnsecuredAlgorithm => f.write_str("unsecured token (`alg: none`) refused"),
            UnsupportedAlgorithm => f.write_str("`alg` is not HS256, HS384 or HS512"),
            AlgorithmNotAllowed(a) => {
                write!(f, "algorithm {} is not allowed by this verifier", a.name())
            }
            AlgorithmKeyMismatch { token, key } => write!(
                f,
                "token says {} but its key is for {}",
                token.name(),
                key.name()
            ),
            CriticalHeader => f.write_str("`crit` header extensions are not supported"),
            UnencodedPayload => f.write_str("`b64` (unencoded payload) is not supported"),
            Compressed => f.write_str("`zip` (compressed payload) is not supported"),
            NestedToken => f.write_str("nested tokens (`cty: JWT`) are not supported"),
            UnexpectedType => f.write_str("`typ` is neither JWT nor at+jwt"),
            UnknownKeyId => f.write_str("token names a `kid` that is not in the key ring"),
            MissingKeyId => f.write_str("token has no `kid` and the key ring holds several keys"),
            TagLength { expected, found } => {
                write!(
                    f,
                    "signature is {found} bytes; the algorithm produces {expected}"
                )
            }
            BadSignature => f.write_str("signature does not match"),
            MissingExpiry => f.write_str("token has no `exp` claim"),
            NumericClaimIsString(c) => {
                write!(f, "claim `{c}` is a string; it must be a JSON number")
            }
            NumericClaimOutOfRange(c) => write!(f, "claim `{c}` is out of range"),
            Expired { exp, now, leeway } => write!(
                f,
                "token expired at {}, leeway {leeway}s",
                time::human(*exp, *now)
            ),
            NotYetValid { nbf, now, leeway } => write!(
                f,
                "token not valid before {}, leeway {leeway}s",
                time::human(*nbf, *now)
            ),
            IssuedInFuture { iat, now, leeway } => write!(
                f,
                "token issued in the future at {}, leeway {leeway}s",
                time::human(*iat, *now)
            ),
            AudienceNotConfigured => {
                f.write_str("token has an audience but this verifier has none configured")
            }
            AudienceMismatch => f.write_str("token is not for this audience"),
            IssuerMismatch => f.write_str("token is not from the expected issuer"),
            LifetimeTooLong { lifetime, max } => {
                write!(f, "token lifetime {lifetime}s exceeds the {max}s maximum")
            }
            UnrevocableClaim { claim, problem } => {
                write!(
                    f,
                    "claim `{claim}` {problem}, so the token could not be revoked"
                )
            }
        }
    }
}

impl std::error::Error for TokenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TokenError::Encoding { problem, .. } => Some(problem),
            TokenError::Json { problem, .. } => Some(problem),
            _ => None,
        }
    }
}

/// Why a JWK Set cannot be loaded as a key ring. Names keys by position and `kid`; never
/// carries key material.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyringError {
    /// Not JSON, or JSON with duplicate member names.
    Json(JsonProblem),
    /// The document has no `keys` array.
    NotAKeySet,
    /// `keys` is empty.
    Empty,
    /// A key is not a JSON object.
    KeyNotAnObject {
        /// Position in `keys`.
        index: usize,
    },
    /// A member is missing or has the wrong type.
    Member {
        /// Position in `keys`.
        index: usize,
        /// The member.
        member: &'static str,
    },
    /// `kty` is not `oct`.
    UnsupportedKeyType {
        /// Position in `keys`.
        index: usize,
    },
    /// `alg` is not HS256, HS384 or HS512.
    UnsupportedAlgorithm {
        /// Position in `keys`.
        index: usize,
    },
    /// `k` is not canonical unpadded base64url.
    KeyEncoding {
        /// Position in `keys`.
        index: usize,
        /// What.
        problem: EncodingProblem,
    },
    /// The key is shorter than its hash's output (RFC 7518 3.2).
    WeakKey {
        /// Position in `keys`.
        index: usize,
        /// The key's `kid`, if any.
        kid: Option<String>,
        /// The key's algorithm.
        alg: Alg,
        /// Its length in bytes.
        len: usize,
    },
    /// `use` is present and not `sig`.
    NotASigningKey {
        /// Position in `keys`.
        index: usize,
    },
    /// `key_ops` is present and lacks `verify`.
    NotAVerificationKey {
        /// Position in `keys`.
        index: usize,
    },
    /// A key has no `kid` in a set of several keys.
    MissingKeyId {
        /// Position in `keys`.
        index: usize,
    },
    /// Two keys share a `kid`.
    DuplicateKeyId(String),
    /// More than one key carries `key_ops: ["sign", ...]`.
    SeveralSigningKeys,
}

impl fmt::Display for KeyringError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use KeyringError::*;
        match self {
            Json(p) => write!(f, "key set {}", p.predicate()),
            NotAKeySet => {
                f.write_str("key set has no `keys` array (expected a JWK Set, RFC 7517 section 5)")
            }
            Empty => f.write_str("key set holds no keys"),
            KeyNotAnObject { index } => write!(f, "keys[{index}] is not a JSON object"),
            Member { index, member } => {
                write!(
                    f,
                    "keys[{index}]: member `{member}` is missing or has the wrong type"
                )
            }
            UnsupportedKeyType { index } => write!(f, "keys[{index}]: `kty` must be \"oct\""),
            UnsupportedAlgorithm { index } => {
                write!(f, "keys[{index}]: `alg` must be HS256, HS384 or HS512")
            }
            KeyEncoding { index, problem } => {
                write!(f, "keys[{index}]: `k` {}", problem.predicate())
            }
            WeakKey {
                index,
                kid,
                alg,
                len,
            } => write!(
                f,
                "keys[{index}]{}: {len}-byte key is too short for {} (needs at least {} bytes)",
                kid.as_deref()
                    .map(|k| format!(" (kid {k:?})"))
                    .unwrap_or_default(),
                alg.name(),
                alg.output_len()
            ),
            NotASigningKey { index } => write!(f, "keys[{index}]: `use` must be \"sig\""),
            NotAVerificationKey { index } => {
                write!(f, "keys[{index}]: `key_ops` must include \"verify\"")
            }
            MissingKeyId { index } => {
                write!(
                    f,
                    "keys[{index}] has no `kid`; every key needs one when the set holds several"
                )
            }
            DuplicateKeyId(kid) => write!(f, "two keys share kid {kid:?}"),
            SeveralSigningKeys => f.write_str("more than one key has \"sign\" in `key_ops`"),
        }
    }
}

impl std::error::Error for KeyringError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            KeyringError::Json(problem) => Some(problem),
            KeyringError::KeyEncoding { problem, .. } => Some(problem),
            _ => None,
        }
    }
}

/// Why a token could not be minted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MintError {
    /// The key ring has no key designated for signing, and none was named.
    NoSigningKey,
    /// The named `kid` is not in the key ring.
    UnknownKeyId(String),
    /// The named key is verify-only while another key signs.
    NotTheSigningKey {
        /// The key named.
        kid: String,
        /// The ring's signing key.
        signer: String,
    },
    /// The requested lifetime exceeds the configured maximum.
    TtlTooLong {
        /// Requested, in seconds.
        ttl: u64,
        /// Allowed, in seconds.
        max: u64,
    },
    /// A lifetime of zero seconds.
    ZeroTtl,
    /// An extra claim would overwrite a registered one (`exp`, `iat`, ...).
    ReservedClaim(String),
    /// The system random number generator failed.
    Random,
    /// The subject is an identifier the gate could not revoke, so it would refuse the token
    /// ([`crate::jwt::identifier::identifier_problem`]).
    UnrevocableSubject(IdentifierProblem),
}

impl fmt::Display for MintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MintError::NoSigningKey => {
                f.write_str("the key set has no signing key; name one with --kid or mark one with key_ops [\"sign\", \"verify\"]")
            }
            MintError::UnknownKeyId(k) => write!(f, "no key with kid {k:?} in the key set"),
            MintError::NotTheSigningKey { kid, signer } => write!(
                f,
                "key {kid:?} is verify-only; {signer:?} signs (promote {kid:?} first with `portcullis keys promote`)"
            ),
            MintError::TtlTooLong { ttl, max } => {
                write!(f, "ttl {ttl}s exceeds the configured maximum of {max}s")
            }
            MintError::ZeroTtl => f.write_str("ttl must be at least one second"),
            MintError::ReservedClaim(c) => {
                write!(f, "claim {c:?} is set by portcullis itself; use the dedicated option")
            }
            MintError::Random => f.write_str("the system random number generator failed"),
            MintError::UnrevocableSubject(problem) => {
                write!(f, "the subject {problem}; the gate would refuse the token")
            }
        }
    }
}

impl std::error::Error for MintError {}

#[cfg(test)]
mod tests {
    use super::*;

    /// One of every variant, with values a leak would show (numbers, the leeway, limits).
    fn every_token_error() -> Vec<TokenError> {
        use TokenError::*;
        vec![
            TooLong {
                len: 9000,
                max: 8192,
            },
            SegmentCount { found: 2 },
            Encoding {
                segment: Segment::Payload,
                problem: EncodingProblem::Padding,
            },
            Json {
                segment: Segment::Header,
                problem: JsonProblem::Syntax,
            },
            MemberType {
                segment: Segment::Header,
                member: "kid",
            },
            MissingAlgorithm,
            UnsecuredAlgorithm,
            UnsupportedAlgorithm,
            AlgorithmNotAllowed(Alg::HS512),
            AlgorithmKeyMismatch {
                token: Alg::HS256,
                key: Alg::HS384,
            },
            CriticalHeader,
            UnencodedPayload,
            Compressed,
            NestedToken,
            UnexpectedType,
            UnknownKeyId,
            MissingKeyId,
            TagLength {
                expected: 32,
                found: 16,
            },
            BadSignature,
            MissingExpiry,
            NumericClaimIsString("exp"),
            NumericClaimOutOfRange("nbf"),
            Expired {
                exp: 1_700_000_000,
                now: 1_700_000_100,
                leeway: 30,
            },
            NotYetValid {
                nbf: 1_700_000_100,
                now: 1_700_000_000,
                leeway: 30,
            },
            IssuedInFuture {
                iat: 1_700_000_100,
                now: 1_700_000_000,
                leeway: 30,
            },
            AudienceNotConfigured,
            AudienceMismatch,
            IssuerMismatch,
            LifetimeTooLong {
                lifetime: 90_000,
                max: 86_400,
            },
        ]
    }

    #[test]
    fn client_detail_never_echoes_the_servers_clock_leeway_or_limits() {
        for e in every_token_error() {
            let shown = e.client_detail();
            assert!(
                !shown
                    .replace("base64url", "")
                    .bytes()
                    .any(|b| b.is_ascii_digit()),
                "{}: {shown}",
                e.code()
            );
            assert!(!shown.contains("leeway"), "{}: {shown}", e.code());
        }
    }

    #[test]
    fn display_keeps_the_full_detail_for_the_audit_log() {
        let expired = TokenError::Expired {
            exp: 1_700_000_000,
            now: 1_700_000_100,
            leeway: 30,
        };
        assert_eq!(
            expired.to_string(),
            "token expired at 2023-11-14T22:13:20Z (1m 40s ago), leeway 30s"
        );
        assert_eq!(expired.client_detail(), "the token has expired");
    }
}
