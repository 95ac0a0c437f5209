//! Scope narrowing (RFC 6749 sections 3.3 and 6): a request may ask for less than was
//! granted, never more.

use std::fmt;

/// Why a requested scope is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeError {
    /// A scope token that was not granted.
    NotGranted(String),
}

impl fmt::Display for ScopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScopeError::NotGranted(s) => write!(f, "scope {s:?} was not granted"),
        }
    }
}

/// The scope for one token: `requested` if every token of it is in `granted`, `granted`
/// when nothing (or only whitespace) is requested. Duplicates are dropped, order kept.
pub fn narrow(granted: &str, requested: Option<&str>) -> Result<String, ScopeError> {
    let Some(requested) = requested.filter(|r| !r.trim().is_empty()) else {
        return Ok(normalize(granted));
    };
    let have: Vec<&str> = granted.split_ascii_whitespace().collect();
    let mut out: Vec<&str> = Vec::new();
    for s in requested.split_ascii_whitespace() {
        if !have.contains(&s) {
            return Err(ScopeError::NotGranted(s.to_owned()));
        }
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out.join(" "))
}

/// Space-separated tokens, single spaces, duplicates dropped.
pub fn normalize(scope: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for s in scope.split_ascii_whitespace() {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrows_and_refuses_widening() {
        assert_eq!(narrow("a b c", None).unwrap(), "a b c");
        assert_eq!(narrow("a  b", Some("  ")).unwrap(), "a b");
        assert_eq!(narrow("a b c", Some("c a a")).unwrap(), "c a");
        assert_eq!(
            narrow("a b", Some("a z")),
            Err(ScopeError::NotGranted("z".into()))
        );
        assert_eq!(
            narrow("", Some("a")),
            Err(ScopeError::NotGranted("a".into()))
        );
    }
}
