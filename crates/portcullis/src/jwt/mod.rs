//! JWTs under the strict profile: the key ring, parsing, claims, verification and minting.
//!
//! Imports point one way, from the top of this list to the bottom (and down into
//! [`crate::codec`]):
//! - [`verify`] and [`mint`]: the two operations a caller runs;
//! - [`keyring`]: the keys, loaded from a JWK Set; it owns the `kid` length limit;
//! - [`token`] and [`claims`]: the compact form, the protected header and the claims;
//! - [`error`], [`alg`] and [`identifier`]: every refusal as data, the algorithms they name,
//!   and which identifiers a token may carry (those the revocation list can hold).

pub mod alg;
pub mod claims;
pub mod error;
pub mod identifier;
pub mod keyring;
pub mod mint;
pub mod token;
pub mod verify;
