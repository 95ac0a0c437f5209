//! Encodings the gate needs: canonical base64url and strict JSON (the token profile), and
//! percent-encoding (form bodies, query parameter names, header values).
//!
//! The bottom layer of the core: it imports nothing else from the crate, and each codec
//! names its own failures ([`b64::EncodingProblem`], [`json::JsonProblem`]); the layers above
//! wrap them with where they were found (for example `TokenError::Encoding { segment, .. }`).

pub mod b64;
pub mod json;
pub mod percent;
