//! Every reason a signed link is refused, as data. Each is its own 403 problem document
//! (`urn:portcullis:problem:<code>`, mapped in [`crate::http::denial`]); `Display` names the
//! values compared for the audit log, never a signature or a key.

use core::fmt;

/// Why a signed URL, signed cookie or compatibility token is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignedUrlError {
    /// A signed rule, and the request carries no signature in the place the format uses.
    Missing,
    /// A signature parameter twice, a field that is not a number, an encoding that does not
    /// decode, a field the format does not know.
    Malformed {
        /// What is wrong, in general terms (never the value).
        what: &'static str,
    },
    /// The link names a `kid` the key ring does not hold (or none, with several keys).
    UnknownKeyId,
    /// The MAC does not match: the link was altered or signed with another key.
    Tampered,
    /// Signed correctly, for another method.
    WrongMethod {
        /// The method the link was signed for.
        signed: String,
        /// The request's method.
        request: String,
    },
    /// Signed correctly, for another path or prefix.
    WrongPath,
    /// Signed correctly, and past its expiry.
    Expired {
        /// When it expired, seconds since the epoch.
        exp: i64,
        /// The gate's clock.
        now: i64,
    },
    /// Signed correctly, and not valid yet (Akamai `st`).
    NotYetValid {
        /// When it starts.
        start: i64,
        /// The gate's clock.
        now: i64,
    },
    /// Signed correctly, with an expiry further away than the gate accepts.
    LifetimeTooLong {
        /// The link's expiry.
        exp: i64,
        /// The gate's clock.
        now: i64,
        /// The longest remaining lifetime accepted, seconds.
        max: u64,
    },
    /// Signed correctly, for another client address (Akamai `ip`).
    WrongClient,
    /// Signed with a key whose `kid` is revoked.
    KeyRevoked,
}

impl SignedUrlError {
    /// The stable code: the problem `type`'s last part and the audit `reason`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Missing => "signature_missing",
            Self::Malformed { .. } => "signature_malformed",
            Self::UnknownKeyId => "signature_unknown_kid",
            Self::Tampered => "signature_mismatch",
            Self::WrongMethod { .. } => "signed_for_another_method",
            Self::WrongPath => "signed_for_another_path",
            Self::Expired { .. } => "signature_expired",
            Self::NotYetValid { .. } => "signature_not_yet_valid",
            Self::LifetimeTooLong { .. } => "signature_lifetime_too_long",
            Self::WrongClient => "signed_for_another_client",
            Self::KeyRevoked => "signature_key_revoked",
        }
    }

    /// What the client is told: general terms, no clock, no limit, no key.
    pub fn client_detail(&self) -> &'static str {
        match self {
            Self::Missing => "this route requires a signed link",
            Self::Malformed { .. } => "the link's signature parameters are malformed",
            Self::UnknownKeyId => "the link names a key this gate does not hold",
            Self::Tampered => "the link's signature does not match",
            Self::WrongMethod { .. } => "the link was signed for another method",
            Self::WrongPath => "the link was signed for another path",
            Self::Expired { .. } => "the link has expired",
            Self::NotYetValid { .. } => "the link is not valid yet",
            Self::LifetimeTooLong { .. } => "the link lives longer than this gate accepts",
            Self::WrongClient => "the link was signed for another client",
            Self::KeyRevoked => "the link's key has been revoked",
        }
    }
}

impl fmt::Display for SignedUrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed { what } => write!(f, "malformed signed link: {what}"),
            Self::WrongMethod { signed, request } => {
                write!(f, "signed for {signed}, requested with {request}")
            }
            Self::Expired { exp, now } => write!(f, "expired at {exp}, now {now}"),
            Self::NotYetValid { start, now } => write!(f, "valid from {start}, now {now}"),
            Self::LifetimeTooLong { exp, now, max } => {
                write!(f, "expires at {exp}, more than {max} s after now {now}")
            }
            other => f.write_str(other.client_detail()),
        }
    }
}

impl std::error::Error for SignedUrlError {}
