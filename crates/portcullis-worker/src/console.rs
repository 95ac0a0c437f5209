//! The operator console: the static files in `www/`, served under `<admin prefix>/console/`.
//!
//! The files come from the Workers static-assets binding `ASSETS`. wrangler.toml sets
//! `run_worker_first = true`, so the assets are never served at their own paths (where they
//! would shadow the origin): only this module hands them out, under the admin prefix.
//!
//! Which paths are the console's, which file each stands for and the headers every answer
//! carries are the core's decisions ([`portcullis::http::console`]); this module fetches the
//! file and sends it.

use worker::{Env, Headers, Request, Response};

use super::send;
use portcullis::config::GateConfig;
use portcullis::http::console::{console_request, ConsoleRequest, SECURITY_HEADERS};
use portcullis::http::url::split_url;
use portcullis::http::Denial;

/// The assets binding (`[assets] binding` in wrangler.toml).
const BINDING: &str = "ASSETS";

fn security_headers(headers: &Headers) -> worker::Result<()> {
    for (name, value) in SECURITY_HEADERS {
        headers.set(name, value)?;
    }
    Ok(())
}

fn deny(config: &GateConfig, denial: Denial) -> worker::Result<Response> {
    let response = send(denial.response(&config.realm))?;
    security_headers(response.headers())?;
    Ok(response)
}

/// Serves `<prefix><endpoint>` for an endpoint the console owns.
pub(crate) async fn serve(
    req: Request,
    env: &Env,
    config: &GateConfig,
    endpoint: &str,
) -> worker::Result<Response> {
    // The method as sent: worker's `Method` reads an unknown method as GET.
    let method = req.inner().method();
    let asset = match console_request(&method, endpoint, &config.admin_prefix) {
        ConsoleRequest::Asset(asset) => asset,
        ConsoleRequest::Refused(denial) => return deny(config, denial),
        ConsoleRequest::Redirect(location) => {
            let headers = Headers::new();
            headers.set("location", &location)?;
            security_headers(&headers)?;
            return Ok(Response::empty()?.with_status(308).with_headers(headers));
        }
    };
    let Ok(assets) = env.assets(BINDING) else {
        return deny(config, Denial::AdminNotFound);
    };

    // The asset service only looks at the path; the host is the request's own. (Not
    // `req.url()`: parsing into a `Url` links the IDNA tables, about 200 KB of wasm.)
    let url = req.inner().url();
    let target = format!("{}{asset}", split_url(&url).origin);
    // Always a GET: the files are small, and a HEAD answer drops the body below. A
    // web_sys Request, not `fetch(url, None)`: that links worker's RequestInit conversion
    // (serde-wasm-bindgen and the `cf` options): 4.9 KB of the wasm gzipped (issue 12 item 5).
    let asset_req = Request::from(worker::web_sys::Request::new_with_str(&target)?);
    let mut fetched = assets.fetch_request(asset_req).await?;
    if fetched.status_code() == 404 {
        return deny(config, Denial::AdminNotFound);
    }
    let headers = Headers::new();
    if let Some(content_type) = fetched.headers().get("content-type")? {
        headers.set("content-type", &content_type)?;
    }
    security_headers(&headers)?;
    let body = if method == "HEAD" {
        Vec::new()
    } else {
        fetched.bytes().await?
    };
    Ok(Response::from_bytes(body)?
        .with_status(fetched.status_code())
        .with_headers(headers))
}
