//! `portcullis inspect`: a token decoded for a human, WITHOUT verification.

use portcullis::jwt::token::decode_unverified;
use serde_json::{Map, Value};

use crate::{input, time, Failure};

/// Arguments of `portcullis inspect`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Nothing is verified: not the signature, not a single claim. The output is labelled UNVERIFIED;
use `portcullis verify` to decide whether to trust a token. Exits 1 if the token cannot be
decoded at all.

EXAMPLES:
  portcullis inspect \"$TOKEN\"
  pbpaste | portcullis inspect -")]
pub struct Args {
    /// The token, or `-` to read it from standard input.
    #[arg(value_name = "TOKEN")]
    token: String,
}

/// Runs `portcullis inspect`.
pub fn run(args: Args) -> Result<(), Failure> {
    let token = input::token(&args.token)?;
    let decoded = decode_unverified(&token).map_err(Failure::Undecodable)?;
    let pretty =
        |v: &Map<String, Value>| serde_json::to_string_pretty(v).map_err(Failure::Serialize);
    let now = time::now();
    let mut out = String::new();
    out.push_str("UNVERIFIED: decoded only; the signature and claims have NOT been checked\n");
    out.push_str(&format!("header:\n{}\n", pretty(&decoded.header)?));
    out.push_str(&format!("claims:\n{}\n", pretty(&decoded.claims)?));
    out.push_str(&format!(
        "times (now {}):",
        time::utc(now).unwrap_or_else(|| now.to_string())
    ));
    for name in ["iat", "nbf", "exp"] {
        out.push_str(&format!(
            "\n  {name}: {}",
            describe_time(name, decoded.claims.get(name), now)
        ));
    }
    out.push_str(&format!(
        "\nbinding: {}",
        describe_binding(decoded.claims.get("cnf"))
    ));
    input::print(&out)
}

/// What the token is bound to (`cnf`), and how it must be presented.
fn describe_binding(cnf: Option<&Value>) -> String {
    use portcullis::sender::Confirmation;
    match Confirmation::from_cnf(cnf) {
        Ok(Confirmation::Unbound) => "none (a bearer token)".to_owned(),
        Ok(Confirmation::Certificate(x5t)) => format!(
            "mTLS client certificate, x5t#S256 {x5t} (presented over TLS with that certificate)"
        ),
        Ok(Confirmation::DpopKey(jkt)) => format!(
            "DPoP key, jkt {jkt} (presented as `Authorization: DPoP` with a proof by that key)"
        ),
        Err(_) => "unsupported cnf (the gate refuses this token)".to_owned(),
    }
}

/// `2026-11-22T14:05:00Z (expires in 4m 10s)`, and the like.
fn describe_time(name: &str, value: Option<&Value>, now: i64) -> String {
    let value = match value {
        None => return "absent".to_owned(),
        Some(v) => v,
    };
    // Whole seconds, rounded to the stricter side as the verifier does.
    let secs = match value.as_i64() {
        Some(s) => Some(s),
        None => value
            .as_f64()
            .filter(|f| f.is_finite() && f.abs() < 9.0e15)
            .map(|f| {
                let whole = if name == "exp" { f.floor() } else { f.ceil() };
                whole as i64
            }),
    };
    let Some(t) = secs else {
        return format!("{value} (not a NumericDate; the verifier rejects this)");
    };
    let Some(date) = time::utc(t) else {
        return format!("{t} (out of range)");
    };
    let ago = time::span(now.abs_diff(t));
    let relative = match (name, t <= now) {
        ("exp", true) => format!("expired {ago} ago"),
        ("exp", false) => format!("expires in {ago}"),
        ("nbf", true) => format!("valid since {ago} ago"),
        ("nbf", false) => format!("not valid for another {ago}"),
        (_, true) => format!("{ago} ago"),
        (_, false) => format!("in {ago}, in the future"),
    };
    format!("{date} ({relative})")
}
