//! `portcullis grant`, `portcullis apikey` and `portcullis token`: grants, API keys and the
//! token endpoint, over the gate's admin API.
//!
//! Every credential comes from the environment, never a flag (a command line is visible to
//! every user of the machine): the issuing token from [`ISSUE_TOKEN_ENV`], the admin token
//! from [`crate::revoke::ADMIN_TOKEN_ENV`], a refresh token from [`REFRESH_TOKEN_ENV`], an
//! API key from [`API_KEY_ENV`].
use serde_json::json;

use crate::admin_api::{call, Body, Endpoint};
use crate::revoke::ADMIN_TOKEN_ENV;
use crate::{duration, input, Failure};

/// Where the issuing token (scope `portcullis:issue`) is read from.
pub const ISSUE_TOKEN_ENV: &str = "PORTCULLIS_ISSUE_TOKEN";
/// Where `token refresh` reads the refresh token.
pub const REFRESH_TOKEN_ENV: &str = "PORTCULLIS_REFRESH_TOKEN";
/// Where `token exchange` reads the API key.
pub const API_KEY_ENV: &str = "PORTCULLIS_API_KEY";

/// Whom a grant or an API key is for and what it may carry: `--sub` and `--scope`, the body
/// `{"sub", "scope"}` that opening a grant and creating a key both start from.
#[derive(Debug, clap::Args)]
struct SubjectScope {
    /// The subject its access tokens speak for.
    #[arg(long)]
    sub: String,
    /// The most its access tokens may carry, space-separated.
    #[arg(long)]
    scope: String,
}

impl SubjectScope {
    fn body(self) -> serde_json::Value {
        json!({ "sub": self.sub, "scope": self.scope })
    }
}

/// Arguments of `portcullis grant`.
#[derive(Debug, clap::Args)]
pub struct GrantArgs {
    #[command(subcommand)]
    command: GrantCommand,
}

#[derive(Debug, clap::Subcommand)]
enum GrantCommand {
    /// Open a grant (session) for a subject: prints the RFC 6749 token answer (access token,
    /// refresh token). Needs $PORTCULLIS_ISSUE_TOKEN (scope portcullis:issue).
    #[command(after_help = "\
EXAMPLES:
  PORTCULLIS_ISSUE_TOKEN=... portcullis grant create --sub alice --scope 'orders:read' \\
      --endpoint https://api.example.com
  PORTCULLIS_ISSUE_TOKEN=... portcullis grant create --sub alice --scope 'orders:read' \\
      --client-id portal --grace 0s --idle 1d --absolute 30d --endpoint https://api.example.com")]
    Create {
        #[command(flatten)]
        holder: SubjectScope,
        /// The client the grant is for (refreshes naming another client are refused).
        #[arg(long)]
        client_id: Option<String>,
        /// Grace period after a rotation (e.g. 30s, 0s); default 30s.
        #[arg(long, value_name = "DURATION")]
        grace: Option<String>,
        /// Idle lifetime (e.g. 7d); default 7 days.
        #[arg(long, value_name = "DURATION")]
        idle: Option<String>,
        /// Absolute lifetime (e.g. 30d); default 30 days.
        #[arg(long, value_name = "DURATION")]
        absolute: Option<String>,
        #[command(flatten)]
        endpoint: Endpoint,
    },
    /// A subject's active grants: sid, client, scope, opened, last refresh, idle and absolute
    /// expiry; never a secret. Needs $PORTCULLIS_ADMIN_TOKEN (scope portcullis:admin).
    #[command(after_help = "\
EXAMPLES:
  PORTCULLIS_ADMIN_TOKEN=... portcullis grant list --sub alice --endpoint https://api.example.com
  # end one: portcullis revoke --sid <sid>; end all: POST <prefix>/grants/revoke {\"sub\"}")]
    List {
        /// The subject.
        #[arg(long)]
        sub: String,
        #[command(flatten)]
        endpoint: Endpoint,
    },
}

/// Arguments of `portcullis apikey`.
#[derive(Debug, clap::Args)]
pub struct ApiKeyArgs {
    #[command(subcommand)]
    command: ApiKeyCommand,
}

#[derive(Debug, clap::Subcommand)]
enum ApiKeyCommand {
    /// Create an API key; prints its record and the key itself, shown this once.
    #[command(after_help = "\
EXAMPLE:
  PORTCULLIS_ADMIN_TOKEN=... portcullis apikey create --sub ci --scope 'orders:read' \\
      --name 'nightly job' --expires-in 90d --endpoint https://api.example.com")]
    Create {
        #[command(flatten)]
        holder: SubjectScope,
        /// A label.
        #[arg(long)]
        name: Option<String>,
        /// Expire the key after this long (e.g. 90d); default never.
        #[arg(long, value_name = "DURATION")]
        expires_in: Option<String>,
        #[command(flatten)]
        endpoint: Endpoint,
    },
    /// List API keys (never their secrets), with their last use.
    List {
        #[command(flatten)]
        endpoint: Endpoint,
    },
    /// Revoke an API key by id: it stops minting at once.
    Revoke {
        /// The key id (the `id` that `apikey create` printed; the OAuth client_id).
        id: String,
        #[command(flatten)]
        endpoint: Endpoint,
    },
}

