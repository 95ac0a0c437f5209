//! `portcullis`: the command-line front of the Portcullis core.
//!
//! A thin front: one module per subcommand, each exposing clap `Args` and a
//! `run(args) -> Result<(), Failure>`. Every failure is a [`Failure`] value, and this file is
//! the one place that turns it into a line on stderr and an exit code:
//!
//! | exit | meaning                                                                   |
//! |------|---------------------------------------------------------------------------|
//! | 0    | success (`--help` too)                                                    |
//! | 1    | the token or link was rejected (`verify`, `verify-url`), cannot be decoded (`inspect`), the     |
//! |      | configuration is invalid (`check-config`), or the gate refused an admin   |
//! |      | call (`revoke`, `revocations`, `grant`, `apikey`, `token`), or a live     |
//! |      | credential was found (`scan`)                                             |
//! | 2    | usage or configuration error: bad flag, unreadable or invalid key file,   |
//! |      | gate unreachable...                                                       |
//!
//! To add a subcommand (`check-config`, `revoke`, `revocations`, ...): add a module with
//! `Args` + `run`, a variant to [`Command`], and an arm to [`run`].
#![forbid(unsafe_code)]

mod admin_api;
mod dotenv;
mod duration;
mod failure;
mod input;
mod keyfile;
mod time;
mod url;

mod check_config;
mod grants;
mod inspect;
mod keygen;
mod keys;
mod mint;
mod revoke;
mod scan;
mod sign_url;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use failure::Failure;

/// Strict HMAC JWT tooling: keys, minting, verification and inspection.
#[derive(Debug, Parser)]
#[command(name = "portcullis", version, propagate_version = true)]
#[command(after_help = "\
EXIT STATUS:
  0  success
  1  token rejected (verify), not decodable (inspect), configuration invalid (check-config),
     or refused by the gate (revoke, revocations, grant, apikey, token), or a live credential
     found (scan)
  2  usage or configuration error (bad flag, unreadable/invalid key file, gate unreachable, ...)

EXAMPLES:
  portcullis keygen --keys keys.json --kid k1
  portcullis mint --keys keys.json --sub alice --scope 'read write' --aud api --ttl 5m
  portcullis verify --keys keys.json --audience api \"$TOKEN\"
  portcullis inspect \"$TOKEN\"
  portcullis check-config --wrangler wrangler.toml --dev-vars .dev.vars
  PORTCULLIS_ADMIN_TOKEN=... portcullis revoke --jti 7f3c --endpoint https://api.example.com
  portcullis sign-url --keys keys.json --ttl 10m https://cdn.example/media/a.mp4
  git log -p | portcullis scan --keys keys.json -")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate a new HMAC key (JWK); optionally add it to a JWK Set file.
    Keygen(keygen::Args),
    /// Key rotation helpers for a JWK Set file: promote a signing key, retire an old key.
    Keys(keys::Args),
    /// Mint a signed token with the key set's signing key; prints only the token.
    Mint(mint::Args),
    /// Verify a token strictly; prints its claims as JSON on success.
    Verify(verify::Args),
    /// Decode a token WITHOUT verifying it, for humans: header, claims and times.
    Inspect(inspect::Args),
    /// Check the gate's configuration (the wrangler config's vars + .dev.vars) as the Worker
    /// reads it.
    #[command(
        about = "Check the gate's configuration (wrangler.toml [vars] + .dev.vars) as the Worker reads it"
    )]
    CheckConfig(check_config::Args),
    /// Revoke a token (by jti or the token itself), a subject's older tokens, or a key id,
    /// through the gate's admin API.
    Revoke(revoke::RevokeArgs),
    /// List the gate's active revocations.
    Revocations(revoke::ListArgs),
    /// Sign a URL (Portcullis signed URL or cookie link, or a compatibility format).
    SignUrl(sign_url::SignArgs),
    /// Check a signed URL as the gate would; prints what it opens as JSON.
    VerifyUrl(sign_url::VerifyArgs),
    /// Find this gate's credentials in files or standard input: live, expired, revoked or
    /// unverified; optionally revoke the live ones.
    Scan(scan::Args),
    /// Open a grant (session with rotating refresh tokens) through the gate.
    Grant(grants::GrantArgs),
    /// Create, list and revoke API keys (exchanged for short-lived access tokens).
    Apikey(grants::ApiKeyArgs),
    /// The token endpoint: refresh a grant, or exchange an API key.
    Token(grants::TokenArgs),
}

fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Keygen(args) => keygen::run(args),
        Command::Keys(args) => keys::run(args),
        Command::Mint(args) => mint::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::CheckConfig(args) => check_config::run(args),
        Command::Revoke(args) => revoke::run_revoke(args),
        Command::Revocations(args) => revoke::run_list(args),
        Command::SignUrl(args) => sign_url::run_sign(args),
        Command::VerifyUrl(args) => sign_url::run_verify(args),
        Command::Scan(args) => scan::run(args),
        Command::Grant(args) => grants::run_grant(args),
        Command::Apikey(args) => grants::run_apikey(args),
        Command::Token(args) => grants::run_token(args),
    }
}

fn main() -> ExitCode {
    // A bug must still end as one line, not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("portcullis: internal error{at}; please report this bug");
    }));
    // clap prints its own usage errors (exit 2) and help (exit 0).
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("portcullis: {failure}");
            ExitCode::from(failure.exit_code())
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
