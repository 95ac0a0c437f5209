//! Leaked credentials: how to recognize ours in text ([`mod@format`]), whether one still works
//! ([`mod@assess`]), and the secret-scanning partner protocol that reports them to us
//! ([`partner`]). Pure, like the rest of the core: the scanner (the `portcullis scan` CLI)
//! and the Worker's `POST <admin>/leaks` do the reading, the signature check and the writes.

pub mod assess;
pub mod format;
pub mod partner;

pub use assess::{assess, Assessment, TokenFacts};
pub use format::{fingerprint, CredentialFormat, Shape, FORMATS};
