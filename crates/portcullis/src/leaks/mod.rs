//! Leaked credentials: how to recognize ours in text ([`mod@format`]), whether a JWT still
//! works ([`mod@assess`]), which grant or API key an opaque one opens ([`mod@issued`]), and
//! the secret-scanning partner protocol that reports them to us ([`partner`]). Pure, like the rest of the core: the scanner (the `portcullis scan` CLI)
//! and the Worker's `POST <admin>/leaks` do the reading, the signature check and the writes.

pub mod assess;
pub mod format;
pub mod issued;
pub mod partner;

pub use assess::{assess, Assessment, TokenFacts};
pub use format::{fingerprint, CredentialFormat, Shape, FORMATS};
pub use issued::{issued_target, IssuedTarget};
