//! Portcullis: an edge token gate.
//!
//! # Design
//! The crate is a sans-I/O core plus thin fronts:
//! - the core ([`token`], [`keyring`], [`claims`], [`verify`], [`mint`], [`policy`],
//!   [`revocation`], [`gate`], [`config`]) knows nothing of Workers, files or clocks: every
//!   function takes values (and `now`) and returns values;
//! - `portcullis-worker` is the Cloudflare Worker: bindings in, a gate decision out;
//! - `portcullis-cli` is the native `portcullis` command over the same core.
#![forbid(unsafe_code)]

pub mod codec;
pub mod config;
pub mod http;
pub mod jwt;
pub mod revocation;
pub mod routes;
