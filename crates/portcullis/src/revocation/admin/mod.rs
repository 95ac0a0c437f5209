//! Admin request bodies: the revoke request ([`parse_revoke_request`]), the key-revocation
//! guard ([`check_key_revocation`]) and token introspection ([`parse_introspect_request`]).
//! Each rejection is an [`AdminRequestError`] variant with its own problem code.

mod body;
mod error;
mod introspect;
mod key;
mod revoke;
#[cfg(test)]
mod tests;

pub use error::AdminRequestError;
pub use introspect::parse_introspect_request;
pub use key::{check_key_revocation, KeyRevocationRefusal};
pub use revoke::{parse_revoke_order, parse_revoke_request, RevokeOrder, RevokeRequest};

/// Largest admin request body (revoke or introspect) accepted, in bytes.
pub const MAX_ADMIN_BODY_LEN: usize = 8 * 1024;
