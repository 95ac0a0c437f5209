//! Why a revocation was made: a closed set, so the audit log, the console and any report can
//! count and filter by it. Absent from stored data means [`RevocationReason::Admin`], the
//! only reason before reasons were recorded.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why something was revoked.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RevocationReason {
    /// An operator decided (the admin API, the CLI, the console); the default.
    #[default]
    Admin,
    /// The credential was found exposed: by `portcullis scan`, or reported by a
    /// secret-scanning partner (`POST <admin>/leaks`).
    Leaked,
    /// A single-use credential (a refresh token) was presented a second time.
    Reuse,
    /// The holder ended the session.
    Logout,
}

impl RevocationReason {
    /// Every reason, in order.
    pub const ALL: [RevocationReason; 4] = [
        RevocationReason::Admin,
        RevocationReason::Leaked,
        RevocationReason::Reuse,
        RevocationReason::Logout,
    ];

    /// The reason as written: `"admin"`, `"leaked"`, `"reuse"`, `"logout"`.
    pub fn as_str(self) -> &'static str {
        match self {
            RevocationReason::Admin => "admin",
            RevocationReason::Leaked => "leaked",
            RevocationReason::Reuse => "reuse",
            RevocationReason::Logout => "logout",
        }
    }

    /// The reason written `name`, if it is one.
    pub fn parse(name: &str) -> Option<RevocationReason> {
        RevocationReason::ALL
            .into_iter()
            .find(|r| r.as_str() == name)
    }

    /// Whether this is the default, which stored entries omit.
    pub fn is_default(&self) -> bool {
        *self == RevocationReason::Admin
    }
}

impl fmt::Display for RevocationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reason_parses_from_its_name_and_serializes_to_it() {
        for r in RevocationReason::ALL {
            assert_eq!(RevocationReason::parse(r.as_str()), Some(r));
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
        }
        assert_eq!(RevocationReason::parse("Leaked"), None);
        assert_eq!(RevocationReason::parse(""), None);
        assert_eq!(RevocationReason::default(), RevocationReason::Admin);
    }
}
