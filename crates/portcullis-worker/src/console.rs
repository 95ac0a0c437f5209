//! The operator console: the static files in `www/`, served under `<admin prefix>/console/`.
//!
//! The files come from the Workers static-assets binding `ASSETS`. wrangler.toml sets
//! `run_worker_first = true`, so the assets are never served at their own paths (where they
//! would shadow the origin): only this module hands them out, under the admin prefix.
//!
//! The pages hold no secrets, so they need no admin token; the API calls they make carry
//! one. Every answer gets a strict Content-Security-Policy and is never cached.

use worker::{Env, Headers, Method, Request, Response};

use super::send;
use portcullis::config::GateConfig;
use portcullis::http::Denial;

/// The assets binding (`[assets] binding` in wrangler.toml).
const BINDING: &str = "ASSETS";

/// Scripts, styles and data only from this origin; no inline script, no framing, no forms
/// sent anywhere (the page submits nothing itself: its scripts call the admin API).
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; \
                   frame-ancestors 'none'";

/// Whether `endpoint` (the path after the admin prefix) is the console's.
pub(crate) fn owns(endpoint: &str) -> bool {
    endpoint
        .strip_prefix("/console")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The asset a console path stands for: `/` is the page, otherwise one flat file name.
fn asset_path(rest: &str) -> Option<String> {
    match rest {
        "/" => Some("/index.html".to_owned()),
        _ => {
            let name = rest.strip_prefix('/')?;
            let plain = !name.is_empty()
                && !name.starts_with('.')
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
            plain.then(|| format!("/{name}"))
        }
    }
}

fn security_headers(headers: &Headers) -> worker::Result<()> {
    headers.set("content-security-policy", CSP)?;
    headers.set("x-content-type-options", "nosniff")?;
    headers.set("referrer-policy", "no-referrer")?;
    headers.set("x-frame-options", "DENY")?;
    headers.set("cache-control", "no-store")?;
    Ok(())
}

fn deny(config: &GateConfig, denial: Denial) -> worker::Result<Response> {
    let response = send(denial.response(&config.realm))?;
    security_headers(response.headers())?;
    Ok(response)
}

/// Serves `<prefix><endpoint>` for an endpoint the console [`owns`].
pub(crate) async fn serve(
    req: Request,
    env: &Env,
    config: &GateConfig,
    endpoint: &str,
) -> worker::Result<Response> {
    let method = req.method();
    if !matches!(method, Method::Get | Method::Head) {
        return deny(config, Denial::AdminMethodNotAllowed { allow: "GET, HEAD" });
    }
    let rest = &endpoint["/console".len()..];
    if rest.is_empty() {
        // Relative URLs in the page resolve against the directory, so it needs the slash.
        let headers = Headers::new();
        headers.set("location", &format!("{}/console/", config.admin_prefix))?;
        security_headers(&headers)?;
        return Ok(Response::empty()?.with_status(308).with_headers(headers));
    }
    let Some(asset) = asset_path(rest) else {
        return deny(config, Denial::AdminNotFound);
    };
    let Ok(assets) = env.assets(BINDING) else {
        return deny(config, Denial::AdminNotFound);
    };

    // The asset service only looks at the path; the host is the request's own. (Not
    // `req.url()`: parsing into a `Url` links the IDNA tables, about 200 KB of wasm.)
    let url = req.inner().url();
    let target = format!("{}{asset}", super::split_url(&url).0);
    // Always a GET: the files are small, and a HEAD answer drops the body below.
    let mut fetched = assets.fetch(target, None).await?;
    if fetched.status_code() == 404 {
        return deny(config, Denial::AdminNotFound);
    }
    let headers = Headers::new();
    if let Some(content_type) = fetched.headers().get("content-type")? {
        headers.set("content-type", &content_type)?;
    }
    security_headers(&headers)?;
    let body = if method == Method::Head {
        Vec::new()
    } else {
        fetched.bytes().await?
    };
    Ok(Response::from_bytes(body)?
        .with_status(fetched.status_code())
        .with_headers(headers))
}
