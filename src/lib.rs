//! Portcullis: an edge token gate.
//!
//! # Design
//! The crate is a sans-I/O core plus thin fronts:
//! - the core ([`token`], [`keyring`], [`claims`], [`verify`], [`mint`], [`policy`],
//!   [`revocation`], [`gate`], [`forwarding`], [`admin`], [`config`]) knows nothing of Workers,
//!   files or clocks: every function takes values (and `now`) and returns values;
//! - `edge` (wasm32 only) is the Cloudflare Worker: bindings in, a [`gate::Decision`] out;
//! - `src/bin/portcullis` is the native CLI over the same core.
#![forbid(unsafe_code)]

pub mod admin;
pub mod b64;
pub mod claims;
pub mod config;
pub mod error;
pub mod forwarding;
pub mod gate;
pub mod json;
pub mod keyring;
pub mod mint;
pub mod policy;
pub mod revocation;
pub mod token;
pub mod verify;

#[cfg(target_arch = "wasm32")]
mod edge;