/// Arguments of `portcullis token`.
#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    command: TokenCommand,
}

#[derive(Debug, clap::Subcommand)]
enum TokenCommand {
    /// Refresh: trade $PORTCULLIS_REFRESH_TOKEN for a new access token and refresh token.
    #[command(after_help = "\
EXAMPLE:
  PORTCULLIS_REFRESH_TOKEN=pcrt_... portcullis token refresh --endpoint https://api.example.com")]
    Refresh {
        /// Ask for less than the grant's scope, for this access token.
        #[arg(long)]
        scope: Option<String>,
        /// The client the grant was issued to, if it names one.
        #[arg(long)]
        client_id: Option<String>,
        #[command(flatten)]
        endpoint: Endpoint,
    },
    /// Exchange $PORTCULLIS_API_KEY for an access token (grant_type=client_credentials).
    Exchange {
        /// Ask for less than the key's scope.
        #[arg(long)]
        scope: Option<String>,
        #[command(flatten)]
        endpoint: Endpoint,
    },
}

fn secret_env(name: &str, what: &str) -> Result<String, Failure> {
    match std::env::var(name) {
        Ok(t) if !t.trim().is_empty() => Ok(t.trim().to_owned()),
        _ => Err(Failure::Usage(format!(
            "set {name} to {what}; it is never taken as a flag"
        ))),
    }
}

fn seconds(flag: &str, value: Option<String>) -> Result<Option<u64>, Failure> {
    value
        .map(|v| duration::parse(&v).map_err(|e| Failure::Usage(format!("--{flag}: {e}"))))
        .transpose()
}

fn form(pairs: &[(&str, Option<&str>)]) -> String {
    use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
    pairs
        .iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k}={}", utf8_percent_encode(v, NON_ALPHANUMERIC))))
        .collect::<Vec<_>>()
        .join("&")
}

/// Runs `portcullis grant`.
pub fn run_grant(args: GrantArgs) -> Result<(), Failure> {
    let (holder, client_id, grace, idle, absolute, endpoint) = match args.command {
        GrantCommand::Create {
            holder,
            client_id,
            grace,
            idle,
            absolute,
            endpoint,
        } => (holder, client_id, grace, idle, absolute, endpoint),
        GrantCommand::List { sub, endpoint } => {
            let token = secret_env(ADMIN_TOKEN_ENV, "an admin token (scope portcullis:admin)")?;
            let answer = call(&endpoint, "grants", Some(&token), Body::Query("sub", sub))?;
            return input::print_json(&answer);
        }
    };
    let token = secret_env(ISSUE_TOKEN_ENV, "a token with scope portcullis:issue")?;
    let mut body = holder.body();
    if let Some(c) = client_id {
        body["client_id"] = json!(c);
    }
    for (flag, name, value) in [
        ("grace", "grace_s", grace),
        ("idle", "idle_s", idle),
        ("absolute", "absolute_s", absolute),
    ] {
        if let Some(s) = seconds(flag, value)? {
            body[name] = json!(s);
        }
    }
    let answer = call(&endpoint, "grants", Some(&token), Body::Json(body))?;
    input::print_json(&answer)
}

/// Runs `portcullis apikey`.
pub fn run_apikey(args: ApiKeyArgs) -> Result<(), Failure> {
    let token = || secret_env(ADMIN_TOKEN_ENV, "an admin token (scope portcullis:admin)");
    let answer = match args.command {
        ApiKeyCommand::Create {
            holder,
            name,
            expires_in,
            endpoint,
        } => {
            let mut body = holder.body();
            if let Some(n) = name {
                body["name"] = json!(n);
            }
            if let Some(s) = seconds("expires-in", expires_in)? {
                body["expires_in_s"] = json!(s);
            }
            call(&endpoint, "api-keys", Some(&token()?), Body::Json(body))?
        }
        ApiKeyCommand::List { endpoint } => {
            call(&endpoint, "api-keys", Some(&token()?), Body::None)?
        }
        ApiKeyCommand::Revoke { id, endpoint } => call(
            &endpoint,
            "api-keys/revoke",
            Some(&token()?),
            Body::Json(json!({ "id": id })),
        )?,
    };
    input::print_json(&answer)
}

/// Runs `portcullis token`.
pub fn run_token(args: TokenArgs) -> Result<(), Failure> {
    let answer = match args.command {
        TokenCommand::Refresh {
            scope,
            client_id,
            endpoint,
        } => {
            let rt = secret_env(REFRESH_TOKEN_ENV, "a refresh token (pcrt_...)")?;
            let body = form(&[
                ("grant_type", Some("refresh_token")),
                ("refresh_token", Some(&rt)),
                ("scope", scope.as_deref()),
                ("client_id", client_id.as_deref()),
            ]);
            call(&endpoint, "token", None, Body::Form(body))?
        }
        TokenCommand::Exchange { scope, endpoint } => {
            let key = secret_env(API_KEY_ENV, "an API key (pcak_...)")?;
            let body = form(&[
                ("grant_type", Some("client_credentials")),
                ("client_secret", Some(&key)),
                ("scope", scope.as_deref()),
            ]);
            call(&endpoint, "token", None, Body::Form(body))?
        }
    };
    input::print_json(&answer)
}
