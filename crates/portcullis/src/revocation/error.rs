//! Errors of the revocation store: stored JSON that cannot be read ([`DecodeError`]), an
//! entry that does not fit KV or cannot be read ([`RevocationError`]), and a KV call that
//! failed ([`StoreError`]). Their `Display` is written for the operator's log: it names the
//! operation and the limit, never a token.

use std::fmt;

use serde::{Deserialize, Serialize, Serializer};

use super::kind::RevocationKind;

/// Reads only `"v"` (ignoring every other field), so a future version is reported as such
/// rather than as a shape error.
pub(super) fn check_version(json: &str, expected: u64) -> Result<(), DecodeError> {
    #[derive(Deserialize)]
    struct VersionProbe {
        v: Option<u64>,
    }
    let probe: VersionProbe = serde_json::from_str(json)?;
    match probe.v {
        None => Err(DecodeError::MissingVersion),
        Some(v) if v != expected => Err(DecodeError::UnsupportedVersion { found: v }),
        Some(_) => Ok(()),
    }
}

/// Why stored entry or snapshot JSON could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// Not JSON, or cut short.
    Syntax {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
    },
    /// JSON, but not the expected shape: a missing, unknown or mistyped field.
    Shape {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
    },
    /// No `"v"` field.
    MissingVersion,
    /// A version this build does not read.
    UnsupportedVersion {
        /// The version found.
        found: u64,
    },
    /// An entry whose fields do not match its `kind` (e.g. `"sub"` without `"before"`, or
    /// with a `"jti"` as well).
    FieldsDisagreeWithKind {
        /// The kind the entry claims.
        kind: RevocationKind,
    },
    /// A snapshot listing one target twice.
    DuplicateTarget {
        /// The list it appears twice in.
        kind: RevocationKind,
    },
}

impl From<serde_json::Error> for DecodeError {
    fn from(e: serde_json::Error) -> DecodeError {
        let (line, column) = (e.line(), e.column());
        match e.classify() {
            serde_json::error::Category::Data => DecodeError::Shape { line, column },
            _ => DecodeError::Syntax { line, column },
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Syntax { line, column } => {
                write!(f, "invalid JSON at line {line}, column {column}")
            }
            DecodeError::Shape { line, column } => {
                write!(f, "unexpected JSON shape at line {line}, column {column}")
            }
            DecodeError::MissingVersion => f.write_str("no version field \"v\""),
            DecodeError::UnsupportedVersion { found } => write!(f, "unsupported version {found}"),
            DecodeError::FieldsDisagreeWithKind { kind } => {
                write!(f, "fields do not match kind \"{kind}\"")
            }
            DecodeError::DuplicateTarget { kind } => write!(f, "a {kind} is listed twice"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Errors of the storage side of revocation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevocationError {
    /// The KV key for this identifier would exceed KV's key limit.
    KeyTooLong {
        /// Length the key would have, in bytes.
        len: usize,
        /// The limit, [`MAX_KV_KEY_LEN`](super::MAX_KV_KEY_LEN).
        max: usize,
    },
    /// The entry's JSON exceeds KV's metadata limit.
    MetadataTooLarge {
        /// Length of the JSON, in bytes.
        len: usize,
        /// The limit, [`MAX_KV_METADATA_LEN`](super::MAX_KV_METADATA_LEN).
        max: usize,
    },
    /// Stored entry JSON could not be read.
    MalformedEntry(DecodeError),
    /// Stored snapshot JSON could not be read.
    MalformedSnapshot(DecodeError),
    /// The writer's feed JSON could not be read.
    MalformedFeed(DecodeError),
    /// The compact list in KV (its manifest, chunks or bytes) could not be read.
    MalformedCompactList(super::compact::CompactError),
    /// A feed whose changes are not in strictly increasing version order within its range.
    FeedOutOfOrder {
        /// The first version out of place.
        version: u64,
    },
}

impl fmt::Display for RevocationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RevocationError::KeyTooLong { len, max } => {
                write!(
                    f,
                    "revocation KV key would be {len} bytes, over the {max}-byte limit"
                )
            }
            RevocationError::MetadataTooLarge { len, max } => {
                write!(
                    f,
                    "revocation metadata is {len} bytes, over the {max}-byte limit"
                )
            }
            RevocationError::MalformedEntry(e) => write!(f, "malformed revocation entry: {e}"),
            RevocationError::MalformedSnapshot(e) => {
                write!(f, "malformed revocation snapshot: {e}")
            }
            RevocationError::MalformedFeed(e) => write!(f, "malformed revocation feed: {e}"),
            RevocationError::MalformedCompactList(e) => {
                write!(f, "malformed compact revocation list: {e}")
            }
            RevocationError::FeedOutOfOrder { version } => {
                write!(f, "revocation feed out of order at version {version}")
            }
        }
    }
}

impl std::error::Error for RevocationError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RevocationError::MalformedEntry(e)
            | RevocationError::MalformedSnapshot(e)
            | RevocationError::MalformedFeed(e) => Some(e),
            RevocationError::MalformedCompactList(e) => Some(e),
            _ => None,
        }
    }
}

