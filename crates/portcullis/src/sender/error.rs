//! Every reason a sender-constrained presentation is refused, each with its own code.

use core::fmt;

/// Why a token's binding was not satisfied. [`BindingError::code`] is the problem type and
/// audit reason; `Display` is for the audit log; [`BindingError::client_detail`] is what a
/// client is shown (never the server's clock or settings).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BindingError {
    /// `cnf` is present but binds to nothing this gate checks (or to two things).
    UnsupportedConfirmation,
    /// The route requires a bound token (of a kind) and this one is not.
    BindingRequired,
    /// `Authorization: DPoP` with a token that is not DPoP-bound.
    DpopSchemeForUnboundToken,
    /// A DPoP-bound token presented as a bearer token (RFC 9449 7.2).
    BoundTokenAsBearer,
    /// A sender-constrained token where only bearer tokens are taken (the admin API).
    BoundTokenNotAccepted,
    /// A certificate-bound token without a client certificate.
    CertificateMissing,
    /// The client certificate was presented but the platform did not verify it.
    CertificateNotVerified {
        /// The platform's `certVerified` value.
        status: String,
    },
    /// The platform's fingerprint is not 64 hex digits.
    CertificateFingerprintMalformed,
    /// The certificate is not the one the token is bound to.
    CertificateMismatch,
    /// No `DPoP` header.
    ProofMissing,
    /// More than one `DPoP` header field.
    ProofMultiple,
    /// The proof is not a well-formed JWS with the members RFC 9449 4.2 requires.
    ProofMalformed {
        /// What is wrong, in the protocol's words.
        what: &'static str,
    },
    /// `typ` is not `dpop+jwt`.
    ProofWrongType,
    /// `alg` is not in the allowlist (`none` and HMAC never are).
    ProofAlgorithmNotAllowed {
        /// The proof's `alg`.
        alg: String,
    },
    /// The header `jwk` is not a public key of the proof's algorithm.
    ProofKeyInvalid,
    /// The header `jwk` carries private key members.
    ProofPrivateKey,
    /// The proof's signature does not verify under its `jwk`.
    ProofBadSignature,
    /// `htm` is not the request method.
    ProofMethodMismatch,
    /// `htu` is not the request URL.
    ProofUrlMismatch,
    /// `iat` is outside the accepted window around `now`.
    ProofIatOutOfWindow {
        /// The proof's `iat`.
        iat: i64,
        /// The gate's clock.
        now: i64,
        /// The window, in seconds either side.
        window: u64,
    },
    /// `ath` is not the hash of the presented token.
    ProofTokenHashMismatch,
    /// The proof's key is not the one the token is bound to (`cnf.jkt`).
    ProofKeyMismatch,
    /// This proof's `jti` was already used with this key within the window.
    ProofReplayed,
    /// The replay cache is full: the proof cannot be checked for replay, so it is refused.
    ReplayCacheFull,
    /// Nonces are required and the proof has none, or one that is not current: the client
    /// must retry with the nonce in the `DPoP-Nonce` answer header.
    UseNonce {
        /// Whether the proof carried a nonce (a stale or forged one) or none.
        had_nonce: bool,
    },
}

