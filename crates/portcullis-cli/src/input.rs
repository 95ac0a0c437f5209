//! Standard input and output, so that every command reads and writes the same way.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use crate::Failure;

/// The longest token read from standard input; the verifier's own limit is far lower.
const MAX_STDIN: u64 = 1024 * 1024;

/// The largest key or configuration file read; no real one is anywhere near it.
const MAX_FILE: u64 = 1024 * 1024;

/// Why a file could not be read as text.
pub enum FileError {
    /// Opening or reading failed, or the file is over the size limit.
    Io(io::Error),
    /// The contents are not UTF-8.
    NotUtf8,
}

/// Reads a UTF-8 text file of at most 1 MiB; reading stops past the limit.
pub fn read_file(path: &Path) -> Result<String, FileError> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|f| f.take(MAX_FILE + 1).read_to_end(&mut bytes))
        .map_err(FileError::Io)?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(FileError::Io(io::Error::new(
            io::ErrorKind::InvalidData,
            "larger than 1 MiB",
        )));
    }
    String::from_utf8(bytes).map_err(|_| FileError::NotUtf8)
}

/// The token argument itself, or standard input when it is `-` (one trailing newline
/// trimmed, `\n` or `\r\n`).
pub fn token(arg: &str) -> Result<String, Failure> {
    if arg != "-" {
        return Ok(arg.to_owned());
    }
    let mut bytes = Vec::new();
    io::stdin()
        .lock()
        .take(MAX_STDIN)
        .read_to_end(&mut bytes)
        .map_err(Failure::Stdin)?;
    let mut text = String::from_utf8(bytes)
        .map_err(|_| Failure::Stdin(io::Error::new(io::ErrorKind::InvalidData, "not UTF-8")))?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(text)
}

/// Writes `text` and a newline to standard output. A closed pipe (`| head`) is not an
/// error: the reader has what it wanted.
pub fn print(text: &str) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(Failure::Stdout(e)),
        _ => Ok(()),
    }
}

/// Writes `value` as pretty JSON and a newline to standard output.
pub fn print_json(value: &impl serde::Serialize) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).map_err(Failure::Serialize)?;
    print(&text)
}
