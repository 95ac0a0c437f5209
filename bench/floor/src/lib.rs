//! The floor of a Rust Worker on workers-rs: the gate's own glue pattern (the runtime's
//! Request in, its Response out, `web_sys` calls, `JsFuture`), doing nothing but forwarding
//! to `ORIGIN_URL` with the request's path and query; with `FLOOR_LOG` set, it also writes
//! the gate's audit line for an allowed request (same fields, built with serde_json, one
//! console.log). What it costs over the JavaScript pass-through is what any workers-rs
//! Worker pays on this platform; what the gate costs over it is the gate's own logic.
#![cfg(target_arch = "wasm32")]
#![allow(missing_docs)]

#[cfg(feature = "first-load")]
mod first_load;

use std::cell::RefCell;

use worker::wasm_bindgen::{JsCast, JsValue};
use worker::{event, js_sys, wasm_bindgen_futures::JsFuture, web_sys, Context, Date, Env};

thread_local! {
    // ORIGIN_URL and FLOOR_LOG, read once per isolate as the gate reads its settings.
    static SETTINGS: RefCell<Option<(String, bool)>> = const { RefCell::new(None) };
}

fn settings(env: &Env) -> (String, bool) {
    SETTINGS.with(|s| {
        s.borrow_mut()
            .get_or_insert_with(|| {
                let origin = env
                    .var("ORIGIN_URL")
                    .map(|v| v.to_string())
                    .unwrap_or_default();
                let log = env.var("FLOOR_LOG").is_ok();
                (origin, log)
            })
            .clone()
    })
}

#[event(fetch)]
async fn fetch(
    req: web_sys::Request,
    env: Env,
    _ctx: Context,
) -> worker::Result<web_sys::Response> {
    let (origin, log) = settings(&env);
    let url = req.url();
    #[cfg(feature = "first-load")]
    {
        if url.ends_with("/_bench/first-load") {
            return Ok(web_sys::Response::new_with_opt_str(Some(
                &first_load::seen(),
            ))?);
        }
        first_load::ensure(&env, &_ctx).await?;
    }
    // Path and query: everything after scheme://authority.
    let rest = url
        .split_once("://")
        .and_then(|(_, r)| r.find('/').map(|i| &r[i..]))
        .unwrap_or("/");
    // new Request(url, request), as the JavaScript pass-through does: the request is its own init.
    let outgoing = web_sys::Request::new_with_str_and_init(
        &format!("{origin}{rest}"),
        req.unchecked_ref::<web_sys::RequestInit>(),
    )?;
    let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let response: web_sys::Response = JsFuture::from(global.fetch_with_request(&outgoing))
        .await?
        .dyn_into()?;
    if log {
        let headers = req.headers();
        let path = rest.split('?').next().unwrap_or("/");
        let line = serde_json::json!({
            "event": "gate", "time_ms": Date::now().as_millis(),
            "client_ip": headers.get("cf-connecting-ip")?, "ray": headers.get("cf-ray")?,
            "method": req.method(), "path": path, "rule": 1, "decision": "allow",
            "reason": "authorized", "status": response.status(),
            "sub": "user-1234", "jti": "0f8fad5b-d9cb-469f-a165-70867728950e", "kid": "bench-1",
        });
        web_sys::console::log_1(&JsValue::from_str(&line.to_string()));
    }
    Ok(response)
}
