//! Standard input and output, so that every command reads and writes the same way.

use std::io::{self, Read, Write};

use crate::Failure;

/// The longest token read from standard input; the verifier's own limit is far lower.
const MAX_STDIN: u64 = 1024 * 1024;

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
