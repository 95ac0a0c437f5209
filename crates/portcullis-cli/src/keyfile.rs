//! JWK Set files: loading them as a key ring, and editing them safely.
//!
//! Edits work on the parsed JSON document, not on a re-serialized [`Keyring`], so every
//! member a user wrote (comments-by-convention, `x5t`, extra fields) survives. An edit is
//! validated with [`Keyring::from_jwks`] before anything is written, and written atomically:
//! a temporary file in the same directory, fsync, then rename over the original (or a
//! no-clobber hard link when creating the file). A new file is created with mode 0600.
//!
//! `serde_json` is built without `preserve_order`, so a rewritten file has its members in
//! sorted order; the content is unchanged.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use portcullis::codec::json;
use portcullis::jwt::error::KeyringError;
use portcullis::jwt::keyring::Keyring;
use serde_json::{Map, Value};

use crate::{input, Failure};

/// Reads and loads a key file for signing or verifying.
pub fn load(path: &Path) -> Result<Keyring, Failure> {
    let text = read(path)?;
    Keyring::from_jwks(&text).map_err(|problem| Failure::KeyFile {
        path: path.to_owned(),
        problem,
    })
}

fn read(path: &Path) -> Result<String, Failure> {
    input::read_file(path).map_err(|e| match e {
        input::FileError::Io(source) => Failure::KeyFileIo {
            path: path.to_owned(),
            action: "read",
            source,
        },
        input::FileError::NotUtf8 => Failure::KeyFile {
            path: path.to_owned(),
            problem: KeyringError::Json(portcullis::jwt::error::JsonProblem::NotUtf8),
        },
    })
}

/// Which key signs: `None` for none, `Some(kid)` otherwise (a one-key set may have no kid).
pub type Signer = Option<Option<String>>;

/// The signer of a ring, as a comparable value.
pub fn signer(ring: &Keyring) -> Signer {
    ring.signing_key().map(|k| k.kid().map(str::to_owned))
}

/// A signer for messages: `k1`, `the unnamed key`, or `no key`.
pub fn describe(signer: &Signer) -> String {
    match signer {
        Some(Some(kid)) => format!("{kid:?}"),
        Some(None) => "the key without a kid".to_owned(),
        None => "no key".to_owned(),
    }
}

/// A key set file opened for editing.
pub struct KeySetFile {
    /// The path as given, for messages.
    shown: PathBuf,
    /// Where to write: the path with symlinks resolved, so a link keeps pointing at its file.
    target: PathBuf,
    /// The text read, to detect a concurrent change before replacing the file; `None` when
    /// the file does not exist yet.
    original: Option<String>,
    /// The parsed document.
    doc: Map<String, Value>,
    /// The ring the document holds now.
    ring: Option<Keyring>,
}

