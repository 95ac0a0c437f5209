//! `portcullis revoke` and `portcullis revocations`: the gate's admin API over HTTP.
//!
//! The admin token comes from the environment only ([`ADMIN_TOKEN_ENV`]): a command line is
//! visible to every user of the machine (`ps`, `/proc/*/cmdline`).

use clap::builder::{PossibleValuesParser, TypedValueParser};
use portcullis::revocation::RevocationReason;
use serde_json::{json, Value};

use crate::admin_api::{call, Body, Endpoint};
use crate::{input, time, Failure};

/// Where the admin token is read from.
pub const ADMIN_TOKEN_ENV: &str = "PORTCULLIS_ADMIN_TOKEN";

/// Arguments of `portcullis revoke`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
The admin token (scope portcullis:admin) is read from $PORTCULLIS_ADMIN_TOKEN, never from a flag.

OUTPUT: the created revocation entry as JSON on stdout (exit 0), and when it was made and when
it lapses, in ISO 8601 and relative to now, on stderr. A refusal by the gate prints
its problem title and detail on stderr (exit 1); a usage or network error exits 2.

EXAMPLES:
  portcullis revoke --jti 7f3c... --endpoint https://api.example.com
  portcullis revoke --sub alice --before 1767225600 --endpoint https://api.example.com
  portcullis revoke --kid k1 --endpoint https://api.example.com
  portcullis revoke --kid k1 --confirm --endpoint https://api.example.com   # the signing key
  portcullis revoke --sid 3kTMd9AbY1qZ8vWfLx2Hn0 --endpoint https://api.example.com  # one session
  portcullis revoke --token - --reason leaked --endpoint https://api.example.com < leaked.jwt")]
#[command(group(clap::ArgGroup::new("target").required(true).args(["jti", "sub", "kid", "token", "sid"])))]
pub struct RevokeArgs {
    /// Revoke the token with this `jti`.
    #[arg(long, value_name = "ID")]
    jti: Option<String>,
    /// Revoke the subject's tokens issued before --before (default: now).
    #[arg(long, value_name = "SUB")]
    sub: Option<String>,
    /// With --sub: the cut-off, Unix seconds; tokens with `iat` >= it are spared.
    #[arg(long, value_name = "UNIX_SECONDS", requires = "sub", conflicts_with_all = ["jti", "kid", "token"])]
    before: Option<i64>,
    /// Revoke every token this key verifies (a kid in the gate's key ring).
    #[arg(long, value_name = "KID")]
    kid: Option<String>,
    /// With --kid: also revoke the signing key, or the key of your own admin token (both
    /// lock admins out until a new key signs their tokens).
    #[arg(long, requires = "kid", conflicts_with_all = ["jti", "sub", "token"])]
    confirm: bool,
    /// Revoke this token (by its `jti`, until its `exp`); `-` reads it from standard input.
    #[arg(long, value_name = "TOKEN")]
    token: Option<String>,
    /// End this session (grant): its refresh tokens die and every access token carrying
    /// this `sid` is refused.
    #[arg(long, value_name = "SID")]
    sid: Option<String>,
    /// Why: recorded with the revocation, shown in the listing, the console and the audit log.
    #[arg(long, value_name = "REASON", default_value = "admin", value_parser = reason_parser())]
    reason: RevocationReason,
    #[command(flatten)]
    endpoint: Endpoint,
}

/// Parses `--reason` against the core's closed set, so `--help` lists exactly it.
pub(crate) fn reason_parser() -> impl TypedValueParser<Value = RevocationReason> {
    PossibleValuesParser::new(RevocationReason::ALL.map(RevocationReason::as_str))
        .try_map(|name| RevocationReason::parse(&name).ok_or("not a revocation reason"))
}

/// Arguments of `portcullis revocations`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
The admin token (scope portcullis:admin) is read from $PORTCULLIS_ADMIN_TOKEN.
OUTPUT: {\"revocations\": [...]} as JSON on stdout.")]
pub struct ListArgs {
    #[command(flatten)]
    endpoint: Endpoint,
}

/// Runs `portcullis revoke`: POST {admin}/revocations, prints the created entry.
pub fn run_revoke(args: RevokeArgs) -> Result<(), Failure> {
    let admin_token = admin_token()?;
    // The gate's default reason for a `sid` is `logout` (an application's); from here it is
    // an operator's, so the CLI's reason is always sent.
    let send_reason = args.reason != RevocationReason::Admin || args.sid.is_some();
    let mut body = match (args.jti, args.sub, args.kid, args.token) {
        _ if args.sid.is_some() => json!({ "sid": args.sid }),
        (Some(jti), ..) => json!({ "jti": jti }),
        (_, Some(sub), ..) => match args.before {
            Some(before) => json!({ "sub": sub, "before": before }),
            None => json!({ "sub": sub }),
        },
        (_, _, Some(kid), _) if args.confirm => json!({ "kid": kid, "confirm": true }),
        (_, _, Some(kid), _) => json!({ "kid": kid }),
        (.., Some(token)) => json!({ "token": input::token(&token)? }),
        _ => unreachable!("clap requires one target"),
    };
    // The default is left to the gate, so a body for `admin` stays what it always was.
    if send_reason {
        body["reason"] = json!(args.reason.as_str());
    }
    let answer = call(
        &args.endpoint,
        "revocations",
        Some(&admin_token),
        Body::Json(body),
    )?;
    let entry = answer.get("entry").unwrap_or(&answer);
    input::print_json(entry)?;
    if let Some(note) = when_note(entry, time::now()) {
        eprintln!("portcullis: {note}");
    }
    Ok(())
}

/// The entry's times for a person (stdout keeps the JSON for scripts): `revoked
/// 2026-11-30T14:40:00Z (now); lapses 2026-11-30T15:40:30Z (in 1h 30s)`.
fn when_note(entry: &Value, now: i64) -> Option<String> {
    let at = entry.get("at").and_then(Value::as_i64)?;
    let lapses = match entry.get("exp").and_then(Value::as_i64) {
        Some(exp) => format!("lapses {}", time::human(exp, now)),
        None => "never lapses".to_owned(),
    };
    Some(format!("revoked {}; {lapses}", time::human(at, now)))
}

/// Runs `portcullis revocations`: GET {admin}/revocations, prints the list.
pub fn run_list(args: ListArgs) -> Result<(), Failure> {
    let admin_token = admin_token()?;
    let answer = call(
        &args.endpoint,
        "revocations",
        Some(&admin_token),
        Body::None,
    )?;
    input::print_json(&answer)
}

pub(crate) fn admin_token() -> Result<String, Failure> {
    match std::env::var(ADMIN_TOKEN_ENV) {
        Ok(t) if !t.trim().is_empty() => Ok(t.trim().to_owned()),
        _ => Err(Failure::Usage(format!(
            "set {ADMIN_TOKEN_ENV} to an admin token (scope portcullis:admin); it is never taken as a flag"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_note_gives_iso_and_relative_times() {
        let now = 1_700_000_000;
        let entry = json!({"v": 1, "kind": "jti", "jti": "x", "at": now, "exp": now + 3630});
        assert_eq!(
            when_note(&entry, now).unwrap(),
            "revoked 2023-11-14T22:13:20Z (now); lapses 2023-11-14T23:13:50Z (in 1h)"
        );
        let key = json!({"v": 1, "kind": "kid", "kid": "k1", "at": now - 180});
        assert_eq!(
            when_note(&key, now).unwrap(),
            "revoked 2023-11-14T22:10:20Z (3m ago); never lapses"
        );
        assert_eq!(when_note(&json!({}), now), None);
    }
}
