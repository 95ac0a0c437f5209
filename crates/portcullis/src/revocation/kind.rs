//! The four kinds of revocation, by the claim each matches on. Its own module because both
//! the model (`entry`) and the errors (`error`) name it, and neither should import the other
//! both ways.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The kind of a [`super::Revocation`], without its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RevocationKind {
    /// By `jti`; written `"jti"`.
    #[serde(rename = "jti")]
    Token,
    /// By `sub` and cut-off; written `"sub"`.
    #[serde(rename = "sub")]
    Subject,
    /// By `kid`; written `"kid"`.
    #[serde(rename = "kid")]
    Key,
    /// By `sid`, a grant (session); written `"sid"`.
    #[serde(rename = "sid")]
    Session,
}

impl RevocationKind {
    /// The claim this kind matches on: `"jti"`, `"sub"`, `"kid"` or `"sid"`.
    pub fn as_str(self) -> &'static str {
        match self {
            RevocationKind::Token => "jti",
            RevocationKind::Subject => "sub",
            RevocationKind::Key => "kid",
            RevocationKind::Session => "sid",
        }
    }
}

impl fmt::Display for RevocationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
