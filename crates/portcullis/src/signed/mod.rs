//! Signed links: short-lived HMAC signatures bound to a resource, for what cannot send an
//! `Authorization` header (`<img>`, `<video>`, HLS segments, downloads, webhooks).
//!
//! A route rule chooses a format ([`crate::routes::SignedFormat`]):
//! - [`portcullis`]: Portcullis signed URLs and signed cookies, keyed by the token key ring;
//! - [`cloudflare`]: Cloudflare's `is_timed_hmac_valid_v0`;
//! - [`akamai`]: Akamai EdgeAuth / Auth Token 2.0.
//!
//! The compatibility formats' secrets are their own settings ([`EdgeKeys`]). Every refusal
//! is a [`SignedUrlError`]. Pure, like the rest of the core: `now` is an argument.

pub mod akamai;
pub mod cloudflare;
pub mod error;
pub mod portcullis;
pub mod query;

use core::fmt;

use zeroize::Zeroizing;

pub use error::SignedUrlError;

/// The compatibility formats' secrets (settings `PORTCULLIS_CLOUDFLARE_HMAC_KEY`,
/// `PORTCULLIS_AKAMAI_KEY`, `PORTCULLIS_AKAMAI_TRANSITION_KEY`, `PORTCULLIS_AKAMAI_SALT`).
/// Zeroized on drop, never printed.
#[derive(Clone, Default)]
pub struct EdgeKeys {
    /// The Cloudflare key: the UTF-8 bytes of the key string.
    pub cloudflare: Option<Zeroizing<Vec<u8>>>,
    /// The Akamai key, hex-decoded.
    pub akamai: Option<Zeroizing<Vec<u8>>>,
    /// The Akamai transition key, hex-decoded.
    pub akamai_transition: Option<Zeroizing<Vec<u8>>>,
    /// The Akamai salt.
    pub akamai_salt: Option<Zeroizing<String>>,
    /// The Akamai MAC's hash (`PORTCULLIS_AKAMAI_ALGORITHM`; not a secret): signing uses it,
    /// verifying accepts it and SHA-256.
    pub akamai_algorithm: akamai::AkamaiAlgorithm,
}

impl fmt::Debug for EdgeKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |v: bool| if v { "[set]" } else { "[unset]" };
        f.debug_struct("EdgeKeys")
            .field("cloudflare", &set(self.cloudflare.is_some()))
            .field("akamai", &set(self.akamai.is_some()))
            .field("akamai_transition", &set(self.akamai_transition.is_some()))
            .field("akamai_salt", &set(self.akamai_salt.is_some()))
            .field("akamai_algorithm", &self.akamai_algorithm)
            .finish()
    }
}
