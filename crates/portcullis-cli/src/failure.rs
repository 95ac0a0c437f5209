//! Every way a command can fail, as data, with its exit code and its one-line message.
//!
//! Messages name files, kids and sizes, never key material or a token: the core's errors
//! carry none, and nothing here adds any.

use std::fmt;
use std::io;
use std::path::PathBuf;

use portcullis::config::ConfigError;
use portcullis::jwt::error::{KeyringError, MintError, TokenError};

/// Why a command did not succeed.
#[derive(Debug)]
pub enum Failure {
    /// `verify`: the token was rejected. Exit 1.
    Rejected(TokenError),
    /// `verify-url`: the signed link was rejected. Exit 1.
    LinkRejected(portcullis::signed::SignedUrlError),
    /// `inspect`: the token cannot be decoded at all. Exit 1.
    Undecodable(TokenError),
    /// A key file could not be read or written.
    KeyFileIo {
        /// The file.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// Why it failed.
        source: io::Error,
    },
    /// A key file is not a valid key set (or an edit would make it one that is not).
    KeyFile {
        /// The file.
        path: PathBuf,
        /// Why.
        problem: KeyringError,
    },
    /// A key set edit was refused (duplicate kid, retiring the signer, ...).
    KeySetEdit {
        /// The file.
        path: PathBuf,
        /// Why, in words.
        reason: String,
    },
    /// `check-config`: the gate's configuration is invalid. Exit 1.
    Config(ConfigError),
    /// `check-config`: a config file is malformed (the line, never its text). Exit 1.
    ConfigFile {
        /// The file.
        path: PathBuf,
        /// The 1-based line, when known.
        line: Option<usize>,
        /// What is wrong.
        reason: String,
    },
    /// `check-config`: a config file could not be read.
    ConfigFileIo {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The token could not be minted.
    Mint(MintError),
    /// Reading the token from standard input failed.
    Stdin(io::Error),
    /// Writing the result to standard output failed.
    Stdout(io::Error),
    /// A result could not be serialized as JSON (a map with non-string keys, say; the
    /// values printed here never have one, but serde_json's signature allows it).
    Serialize(serde_json::Error),
    /// Arguments that parse but make no sense together (clap reports the rest itself).
    Usage(String),
    /// The operating system's random number generator failed.
    Random,
    /// The gate answered an admin call with an error status. Exit 1.
    Refused {
        /// The HTTP method of the call.
        method: String,
        /// The HTTP status.
        status: u16,
        /// The problem document's `title`, if there was one.
        title: Option<String>,
        /// The problem document's `detail`, if there was one.
        detail: Option<String>,
    },
    /// `scan`: live credentials were found (and maybe revoked by the scan). Exit 1.
    LiveCredentials {
        /// Live findings.
        count: usize,
        /// Refresh tokens and API keys of ours whose liveness was not checked.
        unchecked: usize,
        /// How many of them this scan revoked.
        revoked: usize,
    },
    /// `scan`: some files could not be read, so the scan is incomplete. Exit 2.
    ScanIncomplete {
        /// Files not read.
        unreadable: usize,
    },
    /// The gate could not be reached, or answered something unreadable. Exit 2.
    Http {
        /// The URL called.
        url: String,
        /// Why.
        reason: String,
    },
}

impl Failure {
    /// The process exit status for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Rejected(_)
            | Failure::LinkRejected(_)
            | Failure::Undecodable(_)
            | Failure::Config(_)
            | Failure::ConfigFile { .. }
            | Failure::Refused { .. }
            | Failure::LiveCredentials { .. } => 1,
            Failure::KeyFileIo { .. }
            | Failure::KeyFile { .. }
            | Failure::KeySetEdit { .. }
            | Failure::ConfigFileIo { .. }
            | Failure::Mint(_)
            | Failure::Stdin(_)
            | Failure::Stdout(_)
            | Failure::Serialize(_)
            | Failure::Usage(_)
            | Failure::Random
            | Failure::Http { .. }
            | Failure::ScanIncomplete { .. } => 2,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Rejected(e) => write!(f, "rejected: {e} ({})", e.code()),
            Failure::LinkRejected(e) => write!(f, "rejected: {e} ({})", e.code()),
            Failure::Undecodable(e) => write!(f, "cannot decode token: {e} ({})", e.code()),
            Failure::KeyFileIo {
                path,
                action,
                source,
            } => {
                write!(f, "cannot {action} key file {}: {source}", path.display())
            }
            Failure::KeyFile { path, problem } => {
                write!(f, "key file {}: {problem}", path.display())
            }
            Failure::KeySetEdit { path, reason } => {
                write!(
                    f,
                    "key file {}: {reason}; nothing was changed",
                    path.display()
                )
            }
            Failure::Config(ConfigError::Missing(name)) if is_secret(name) => write!(
                f,
                "{name}: not set; it is a secret: for a deployment run `wrangler secret put {name}`, \
                 for wrangler dev add it to .dev.vars (`make dev` writes one)"
            ),
            Failure::Config(ConfigError::Missing(name)) => write!(f, "{name}: not set"),
            // "SETTING: what is wrong" (ConfigError's Display); never a setting's text.
            Failure::Config(e) => write!(f, "{e}"),
            Failure::ConfigFile { path, line, reason } => match line {
                Some(line) => write!(f, "{} line {line}: {reason}", path.display()),
                None => write!(f, "{}: {reason}", path.display()),
            },
            Failure::ConfigFileIo { path, source } => {
                write!(f, "cannot read {}: {source}", path.display())
            }
            Failure::Mint(e) => write!(f, "cannot mint: {e}"),
            Failure::Stdin(e) => write!(f, "cannot read the token from standard input: {e}"),
            Failure::Stdout(e) => write!(f, "cannot write to standard output: {e}"),
            Failure::Serialize(e) => write!(f, "cannot write the result as JSON: {e}"),
            Failure::Usage(msg) => f.write_str(msg),
            Failure::Random => f.write_str("the system random number generator failed"),
            Failure::Refused {
                method,
                status,
                title,
                detail,
            } => {
                write!(f, "the gate refused the {method} ({status})")?;
                match (title, detail) {
                    (Some(t), Some(d)) => write!(f, ": {t}: {d}"),
                    (Some(t), None) | (None, Some(t)) => write!(f, ": {t}"),
                    (None, None) => Ok(()),
                }
            }
            Failure::Http { url, reason } => write!(f, "cannot call {url}: {reason}"),
            Failure::LiveCredentials {
                count,
                unchecked,
                revoked,
            } => {
                write!(f, "{count} live credential finding(s)")?;
                if *unchecked > 0 {
                    write!(
                        f,
                        ", {unchecked} unchecked (a refresh token or API key: --endpoint asks the gate)"
                    )?;
                }
                if *revoked > 0 {
                    write!(f, "; {revoked} credential(s) revoked with reason leaked")?;
                }
                Ok(())
            }
            Failure::ScanIncomplete { unreadable } => {
                write!(f, "{unreadable} file(s) could not be read; the scan is incomplete")
            }
        }
    }
}

/// Settings that belong in `wrangler secret put`, not in wrangler.toml.
fn is_secret(name: &str) -> bool {
    portcullis::schema::setting(name)
        .is_some_and(|s| s.kind == portcullis::schema::SettingKind::Secret)
}

impl From<MintError> for Failure {
    fn from(e: MintError) -> Self {
        Failure::Mint(e)
    }
}
