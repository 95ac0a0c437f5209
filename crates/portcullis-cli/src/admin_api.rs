//! One call to the gate's admin API over HTTP, shared by every subcommand that talks to it
//! (`revoke`, `revocations`, `scan --endpoint`, `grant`, `apikey`, `token`).

use std::time::Duration;

use serde_json::Value;

use crate::{url, Failure};

/// How long one admin call may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Largest answer read from the gate.
const MAX_ANSWER: u64 = 1024 * 1024;

/// Where the gate is.
#[derive(Debug, clap::Args)]
pub(crate) struct Endpoint {
    /// The gate's base URL (the help text below names examples; rustdoc refuses bare URLs).
    #[arg(
        long,
        value_name = "URL",
        help = "The gate's base URL, e.g. https://api.example.com or http://127.0.0.1:8787"
    )]
    pub(crate) endpoint: String,
    /// The gate's admin prefix (PORTCULLIS_ADMIN_PREFIX).
    #[arg(long, value_name = "PATH", default_value = "/_portcullis")]
    pub(crate) prefix: String,
}

/// What a call sends: nothing (a GET), JSON or a form (POSTs).
pub(crate) enum Body {
    None,
    /// A GET with one query parameter (name, value), percent-encoded by the client.
    Query(&'static str, String),
    Json(Value),
    Form(String),
}

/// One call to the admin API at `{prefix}/{path}`; a 2xx answer's JSON, or the refusal
/// (a problem document's title and detail, or RFC 6749's error and description).
pub(crate) fn call(
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
        Body::None | Body::Query(..) => "GET",
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
        Body::Query(name, value) => {
            let mut req = agent.get(&url).query(name, value);
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
