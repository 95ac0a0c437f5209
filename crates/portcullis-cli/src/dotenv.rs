//! The one dotenv reader: `.dev.vars` as wrangler dev reads it, for `check-config` and for
//! `mint --dev-vars` (the scripts read settings through `check-config --json`, never with
//! their own parser, so the two can never disagree on a line).

use std::path::Path;

use crate::{input, Failure};

/// Reads and parses the dotenv file at `path`: its `(name, value)` pairs in file order (a
/// later pair for the same name wins, as in wrangler).
pub(crate) fn read(path: &Path) -> Result<Vec<(String, String)>, Failure> {
    parse_dotenv(path, &read_text(path)?)
}

/// The value of `name` in the dotenv file at `path` (the last one wins), or `None`.
pub(crate) fn value(path: &Path, name: &str) -> Result<Option<String>, Failure> {
    Ok(read(path)?
        .into_iter()
        .rev()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v))
}

/// A config file's text; errors name the file, never its contents.
pub(crate) fn read_text(path: &Path) -> Result<String, Failure> {
    input::read_file(path).map_err(|e| match e {
        input::FileError::Io(source) => Failure::ConfigFileIo {
            path: path.to_owned(),
            source,
        },
        input::FileError::NotUtf8 => Failure::ConfigFile {
            path: path.to_owned(),
            line: None,
            reason: "is not UTF-8".into(),
        },
    })
}

/// Parses a dotenv file as wrangler dev does (the npm `dotenv` rules), but strictly: a line
/// dotenv would silently skip is an error here, since it usually hides a missing secret.
///
/// `KEY=VALUE` per line, an optional `export ` prefix, blank lines and `#` comments. A value
/// in single or double quotes is taken verbatim (double quotes turn `\n` and `\r` into
/// newlines and carriage returns); an unquoted value ends at `#` and is trimmed. A later line
/// for the same key wins. Errors give the line number, never the line.
fn parse_dotenv(path: &Path, text: &str) -> Result<Vec<(String, String)>, Failure> {
    let mut out = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let bad = |reason: &str| Failure::ConfigFile {
            path: path.to_owned(),
            line: Some(index + 1),
            reason: reason.to_owned(),
        };
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").map_or(line, str::trim_start);
        let Some((key, value)) = line.split_once('=') else {
            return Err(bad("expected KEY=VALUE"));
        };
        let key = key.trim_end();
        let key_ok = !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
        if !key_ok {
            return Err(bad("the name must be letters, digits, `_`, `.` or `-`"));
        }
        let value = value.trim();
        let quote = value
            .chars()
            .next()
            .filter(|c| matches!(c, '"' | '\'' | '`'));
        let quoted = quote.and_then(|q| {
            let end = closing_quote(&value[1..], q)?;
            let rest = value[1 + end + 1..].trim_start();
            (rest.is_empty() || rest.starts_with('#')).then(|| &value[1..1 + end])
        });
        let value = match (quoted, quote) {
            (Some(inner), _) => inner,
            // Like dotenv: text with inner quotes, e.g. "{"a":1}", is unquoted text that
            // loses its outer quotes.
            (None, Some(q)) => {
                let text = value.split('#').next().unwrap_or_default().trim();
                if text.len() < 2 || !text.ends_with(q) {
                    return Err(bad(
                        "unterminated quote (multi-line values are not supported)",
                    ));
                }
                &text[1..text.len() - 1]
            }
            (None, None) => value.split('#').next().unwrap_or_default().trim(),
        };
        let value = if quote == Some('"') {
            value.replace("\\n", "\n").replace("\\r", "\r")
        } else {
            value.to_owned()
        };
        out.push((key.to_owned(), value));
    }
    Ok(out)
}

/// Where `quote` closes in `text` (which starts after the opening one); `\` escapes it.
fn closing_quote(text: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            c if c == quote => return Some(i),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<(String, String)>, String> {
        parse_dotenv(Path::new(".dev.vars"), text).map_err(|f| f.to_string())
    }

    #[test]
    fn dotenv_reads_quotes_comments_and_export_like_wrangler() {
        let text = "# local\n\nA=plain # note\nexport B = 'x # y'\nC=\"l1\\nl2\"\nD={\"k\":1}\nE=\nF=\"{\"k\":2}\"\n";
        let got = parse(text).unwrap();
        let want = [
            ("A", "plain"),
            ("B", "x # y"),
            ("C", "l1\nl2"),
            ("D", "{\"k\":1}"),
            ("E", ""),
            ("F", "{\"k\":2}"),
        ];
        assert_eq!(got.len(), want.len());
        for ((k, v), (wk, wv)) in got.iter().zip(want) {
            assert_eq!((k.as_str(), v.as_str()), (wk, wv));
        }
    }

    #[test]
    fn dotenv_errors_give_the_line_but_not_its_text() {
        let err = parse("A=1\nsecret-without-equals\n").unwrap_err();
        assert!(err.contains("line 2") && !err.contains("secret"), "{err}");
        let err = parse("A='unterminated-secret\n").unwrap_err();
        assert!(err.contains("line 1") && !err.contains("secret"), "{err}");
        assert!(parse("A B=1").is_err());
    }
}
