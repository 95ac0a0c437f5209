//! Encodings the strict profile needs: canonical base64url and strict JSON.

pub mod b64;
pub mod json;
