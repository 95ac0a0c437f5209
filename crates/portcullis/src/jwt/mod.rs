//! JWTs under the strict profile: the key ring, parsing, claims, verification and minting.

pub mod alg;
pub mod claims;
pub mod error;
pub mod keyring;
pub mod mint;
pub mod token;
pub mod verify;
