//! `portcullis check-config`: the gate's configuration checked before a deploy or `wrangler
//! dev`, the way the Worker will read it.
//!
//! The settings are wrangler.toml's `[vars]` (or `[env.NAME.vars]`: wrangler does not inherit
//! `vars` into an environment) overlaid with `.dev.vars` when it exists, exactly as `wrangler
//! dev` binds them: a TOML string arrives as a string, a table or array as JSON, and every
//! `.dev.vars` value as a string. They go through the same [`portcullis::config::load`] as
//! in the Worker, so a config that passes here is one the Worker accepts.
//!
//! Output never shows key material: the summary counts keys and names kids; errors name a
//! setting or a file line, never a setting's text (a number out of range is shown).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use portcullis::config::{self, names, GateConfig};
use serde_json::Value;

use crate::{input, Failure};

/// Arguments of `portcullis check-config`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Reads [vars] from the wrangler config (with --env NAME: [env.NAME.vars] only, as wrangler does)
and overlays the dotenv file wrangler dev would use: --dev-vars, else .dev.vars.NAME (with --env)
or .dev.vars next to the wrangler config, when it exists. Secrets set with `wrangler secret put`
are not visible here; put them in .dev.vars to check them (`make dev` writes one).

OUTPUT: on success a summary on stdout (key count and signing kid, route rules, origin,
audience, issuer, leeway, max ttl; never key material), exit 0, with warnings on stderr (a
secret in the wrangler config, ORIGIN_URL unset). An invalid configuration prints
one line on stderr, `portcullis: <SETTING>: <reason>` or `portcullis: <file> line <n>: <reason>`,
exit 1. An unreadable file or unknown environment exits 2.

EXAMPLES:
  portcullis check-config
  portcullis check-config --wrangler wrangler.toml --dev-vars .dev.vars
  portcullis check-config --env staging")]
pub struct Args {
    /// The wrangler config file.
    #[arg(long, value_name = "FILE", default_value = "wrangler.toml")]
    wrangler: PathBuf,
    /// The dotenv file of local secrets and overrides; must exist when given.
    #[arg(long = "dev-vars", value_name = "FILE")]
    dev_vars: Option<PathBuf>,
    /// Check this wrangler environment (`[env.NAME]`).
    #[arg(long, value_name = "NAME")]
    env: Option<String>,
}

/// Runs `portcullis check-config`.
pub fn run(args: Args) -> Result<(), Failure> {
    let mut settings = wrangler_vars(&args.wrangler, args.env.as_deref())?;
    let in_wrangler: Vec<&'static str> = [names::KEYS, names::ORIGIN_KEY]
        .into_iter()
        .filter(|name| settings.contains_key(*name))
        .collect();

    let dev_vars = match args.dev_vars {
        Some(path) => Some(path),
        None => default_dev_vars(&args.wrangler, args.env.as_deref()),
    };
    let mut sources = vec![args.wrangler.display().to_string()];
    if let Some(path) = &dev_vars {
        for (name, value) in parse_dotenv(path, &read(path)?)? {
            settings.insert(name, Value::String(value));
        }
        sources.push(path.display().to_string());
    }

    let config = config::load(|name| settings.get(name).cloned()).map_err(Failure::Config)?;
    if config.origin_url.is_none() {
        // Right for a Worker on a route in front of its zone's origin; a loop under wrangler
        // dev or on workers.dev, which the gate stops with 508 but cannot make useful.
        eprintln!(
            "portcullis: warning: {url} is not set: the gate forwards each request to its own \
             URL, which is right only for a Worker on a route in front of its zone's origin; \
             elsewhere (wrangler dev, workers.dev) the request comes back to the gate, which \
             answers 508 loop_detected. Set {url} to where authorized requests go",
            url = names::ORIGIN_URL
        );
    }
    for name in in_wrangler {
        eprintln!(
            "portcullis: warning: {name} is in {}, which is usually committed; \
             keep it in a secret (`wrangler secret put {name}`) or in .dev.vars",
            args.wrangler.display()
        );
    }
    input::print(&summary(&config, &sources.join(" + ")))
}

