//! Why a compact list, or the manifest and chunks it was published in, cannot be read.

use std::fmt;

use crate::revocation::error::DecodeError;

/// Why bytes could not be read as a compact list. The reader never panics and never reads a
/// damaged list as a shorter one: the caller keeps the list it has, or fails closed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CompactError {
    /// Shorter than the header.
    Truncated {
        /// Bytes found.
        len: usize,
    },
    /// Not a compact list (wrong magic).
    NotACompactList,
    /// A format this build does not read.
    UnsupportedFormat {
        /// The format found.
        found: u16,
    },
    /// The body is not the length the header says, or the counts do not fit it.
    LengthMismatch {
        /// Bytes the header and counts call for.
        expected: u64,
        /// Bytes found.
        found: u64,
    },
    /// The body's checksum differs from the header's.
    ChecksumMismatch,
    /// A section is not strictly increasing (a duplicate or an unsorted entry).
    NotSorted {
        /// `"digests"`, `"subjects"` or `"keys"`.
        section: &'static str,
    },
    /// A key id that is not UTF-8 or runs past the body.
    BadKeyId,
    /// A chunked list whose manifest or chunks do not agree (see [`Manifest`](super::Manifest)).
    Chunks(ChunkError),
}

impl fmt::Display for CompactError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompactError::Truncated { len } => {
                write!(
                    f,
                    "compact list truncated: {len} bytes, shorter than its header"
                )
            }
            CompactError::NotACompactList => f.write_str("not a compact revocation list"),
            CompactError::UnsupportedFormat { found } => {
                write!(f, "unsupported compact list format {found}")
            }
            CompactError::LengthMismatch { expected, found } => write!(
                f,
                "compact list body is {found} bytes, its header calls for {expected}"
            ),
            CompactError::ChecksumMismatch => f.write_str("compact list checksum mismatch"),
            CompactError::NotSorted { section } => {
                write!(f, "compact list {section} are not strictly increasing")
            }
            CompactError::BadKeyId => f.write_str("compact list holds an invalid key id"),
            CompactError::Chunks(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for CompactError {}

/// Why a manifest, or the chunks it names, cannot make a list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChunkError {
    /// The manifest JSON could not be read.
    Manifest(DecodeError),
    /// A manifest whose chunk count does not fit its byte count, exceeds [`MAX_CHUNKS`](super::MAX_CHUNKS),
    /// or whose id is not a safe key segment.
    BadManifest,
    /// A chunk the manifest names is absent (expired, or not yet visible here).
    Missing {
        /// Its index.
        index: u32,
    },
    /// A chunk of the wrong length.
    WrongLength {
        /// Its index.
        index: u32,
    },
}

impl fmt::Display for ChunkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChunkError::Manifest(e) => write!(f, "compact list manifest: {e}"),
            ChunkError::BadManifest => f.write_str("compact list manifest is inconsistent"),
            ChunkError::Missing { index } => write!(f, "compact list chunk {index} is missing"),
            ChunkError::WrongLength { index } => {
                write!(f, "compact list chunk {index} has the wrong length")
            }
        }
    }
}

impl From<ChunkError> for CompactError {
    fn from(e: ChunkError) -> CompactError {
        CompactError::Chunks(e)
    }
}
