//! Forwarding an authorized request to the origin: same method, query, headers and body
//! (streamed both ways), the normalized path, no credentials, and the identity headers.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use worker::{wasm_bindgen_futures, AbortController, Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect, Response};

use crate::config::GateConfig;
use crate::gate::{self, Denial};
use crate::policy::NormalizedPath;
use crate::verify::VerifiedToken;

/// Sends the request on; `Err` only when the origin cannot be reached or is too slow.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn forward(
    req: Request,
    config: &GateConfig,
    method: &str,
    own_origin: &str,
    path: &NormalizedPath,
    query: Option<&str>,
    token: Option<&VerifiedToken>,
    now_s: i64,
) -> Result<Response, Denial> {
    let base = config.origin_url.as_deref().unwrap_or(own_origin);
    let htu = format!("{base}{}", path.as_str());
    let target = match query {
        Some(q) => format!("{htu}?{q}"),
        None => htu.clone(),
    };

    let headers = Headers::new();
    for (name, value) in req.headers().entries() {
        if gate::forwards_header(&name) {
            headers.append(&name, &value).map_err(|_| Denial::OriginUnreachable)?;
        }
    }
    if let Ok(Some(cookie)) = req.headers().get("cookie") {
        let kept = match &config.cookie {
            Some(name) => gate::cookie_without(&cookie, name),
            None => Some(cookie),
        };
        if let Some(kept) = kept {
            let _ = headers.set("cookie", &kept);
        }
    }
    if let Some(token) = token {
        for (name, value) in gate::identity_headers(&config.origin_key, token, method, &htu, now_s) {
            let _ = headers.set(name, &value);
        }
    }

    let mut init = RequestInit::new();
    init.with_method(Method::from(method.to_owned()))
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual);
    if let Some(body) = req.inner().body() {
        init.with_body(Some(body.into()));
    }
    let outbound = Request::new_with_init(&target, &init).map_err(|_| Denial::OriginUnreachable)?;

    // The timeout covers the wait for the response head; a body then streams at its own pace.
    let controller = AbortController::default();
    let signal = controller.signal();
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
    let result = Fetch::Request(outbound).send_with_signal(&signal).await;
    answered.set(true);
    match result {
        Ok(response) => Ok(response),
        Err(_) if timed_out.get() => Err(Denial::OriginTimeout),
        Err(_) => Err(Denial::OriginUnreachable),
    }
}
