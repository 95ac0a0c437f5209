//! Forwarding an authorized request to the origin: same method, query, headers and body
//! (streamed both ways), the normalized path, no credentials, and the identity headers.
//!
//! This is the per-request hot path, so it works on the JS objects directly (`web_sys`),
//! crossing the wasm boundary as little as it can: the incoming headers are copied by the
//! runtime in one call and only the ones that must go are deleted; the origin's response
//! is handed back untouched, not rebuilt.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use worker::wasm_bindgen::JsCast;
use worker::web_sys::{self, Headers, RequestInit, RequestRedirect};
use worker::{js_sys, wasm_bindgen_futures, Delay};

use portcullis::config::GateConfig;
use portcullis::http::{self, Denial};
use portcullis::routes::NormalizedPath;
use portcullis::jwt::verify::VerifiedToken;

/// What the gate already read of the incoming request.
pub(crate) struct Incoming<'a> {
    pub req: &'a web_sys::Request,
    pub headers: &'a Headers,
    pub method: &'a str,
    pub cookie: Option<&'a str>,
}

/// The headers for the origin: the incoming ones minus credentials, hop-by-hop headers and
/// any `X-Portcullis-*`; the cookie header without the gate's cookie.
fn outbound_headers(incoming: &Incoming<'_>, config: &GateConfig) -> Result<Headers, Denial> {
    let headers =
        Headers::new_with_headers(incoming.headers).map_err(|_| Denial::OriginUnreachable)?;
    // All names in one crossing (header names cannot hold a newline); the runtime gives
    // them lower case, as forwards_header expects either way.
    let names: String = js_sys::Array::from(&headers.keys()).join("\n").into();
    for name in names
        .split('\n')
        .filter(|n| !n.is_empty() && !http::forwards_header(n))
    {
        headers
            .delete(name)
            .map_err(|_| Denial::OriginUnreachable)?;
    }
    if let Some(cookie) = incoming.cookie {
        let kept = match &config.cookie {
            Some(name) => http::cookie_without(cookie, name),
            None => Some(cookie.to_owned()),
        };
        if let Some(kept) = kept {
            let _ = headers.set("cookie", &kept);
        }
    }
    Ok(headers)
}

/// Sends the request on; `Err` only when the origin cannot be reached or is too slow.
pub(crate) async fn forward(
    incoming: Incoming<'_>,
    config: &GateConfig,
    own_origin: &str,
    path: &NormalizedPath,
    query: Option<&str>,
    token: Option<&VerifiedToken>,
    now_s: i64,
) -> Result<web_sys::Response, Denial> {
    let base = config.origin_url.as_deref().unwrap_or(own_origin);
    let htu = format!("{base}{}", path.as_str());
    let target = match query {
        Some(q) => format!("{htu}?{q}"),
        None => htu.clone(),
    };

    let headers = outbound_headers(&incoming, config)?;
    if let Some(token) = token {
        for (name, value) in
            http::identity_headers(&config.origin_key, token, incoming.method, &htu, now_s)
        {
            let _ = headers.set(name, &value);
        }
    }

    let init = RequestInit::new();
    init.set_method(incoming.method);
    init.set_headers_headers(&headers);
    init.set_redirect(RequestRedirect::Manual);
    if let Some(body) = incoming.req.body() {
        init.set_body(&body);
    }

    // The timeout covers the wait for the response head; a body then streams at its own pace.
    let controller = web_sys::AbortController::new().map_err(|_| Denial::OriginUnreachable)?;
    let signal = controller.signal();
    init.set_signal(Some(&signal));
    let answered = Rc::new(Cell::new(false));
    let timed_out = Rc::new(Cell::new(false));
    {
        let (answered, timed_out) = (answered.clone(), timed_out.clone());
        let wait = Duration::from_millis(config.origin_timeout_ms);
        wasm_bindgen_futures::spawn_local(async move {
            Delay::from(wait).await;
            if !answered.get() {
                timed_out.set(true);
                controller.abort();
            }
        });
    }
    let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let result =
        wasm_bindgen_futures::JsFuture::from(global.fetch_with_str_and_init(&target, &init)).await;
    answered.set(true);
    match result.map(|r| r.dyn_into::<web_sys::Response>()) {
        Ok(Ok(response)) => Ok(response),
        _ if timed_out.get() => Err(Denial::OriginTimeout),
        _ => Err(Denial::OriginUnreachable),
    }
}
