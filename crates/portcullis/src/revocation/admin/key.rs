//! The guard on revoking a key of the ring.

use std::fmt;

use crate::jwt::keyring::Keyring;
use crate::revocation::entry::Revocation;

/// Why a key revocation was refused; nothing is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRevocationRefusal {
    /// No key in the ring has this `kid`: revoking it would report success and revoke
    /// nothing (a typo, or the wrong deployment).
    NotInRing,
    /// The ring's signing key: every token minted from now on would be refused, admin
    /// tokens included. Needs `"confirm": true`.
    SigningKey,
    /// The key that verified the caller's own token: the caller locks themself out. Needs
    /// `"confirm": true`.
    CallersKey,
}

impl KeyRevocationRefusal {
    /// A stable code: the problem type's last part.
    pub fn code(self) -> &'static str {
        match self {
            KeyRevocationRefusal::NotInRing => "kid_not_in_ring",
            KeyRevocationRefusal::SigningKey => "signing_key_needs_confirm",
            KeyRevocationRefusal::CallersKey => "own_key_needs_confirm",
        }
    }
}

impl fmt::Display for KeyRevocationRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyRevocationRefusal::NotInRing => "no key in the key ring has this kid",
            KeyRevocationRefusal::SigningKey => {
                "this is the signing key: revoking it refuses every token it signs, admin \
                 tokens included; send \"confirm\": true to revoke it anyway"
            }
            KeyRevocationRefusal::CallersKey => {
                "this key verified your own token: revoking it locks you out; send \
                 \"confirm\": true to revoke it anyway"
            }
        })
    }
}

impl std::error::Error for KeyRevocationRefusal {}

/// Decides whether `kid` may be revoked by a caller whose token `caller_kid` verified.
///
/// Refuses a `kid` not in `ring` (always), and, unless `confirm`, the ring's signing key and
/// the caller's own key. Answers the revocation to write.
pub fn check_key_revocation(
    ring: &Keyring,
    caller_kid: Option<&str>,
    kid: &str,
    confirm: bool,
) -> Result<Revocation, KeyRevocationRefusal> {
    let key = ring.get(kid).ok_or(KeyRevocationRefusal::NotInRing)?;
    if !confirm {
        if key.signs() {
            return Err(KeyRevocationRefusal::SigningKey);
        }
        if caller_kid == Some(kid) {
            return Err(KeyRevocationRefusal::CallersKey);
        }
    }
    Ok(Revocation::Key {
        kid: kid.to_owned(),
    })
}
