//! Forwarding an authorized request to the origin: same method, query, headers and body
//! (streamed both ways), the normalized path, and the headers [`forwarding`] plans: no
//! credentials, no header the gate did not decide on, `X-Forwarded-*` and the hop marker
//! from the gate, and the identity headers.
//!
//! This is the per-request hot path, so it works on the JS objects directly (`web_sys`),
//! crossing the wasm boundary as little as it can: the incoming headers are copied by the
//! runtime in one call and only the ones that must go are deleted; the origin's response
//! is handed back untouched, except that a response to a credential-authorized request is
//! re-wrapped (headers copied, body still streamed) when its caching headers need marking.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use worker::wasm_bindgen::JsCast;
use worker::web_sys::{self, Headers, RequestCache, RequestInit, RequestRedirect, ResponseInit};
use worker::{js_sys, wasm_bindgen_futures, Delay};

use portcullis::config::GateConfig;
use portcullis::http::forwarding::{self, Inbound};
use portcullis::http::{self, Denial};
use portcullis::jwt::verify::VerifiedToken;

/// What the gate already read of the incoming request.
pub(crate) struct Incoming<'a> {
    pub req: &'a web_sys::Request,
    pub headers: &'a Headers,
    pub method: &'a str,
    pub cookie: Option<&'a str>,
    /// `CF-Connecting-IP`, as the audit context already read it.
    pub client_ip: Option<&'a str>,
    /// `scheme://authority` of the request URL.
    pub own_origin: &'a str,
    /// False for a CORS preflight: the origin gets no body.
    pub with_body: bool,
    /// The request headers that may have carried the credential (empty: none was read).
    pub credential_headers: Vec<&'static str>,
}

/// The headers for the origin: the incoming ones as [`forwarding::outbound_headers`] plans
/// them, the cookie header without the gate's cookie.
fn outbound_headers(
    incoming: &Incoming<'_>,
    config: &GateConfig,
    hop: &str,
) -> Result<Headers, Denial> {
    let headers =
        Headers::new_with_headers(incoming.headers).map_err(|_| Denial::OriginUnreachable)?;
    // All names in one crossing (header names cannot hold a newline).
    let names: String = js_sys::Array::from(&headers.keys()).join("\n").into();
    // Connection is read only when the request has one (header names come lower case).
    let connection = match names.split('\n').any(|n| n == "connection") {
        true => headers.get("connection").ok().flatten(),
        false => None,
    };
    let plan = forwarding::outbound_headers(
        names.split('\n').filter(|n| !n.is_empty()),
        &Inbound {
            connection: connection.as_deref(),
            client_ip: incoming.client_ip,
            own_origin: incoming.own_origin,
            with_body: incoming.with_body,
            hop,
        },
    );
    for name in &plan.delete {
        headers
            .delete(name)
            .map_err(|_| Denial::OriginUnreachable)?;
    }
    for (name, value) in &plan.set {
        let _ = headers.set(name, value);
    }
    if let (Some(cookie), true) = (incoming.cookie, plan.keep_cookie) {
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
    htu: &str,
    query: Option<&str>,
    token: Option<&VerifiedToken>,
    list: Option<http::ListStamp>,
    now_s: i64,
) -> Result<web_sys::Response, Denial> {
    let target = match query {
        Some(q) => format!("{htu}?{q}"),
        None => htu.to_owned(),
    };

    let hop = forwarding::hop_marker(&config.origin_key, incoming.method, htu);
    let headers = outbound_headers(&incoming, config, &hop)?;
    if let Some(token) = token {
        for (name, value) in
            http::identity_headers(&config.origin_key, token, incoming.method, htu, now_s, list)
        {
            let _ = headers.set(name, &value);
        }
    }

    let init = RequestInit::new();
    init.set_method(incoming.method);
    init.set_headers_headers(&headers);
    init.set_redirect(RequestRedirect::Manual);
    // The platform never caches the origin's answer: it may be one caller's.
    init.set_cache(RequestCache::NoStore);
    if incoming.with_body {
        if let Some(body) = incoming.req.body() {
            init.set_body(&body);
        }
    }

    // The timeout covers the wait for the response head; a body then streams at its own pace.
    // The timer races the fetch and is dropped (clearTimeout) the moment the head arrives:
    // a timer left pending per forwarded request would keep ORIGIN_TIMEOUT worth of them
    // alive under load (the latency tail, BENCHMARKS.md section 3).
    let controller = web_sys::AbortController::new().map_err(|_| Denial::OriginUnreachable)?;
    init.set_signal(Some(&controller.signal()));
    let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let mut fetch =
        wasm_bindgen_futures::JsFuture::from(global.fetch_with_str_and_init(&target, &init));
    let mut timer = Delay::from(Duration::from_millis(config.origin_timeout_ms));
    let result = std::future::poll_fn(|cx| {
        if let Poll::Ready(r) = Pin::new(&mut fetch).poll(cx) {
            return Poll::Ready(Some(r));
        }
        Pin::new(&mut timer).poll(cx).map(|()| None)
    })
    .await;
    drop(timer);
    let result = match result {
        Some(result) => result,
        None => {
            controller.abort();
            return Err(Denial::OriginTimeout);
        }
    };
    match result.map(|r| r.dyn_into::<web_sys::Response>()) {
        Ok(Ok(response)) if incoming.credential_headers.is_empty() => Ok(response),
        Ok(Ok(response)) => mark_private(response, &incoming.credential_headers),
        _ => Err(Denial::OriginUnreachable),
    }
}

/// The origin's response to a credential-authorized request with the headers
/// [`forwarding::private_response_headers`] asks for; the same object when none are needed.
/// The copy keeps the body stream: nothing is buffered. A response that cannot be marked is
/// not sent unmarked: that is a 502.
fn mark_private(
    response: web_sys::Response,
    credential: &[&str],
) -> Result<web_sys::Response, Denial> {
    let original = response.headers();
    let cache_control = original.get("cache-control").ok().flatten();
    let vary = original.get("vary").ok().flatten();
    let set =
        forwarding::private_response_headers(cache_control.as_deref(), vary.as_deref(), credential);
    if set.is_empty() {
        return Ok(response);
    }
    // workerd takes a Response as the init of a new one: status, status text and headers
    // are copied (the headers now mutable), the body is the same stream.
    let init: &ResponseInit = response.unchecked_ref();
    let copy =
        web_sys::Response::new_with_opt_readable_stream_and_init(response.body().as_ref(), init)
            .map_err(|_| Denial::OriginUnreachable)?;
    let headers = copy.headers();
    for (name, value) in &set {
        headers
            .set(name, value)
            .map_err(|_| Denial::OriginUnreachable)?;
    }
    Ok(copy)
}
