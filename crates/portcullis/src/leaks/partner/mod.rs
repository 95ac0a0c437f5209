//! GitHub's secret-scanning partner program, the pure half: GitHub `POST`s every match of
//! our token pattern to `<admin prefix>/leaks` as a JSON array of `{token, type, url,
//! source}`, signed with ECDSA P-256 / SHA-256 over the raw body (`Github-Public-Key-Signature`,
//! base64 DER) by the key named in `Github-Public-Key-Identifier`, one of the keys GitHub
//! publishes as `{"public_keys": [{key_identifier, key, is_current}]}`.
//!
//! Here: the configured keys ([`ReporterKeys`]), the request's limits and parsing
//! ([`parse_report`]), key selection and DER-to-raw signature conversion ([`signed_by`]),
//! and the decision ([`decide`]): each reported token that is ours and live is revoked
//! with reason `leaked`, and the answer is GitHub's feedback array. The Worker checks the
//! signature itself with WebCrypto (`ECDSA`, P-256, SHA-256, IEEE P1363 `r || s`), which
//! costs the wasm no elliptic-curve code.

mod decision;
mod error;
mod keys;
mod report;
mod signature;

pub use decision::{decide, feedback, Label, LeakFinding};
pub use error::LeakReportError;
pub use keys::{ReporterKey, ReporterKeys, ReporterKeysError};
pub use report::{parse_report, ReportedToken, MAX_REPORTED_TOKENS, MAX_REPORT_BODY_LEN};
pub use signature::{der_to_raw, signed_by, SignedReport};

/// The header naming the signing key.
pub const KEY_ID_HEADER: &str = "github-public-key-identifier";
/// The header holding the base64 DER signature.
pub const SIGNATURE_HEADER: &str = "github-public-key-signature";

/// A valid P-256 public key in PEM, for other modules' tests.
#[cfg(test)]
pub(crate) fn tests_support_pem() -> String {
    keys::tests::pem()
}
