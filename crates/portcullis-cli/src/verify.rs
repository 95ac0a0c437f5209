//! `portcullis verify`: the core verifier, with the claims as JSON on success.

use std::path::PathBuf;

use portcullis::jwt::verify::{self as core, VerifyPolicy};

use crate::{duration, input, keyfile, time, Failure};

/// Arguments of `portcullis verify`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
OUTPUT: on success, the verified claims as pretty-printed JSON on stdout (exit 0). A rejected
token prints one line on stderr, `portcullis: rejected: <reason> (<code>)` (exit 1). A usage or
configuration problem (unreadable or weak key file, bad flag) exits 2.

A token with `aud` is rejected unless --audience is given and matches.

EXAMPLES:
  portcullis verify --keys keys.json --audience api \"$TOKEN\"
  portcullis mint --keys keys.json --sub alice | portcullis verify --keys keys.json -
  portcullis verify --keys keys.json --issuer https://auth.example --leeway 30 --max-ttl 1h \"$TOKEN\"
  portcullis verify --keys keys.json --now 1767225600 \"$TOKEN\"   # as of 2026-01-01T00:00:00Z")]
pub struct Args {
    /// The JWK Set file of trusted keys.
    #[arg(long, value_name = "FILE")]
    keys: PathBuf,
    /// Require this audience in `aud`.
    #[arg(long, value_name = "A")]
    audience: Option<String>,
    /// Require this issuer in `iss`.
    #[arg(long, value_name = "I")]
    issuer: Option<String>,
    /// Allowed clock skew for `exp`, `nbf` and `iat`, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    leeway: u64,
    /// Reject tokens living longer than this (`exp - iat`).
    #[arg(long, value_name = "DURATION", value_parser = duration::parse)]
    max_ttl: Option<u64>,
    /// Verify as of this time (Unix seconds) instead of now.
    #[arg(long, value_name = "UNIX_SECONDS")]
    now: Option<i64>,
    /// The token, or `-` to read it from standard input.
    #[arg(value_name = "TOKEN")]
    token: String,
}

/// Runs `portcullis verify`.
pub fn run(args: Args) -> Result<(), Failure> {
    let ring = keyfile::load(&args.keys)?;
    let token = input::token(&args.token)?;
    let policy = VerifyPolicy {
        audience: args.audience,
        issuer: args.issuer,
        leeway: args.leeway,
        max_ttl: args.max_ttl,
        ..VerifyPolicy::default()
    };
    let now = args.now.unwrap_or_else(time::now);
    let verified = core::verify(&token, &ring, &policy, now).map_err(Failure::Rejected)?;
    input::print_json(&verified.claims)
}
