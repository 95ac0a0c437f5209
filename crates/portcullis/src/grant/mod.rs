//! Tokens that renew themselves: grants (sessions) with refresh-token rotation and reuse
//! detection, and API keys exchanged for short-lived access tokens. Pure, like the rest of
//! the core: random bytes and `now` come in; the Worker keeps each grant in a Durable Object.
//!
//! - [`credential`]: the `pcrt_`/`pcak_` format (prefix, base62 body, CRC-32 checksum) and
//!   the detector table for leak scanners;
//! - [`secrets`]: what a refresh token and an API key carry, and their stored digests;
//! - [`state`]: the grant state machine; [`apikey`]: API key records;
//! - [`oauth`]: the token endpoint's form parser, RFC 6749 answers and errors;
//! - [`requests`]: the issuing endpoints' bodies, and refusals as RFC 6749 errors;
//! - [`access`]: access tokens minted for a grant or a key, under the verified profile;
//! - [`scope`]: narrowing, never widening;
//! - [`leak`]: a leaked refresh token or key, checked and revoked in its store;
//! - [`index`]: each subject's grants, for listing and ending them;
//! - [`service`]: what a grant object and the key store do with one call (the Durable
//!   Objects are glue around it).

pub mod access;
pub mod apikey;
pub mod credential;
pub mod index;
pub mod leak;
pub mod oauth;
pub mod reply;
pub mod requests;
pub mod scope;
pub mod secrets;
pub mod service;
pub mod state;

/// The scope that lets an application open grants (`POST <admin prefix>/grants`).
pub const ISSUE_SCOPE: &str = "portcullis:issue";
