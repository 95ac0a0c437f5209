//! Portcullis: an edge token gate.
//!
//! # Design
//! The crate is a sans-I/O core: it knows nothing of Workers, files or clocks; every function
//! takes values (and `now`) and returns values. Its folders, by concern:
//! - [`codec`]: canonical base64url and strict JSON, as the token profile needs them;
//! - [`jwt`]: the key ring, token parsing, claims, verification and minting;
//! - [`routes`]: path normalization and the route table;
//! - [`revocation`]: revocation entries, the snapshot isolates hold, admin request parsing;
//! - [`signed`]: signed URLs and cookies, and the CDN formats users migrate from;
//! - [`ratelimit`]: per-subject rate limits (the rule model and the 429's headers);
//! - [`sender`]: sender-constrained tokens (mTLS and DPoP bindings), decided purely;
//! - [`http`]: the gate's decisions for one request and the one decision-to-HTTP map;
//! - [`schema`]: the one table of setting names and rule keys, and "did you mean";
//! - [`config`]: the gate's settings, loaded and checked;
//! - [`time`]: times for people (ISO 8601 and "in 4m 12s" / "3m ago", `now` passed in).
//!
//! Two fronts use it: `portcullis-worker` (the Cloudflare Worker: bindings and I/O in, core
//! decisions out) and `portcullis-cli` (the `portcullis` command).
#![forbid(unsafe_code)]

pub mod codec;
pub mod config;
pub mod grant;
pub mod http;
pub mod jwt;
pub mod leaks;
pub mod ratelimit;
pub mod revocation;
pub mod routes;
pub mod schema;
pub mod sender;
pub mod signed;
pub mod time;