impl KeySetFile {
    /// Opens a key set for editing: `Ok(None)` when the file does not exist.
    pub fn open(path: &Path) -> Result<Option<KeySetFile>, Failure> {
        let target = match fs::canonicalize(path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(Failure::KeyFileIo {
                    path: path.to_owned(),
                    action: "open",
                    source,
                })
            }
        };
        let text = read(path)?;
        let bad = |problem| Failure::KeyFile {
            path: path.to_owned(),
            problem,
        };
        let doc = json::parse_object(text.as_bytes()).map_err(|p| bad(KeyringError::Json(p)))?;
        let ring = Keyring::from_jwks_value(&doc).map_err(bad)?;
        Ok(Some(KeySetFile {
            shown: path.to_owned(),
            target,
            original: Some(text),
            doc,
            ring: Some(ring),
        }))
    }

    /// Opens a key set that must exist.
    pub fn open_existing(path: &Path) -> Result<KeySetFile, Failure> {
        Self::open(path)?.ok_or_else(|| Failure::KeyFileIo {
            path: path.to_owned(),
            action: "open",
            source: io::Error::from(io::ErrorKind::NotFound),
        })
    }

    /// A key set that does not exist yet, holding `keys`.
    pub fn new(path: &Path, keys: Vec<Value>) -> KeySetFile {
        let mut doc = Map::new();
        doc.insert("keys".to_owned(), Value::Array(keys));
        KeySetFile {
            shown: path.to_owned(),
            target: path.to_owned(),
            original: None,
            doc,
            ring: None,
        }
    }

    /// The path as the user gave it.
    pub fn path(&self) -> &Path {
        &self.shown
    }

    /// The ring as loaded (not as edited). Only a file that was opened has one; asking a
    /// new file is a bug, reported as a refusal rather than a panic.
    pub fn ring(&self) -> Result<&Keyring, Failure> {
        self.ring.as_ref().ok_or_else(|| {
            self.refuse("a new key set has no loaded ring (a bug; please report it)")
        })
    }

    /// The `keys` array of the document (it exists: the document loaded as a key set).
    pub fn keys_mut(&mut self) -> &mut Vec<Value> {
        match self.doc.get_mut("keys") {
            Some(Value::Array(keys)) => keys,
            _ => unreachable!("a loaded key set has a `keys` array"),
        }
    }

    /// A refusal to edit this file.
    pub fn refuse(&self, reason: impl Into<String>) -> Failure {
        Failure::KeySetEdit {
            path: self.shown.clone(),
            reason: reason.into(),
        }
    }

    /// Validates the edited document, checks that the signing key is `expected`, and writes
    /// it atomically. Returns the new ring.
    pub fn save(self, expected: &Signer) -> Result<Keyring, Failure> {
        let mut text = serde_json::to_string_pretty(&self.doc).map_err(Failure::Serialize)?;
        text.push('\n');
        let ring = Keyring::from_jwks(&text)
            .map_err(|p| self.refuse(format!("the result would not be a valid key set: {p}")))?;
        let now = signer(&ring);
        if &now != expected {
            return Err(self.refuse(format!(
                "the signing key would change from {} to {} (a bug; please report it)",
                describe(expected),
                describe(&now)
            )));
        }
        self.write(&text)?;
        Ok(ring)
    }

    fn write(&self, text: &str) -> Result<(), Failure> {
        let io_err = |source| Failure::KeyFileIo {
            path: self.shown.clone(),
            action: "write",
            source,
        };
        let dir = match self.target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => PathBuf::from("."),
        };
        let name = self
            .target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut salt = [0u8; 4];
        getrandom::fill(&mut salt).map_err(|_| Failure::Random)?;
        let salt: String = salt.iter().map(|b| format!("{b:02x}")).collect();
        let tmp = dir.join(format!(".{name}.{}.{salt}.tmp", std::process::id()));

        let result = (|| -> Result<(), Failure> {
            let existing = match &self.original {
                Some(_) => Some(fs::metadata(&self.target).map_err(io_err)?.permissions()),
                None => None,
            };
            let mut file = create_private(&tmp).map_err(io_err)?;
            file.write_all(text.as_bytes()).map_err(io_err)?;
            if let Some(perms) = existing {
                file.set_permissions(perms).map_err(io_err)?;
            }
            file.sync_all().map_err(io_err)?;
            drop(file);
            match &self.original {
                Some(original) => {
                    // Last check before replacing: the file is still what was read.
                    if read(&self.target)? != *original {
                        return Err(
                            self.refuse("the file changed while it was being edited; try again")
                        );
                    }
                    fs::rename(&tmp, &self.target).map_err(io_err)?;
                }
                None => match fs::hard_link(&tmp, &self.target) {
                    Ok(()) => fs::remove_file(&tmp).map_err(io_err)?,
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                        return Err(
                            self.refuse("the file appeared while it was being created; try again")
                        );
                    }
                    // A file system without hard links: rename, after one more look.
                    Err(_) if !self.target.exists() => {
                        fs::rename(&tmp, &self.target).map_err(io_err)?
                    }
                    Err(e) => return Err(io_err(e)),
                },
            }
            sync_dir(&dir).map_err(io_err)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }
}

#[cfg(unix)]
fn create_private(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

/// Makes the rename itself durable.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// The `kid` of a JWK value, if it has a string one.
pub fn kid_of(jwk: &Value) -> Option<&str> {
    jwk.get("kid").and_then(Value::as_str)
}

/// The `key_ops` of a JWK value, if present.
pub fn key_ops_mut(jwk: &mut Value) -> Option<&mut Vec<Value>> {
    jwk.get_mut("key_ops").and_then(Value::as_array_mut)
}

/// Sets `key_ops` on a JWK value.
pub fn set_key_ops(jwk: &mut Value, ops: &[&str]) {
    if let Value::Object(map) = jwk {
        map.insert(
            "key_ops".to_owned(),
            Value::Array(ops.iter().map(|o| Value::from(*o)).collect()),
        );
    }
}
