//! `portcullis grant`, `portcullis apikey` and `portcullis token`: grants, API keys and the
//! token endpoint, over the gate's admin API.
//!
//! Every credential comes from the environment, never a flag (a command line is visible to
//! every user of the machine): the issuing token from [`ISSUE_TOKEN_ENV`], the admin token
//! from [`crate::revoke::ADMIN_TOKEN_ENV`], a refresh token from [`REFRESH_TOKEN_ENV`], an
//! API key from [`API_KEY_ENV`].

use std::time::Duration;

use serde_json::{json, Value};

use crate::revoke::{Endpoint, ADMIN_TOKEN_ENV};
use crate::{duration, input, url, Failure};

/// Where the issuing token (scope `portcullis:issue`) is read from.
pub const ISSUE_TOKEN_ENV: &str = "PORTCULLIS_ISSUE_TOKEN";
/// Where `token refresh` reads the refresh token.
pub const REFRESH_TOKEN_ENV: &str = "PORTCULLIS_REFRESH_TOKEN";
/// Where `token exchange` reads the API key.
pub const API_KEY_ENV: &str = "PORTCULLIS_API_KEY";

const TIMEOUT: Duration = Duration::from_secs(30);
const MAX_ANSWER: u64 = 1024 * 1024;

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
        /// The subject.
        #[arg(long)]
        sub: String,
        /// The scope granted, space-separated.
        #[arg(long)]
        scope: String,
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
        /// The subject its access tokens speak for.
        #[arg(long)]
        sub: String,
        /// The most its access tokens may carry, space-separated.
        #[arg(long)]
        scope: String,
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

enum Body {
    None,
    Json(Value),
    Form(String),
}

/// One call to the admin API at `{prefix}/{path}`; a 2xx answer's JSON, or the refusal
/// (a problem document's title and detail, or RFC 6749's error and description).
fn call(
    endpoint: &Endpoint,
    path: &str,
    bearer: Option<&str>,
    body: Body,
) -> Result<Value, Failure> {
    let (dir, resource) = path.rsplit_once('/').unwrap_or(("", path));
    let prefix = format!("{}/{dir}", endpoint.prefix);
    let url = url::admin_url(&endpoint.endpoint, &prefix, resource);
    let network = |e: ureq::Error| Failure::Http {
        url: url.clone(),
        reason: e.to_string(),
    };
    // No redirects: a credential must never be replayed to another URL.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(TIMEOUT))
        .build()
        .into();
    let authorization = bearer.map(|t| format!("Bearer {t}"));
    let method = match body {
        Body::None => "GET",
        _ => "POST",
    };
    let response = match body {
        Body::None => {
            let mut req = agent.get(&url);
            if let Some(a) = &authorization {
                req = req.header("authorization", a);
            }
            req.call()
        }
        Body::Json(v) => {
            let mut req = agent.post(&url).content_type("application/json");
            if let Some(a) = &authorization {
                req = req.header("authorization", a);
            }
            req.send(v.to_string())
        }
        Body::Form(f) => agent
            .post(&url)
            .content_type("application/x-www-form-urlencoded")
            .send(f),
    };
    let mut response = response.map_err(network)?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .with_config()
        .limit(MAX_ANSWER)
        .read_to_string()
        .map_err(network)?;
    let parsed: Option<Value> = serde_json::from_str(&text).ok();
    if !(200..300).contains(&status) {
        let field = |names: [&str; 2]| {
            names.iter().find_map(|name| {
                parsed
                    .as_ref()
                    .and_then(|p| p.get(*name))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
        };
        return Err(Failure::Refused {
            method: method.to_owned(),
            status,
            title: field(["title", "error"]),
            detail: field(["detail", "error_description"]),
        });
    }
    parsed.ok_or_else(|| Failure::Http {
        url,
        reason: format!("the answer ({status}) is not JSON"),
    })
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
    let GrantCommand::Create {
        sub,
        scope,
        client_id,
        grace,
        idle,
        absolute,
        endpoint,
    } = args.command;
    let token = secret_env(ISSUE_TOKEN_ENV, "a token with scope portcullis:issue")?;
    let mut body = json!({ "sub": sub, "scope": scope });
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
            sub,
            scope,
            name,
            expires_in,
            endpoint,
        } => {
            let mut body = json!({ "sub": sub, "scope": scope });
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