/// A KV operation, as named in a [`StoreError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KvOperation {
    /// `get` (the snapshot).
    Get,
    /// `put` (an entry, its metadata, or the snapshot).
    Put,
    /// `list` (the entries).
    List,
    /// `delete` (a pruned entry).
    Delete,
}

impl KvOperation {
    /// The KV method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            KvOperation::Get => "get",
            KvOperation::Put => "put",
            KvOperation::List => "list",
            KvOperation::Delete => "delete",
        }
    }
}

impl fmt::Display for KvOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why reading or writing the revocation list in KV failed.
///
/// The runtime's own message is kept as text (the core knows nothing of the Worker's error
/// type); it names a binding or a KV failure, and no KV key or value holds a token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreError {
    /// The KV namespace binding is missing or is not a KV namespace.
    Binding {
        /// The binding's name.
        binding: &'static str,
        /// The runtime's message.
        detail: String,
    },
    /// A KV call failed.
    Kv {
        /// The call.
        op: KvOperation,
        /// The runtime's message.
        detail: String,
    },
    /// What the store holds, or was about to be given, does not fit the revocation model: a
    /// malformed snapshot, or an entry over KV's limits.
    Revocation(RevocationError),
    /// The single writer (the Durable Object) could not be reached or answered an error.
    Writer {
        /// What failed: the runtime's message or the writer's status.
        detail: String,
    },
}

impl From<super::compact::CompactError> for RevocationError {
    fn from(e: super::compact::CompactError) -> RevocationError {
        RevocationError::MalformedCompactList(e)
    }
}

impl From<RevocationError> for StoreError {
    fn from(e: RevocationError) -> StoreError {
        StoreError::Revocation(e)
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Binding { binding, detail } => write!(f, "KV binding {binding}: {detail}"),
            StoreError::Kv { op, detail } => write!(f, "KV {op}: {detail}"),
            StoreError::Revocation(e) => e.fmt(f),
            StoreError::Writer { detail } => write!(f, "revocation writer: {detail}"),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Revocation(e) => Some(e),
            _ => None,
        }
    }
}

/// Serializes as its `Display` text, so the Worker's JSON log lines carry the message.
impl Serialize for StoreError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revocation::RevocationSnapshot;

    #[test]
    fn revocation_error_display_names_the_problem() {
        let e = RevocationSnapshot::from_json(r#"{"v":3}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "malformed revocation snapshot: unsupported version 3"
        );
        assert!(std::error::Error::source(&e).is_some());
    }

    #[test]
    fn store_error_display_names_the_operation_and_serializes_as_its_text() {
        let e = StoreError::Kv {
            op: KvOperation::List,
            detail: "network".to_owned(),
        };
        assert_eq!(e.to_string(), "KV list: network");
        assert_eq!(serde_json::to_value(&e).unwrap(), "KV list: network");
        let e = StoreError::Binding {
            binding: "REVOCATIONS",
            detail: "not bound".to_owned(),
        };
        assert_eq!(e.to_string(), "KV binding REVOCATIONS: not bound");
        // A model error reads as before it was wrapped, and stays reachable as the source.
        let inner = RevocationSnapshot::from_json("{").unwrap_err();
        let e = StoreError::from(inner.clone());
        assert_eq!(e.to_string(), inner.to_string());
        assert!(std::error::Error::source(&e).is_some());
    }
}