impl BindingError {
    /// The stable reason code.
    pub fn code(&self) -> &'static str {
        use BindingError::*;
        match self {
            UnsupportedConfirmation => "unsupported_confirmation",
            BindingRequired => "binding_required",
            DpopSchemeForUnboundToken => "dpop_scheme_unbound_token",
            BoundTokenAsBearer => "bound_token_as_bearer",
            BoundTokenNotAccepted => "bound_token_not_accepted",
            CertificateMissing => "client_certificate_missing",
            CertificateNotVerified { .. } => "client_certificate_unverified",
            CertificateFingerprintMalformed => "client_certificate_fingerprint_malformed",
            CertificateMismatch => "client_certificate_mismatch",
            ProofMissing => "dpop_proof_missing",
            ProofMultiple => "dpop_proof_multiple",
            ProofMalformed { .. } => "dpop_proof_malformed",
            ProofWrongType => "dpop_proof_wrong_type",
            ProofAlgorithmNotAllowed { .. } => "dpop_proof_alg_not_allowed",
            ProofKeyInvalid => "dpop_proof_key_invalid",
            ProofPrivateKey => "dpop_proof_private_key",
            ProofBadSignature => "dpop_proof_bad_signature",
            ProofMethodMismatch => "dpop_proof_htm_mismatch",
            ProofUrlMismatch => "dpop_proof_htu_mismatch",
            ProofIatOutOfWindow { .. } => "dpop_proof_iat_out_of_window",
            ProofTokenHashMismatch => "dpop_proof_ath_mismatch",
            ProofKeyMismatch => "dpop_proof_key_mismatch",
            ProofReplayed => "dpop_proof_replayed",
            ReplayCacheFull => "dpop_replay_cache_full",
            UseNonce { .. } => "use_dpop_nonce",
        }
    }

    /// Whether the fault is in the DPoP proof (RFC 9449 `invalid_dpop_proof`) rather than in
    /// the token or its presentation (`invalid_token`).
    pub fn is_proof_error(&self) -> bool {
        use BindingError::*;
        matches!(
            self,
            ProofMissing
                | ProofMultiple
                | ProofMalformed { .. }
                | ProofWrongType
                | ProofAlgorithmNotAllowed { .. }
                | ProofKeyInvalid
                | ProofPrivateKey
                | ProofBadSignature
                | ProofMethodMismatch
                | ProofUrlMismatch
                | ProofIatOutOfWindow { .. }
                | ProofTokenHashMismatch
                | ProofKeyMismatch
                | ProofReplayed
        )
    }

    /// What the client is shown.
    pub fn client_detail(&self) -> &'static str {
        use BindingError::*;
        match self {
            UnsupportedConfirmation => "the token's confirmation (cnf) is not supported here",
            BindingRequired => "this route requires a sender-constrained token",
            DpopSchemeForUnboundToken => "the DPoP scheme is only for DPoP-bound tokens",
            BoundTokenAsBearer => "a DPoP-bound token must be presented with the DPoP scheme",
            BoundTokenNotAccepted => "sender-constrained tokens are not accepted here",
            CertificateMissing => "the token is bound to a client certificate; none was presented",
            CertificateNotVerified { .. } => "the client certificate was not verified",
            CertificateFingerprintMalformed => "the client certificate could not be identified",
            CertificateMismatch => "the token is bound to another client certificate",
            ProofMissing => "a DPoP proof is required",
            ProofMultiple => "exactly one DPoP proof is required",
            ProofMalformed { what } => what,
            ProofWrongType => "the DPoP proof's typ must be dpop+jwt",
            ProofAlgorithmNotAllowed { .. } => "the DPoP proof's alg is not accepted",
            ProofKeyInvalid => "the DPoP proof's jwk is not a valid public key for its alg",
            ProofPrivateKey => "the DPoP proof's jwk must not contain private key members",
            ProofBadSignature => "the DPoP proof's signature does not verify",
            ProofMethodMismatch => "the DPoP proof's htm is not the request method",
            ProofUrlMismatch => "the DPoP proof's htu is not the request URL",
            ProofIatOutOfWindow { .. } => "the DPoP proof is too old or from the future",
            ProofTokenHashMismatch => "the DPoP proof's ath is not the hash of the access token",
            ProofKeyMismatch => "the DPoP proof's key is not the one the token is bound to",
            ProofReplayed => "the DPoP proof has already been used",
            ReplayCacheFull => "the gate cannot check DPoP proofs for replay now; retry shortly",
            UseNonce { .. } => "a fresh DPoP nonce is required; retry with the DPoP-Nonce value",
        }
    }
}

impl fmt::Display for BindingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use BindingError::*;
        match self {
            CertificateNotVerified { status } => {
                write!(
                    f,
                    "client certificate not verified (certVerified {status:?})"
                )
            }
            ProofAlgorithmNotAllowed { alg } => write!(f, "DPoP proof alg {alg:?} not allowed"),
            ProofIatOutOfWindow { iat, now, window } => {
                write!(f, "DPoP proof iat {iat} outside now {now} +/- {window} s")
            }
            UseNonce { had_nonce: true } => f.write_str("DPoP proof nonce stale or invalid"),
            UseNonce { had_nonce: false } => f.write_str("DPoP proof without the required nonce"),
            other => f.write_str(other.client_detail()),
        }
    }
}

impl std::error::Error for BindingError {}