/// The dotenv file wrangler dev reads when none is named: next to the wrangler config,
/// `.dev.vars.NAME` before `.dev.vars` for an environment. `None` when neither exists.
fn default_dev_vars(wrangler: &Path, env: Option<&str>) -> Option<PathBuf> {
    let dir = wrangler.parent().unwrap_or(Path::new(""));
    let plain = dir.join(".dev.vars");
    let for_env = env.map(|e| dir.join(format!(".dev.vars.{e}")));
    for_env.into_iter().chain([plain]).find(|p| p.is_file())
}

fn read(path: &Path) -> Result<String, Failure> {
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

/// The `[vars]` (or `[env.NAME.vars]`) table, as the JSON values the Worker sees.
fn wrangler_vars(path: &Path, env: Option<&str>) -> Result<HashMap<String, Value>, Failure> {
    let text = read(path)?;
    let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        // toml's message quotes the offending source line, which may hold a value.
        let line = e.span().map(|s| text[..s.start].matches('\n').count() + 1);
        Failure::ConfigFile {
            path: path.to_owned(),
            line,
            reason: "is not valid TOML".into(),
        }
    })?;
    let table = match env {
        None => &doc,
        Some(name) => doc
            .get("env")
            .and_then(|e| e.get(name))
            .and_then(toml::Value::as_table)
            .ok_or_else(|| Failure::Usage(format!("{} has no [env.{name}]", path.display())))?,
    };
    let vars = match table.get("vars") {
        None => return Ok(HashMap::new()),
        Some(toml::Value::Table(vars)) => vars,
        Some(_) => {
            return Err(Failure::ConfigFile {
                path: path.to_owned(),
                line: None,
                reason: "`vars` must be a table".into(),
            })
        }
    };
    Ok(vars.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
}

/// A TOML value as wrangler hands it to the Worker: JSON, dates as their text.
fn to_json(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
        }
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
    }
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

/// What the Worker will do, for a human; counts and names only, never key material.
fn summary(c: &GateConfig, sources: &str) -> String {
    let keys = c.keyring.keys();
    let signer = match c.keyring.signing_key() {
        Some(k) => match k.kid() {
            Some(kid) => format!("{kid:?} ({}) signs", k.alg()),
            // Key revocation addresses kids: this key can only be retired by rotation.
            None => format!(
                "the key without kid ({}) signs; without a kid it cannot be revoked by \
                 `portcullis revoke --kid`, only rotated out",
                k.alg()
            ),
        },
        None => "none signs (verify-only)".into(),
    };
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let public = c
        .routes
        .rules()
        .iter()
        .filter(|r| r.access().is_public())
        .count();
    let origin = match &c.origin_url {
        Some(url) => without_userinfo(url),
        None => format!("each request's own URL ({} not set)", names::ORIGIN_URL),
    };
    let or_any = |v: &Option<String>, name: &str| match v {
        Some(v) => v.clone(),
        None => format!("any ({name} not set)"),
    };
    let max_ttl = c.verify.max_ttl.unwrap_or(config::defaults::MAX_TTL_S);
    let mut lines = vec![
        format!("portcullis: configuration ok ({sources})"),
        format!(
            "  keys:      {}; {signer}",
            plural(keys.len(), "key", "keys")
        ),
        format!(
            "  routes:    {}, {public} public",
            plural(c.routes.rules().len(), "rule", "rules")
        ),
        format!("  origin:    {origin}"),
        format!(
            "  audience:  {}",
            or_any(&c.verify.audience, names::AUDIENCE)
        ),
        format!("  issuer:    {}", or_any(&c.verify.issuer, names::ISSUER)),
        format!("  leeway:    {} s; max ttl: {max_ttl} s", c.verify.leeway),
        format!("  admin API: {} (scope portcullis:admin)", c.admin_prefix),
    ];
    if let Some(cookie) = &c.cookie {
        lines.push(format!("  cookie:    {cookie}"));
    }
    lines.join("\n")
}

/// A URL with any `user:password@` removed.
fn without_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
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

    #[test]
    fn userinfo_is_hidden_in_the_origin() {
        assert_eq!(
            without_userinfo("https://u:p@api.example/v1"),
            "https://***@api.example/v1"
        );
        assert_eq!(
            without_userinfo("http://127.0.0.1:8788"),
            "http://127.0.0.1:8788"
        );
        assert_eq!(
            without_userinfo("https://api.example/a@b"),
            "https://api.example/a@b"
        );
    }
}
