//! The JS helpers of the per-request hot path. Each does in one crossing of the wasm
//! boundary what `web_sys` would do in one crossing per header, option or getter (and,
//! for the fetch, what wasm-bindgen would do with a Rust closure per timer): the profile in
//! BENCHMARKS.md (section 3a) put the headers and the timeout glue at a third of the gate's
//! own cost. Decisions stay in Rust: these only move values.
//!
//! Lists cross as one string, `\n` between items: header names and values cannot hold a
//! line feed (the runtime's `Headers` refuses one), and URLs and methods cannot either.

use wasm_bindgen::prelude::*;
use worker::web_sys;

#[wasm_bindgen(inline_js = r#"
// The request head in one crossing: method, URL, then each header the gate reads on every
// request (the order of HEAD_HEADERS in Rust), "+value" when present and "-" when absent.
export function request_head(req) {
  const h = req.headers;
  let out = req.method + "\n" + req.url;
  for (const name of ["authorization", "cookie", "access-control-request-method", "cf-connecting-ip", "cf-ray", "x-portcullis-hop"]) {
    const v = h.get(name);
    out += v === null ? "\n-" : "\n+" + v;
  }
  return out;
}

export function header_names(headers) {
  let names = "";
  for (const name of headers.keys()) names += name + "\n";
  return names;
}

// The origin fetch: a Request built from the incoming one's method, headers (copied by the
// constructor) and `cf`, the body only when withBody; the plan applied to its own headers;
// manual redirects, no-store and the origin timeout given to fetch. Not the incoming Request
// itself as the init: that would also carry its signal, redirect and cache modes. Carrying `cf`
// is what keeps the fixed-rate tail at pass-through's (BENCHMARKS.md 3b, run 19; a subrequest
// without it, the earlier form, had 1.2-1.4x its p99). The timeout bounds the wait for the
// response head only (a body then streams at its own pace), and the signal's timer is the
// runtime's own, dropped with the request context: no closure, no clearTimeout, no promise of
// ours per request (run 6). Resolves to the Response, 1 on timeout, 0 when the origin cannot
// be reached.
export function fetch_origin(req, target, method, remove, set, withBody, timeoutMs) {
  const out = new Request(target, { method, headers: req.headers, body: withBody ? req.body : null, cf: req.cf });
  const headers = out.headers;
  if (remove) for (const name of remove.split("\n")) headers.delete(name);
  const pairs = set.split("\n");
  for (let i = 0; i + 1 < pairs.length; i += 2) headers.set(pairs[i], pairs[i + 1]);
  return fetch(out, { redirect: "manual", cache: "no-store", signal: AbortSignal.timeout(timeoutMs) })
    .catch((e) => (e !== null && typeof e === "object" && e.name === "TimeoutError" ? 1 : 0));
}

// Cache-Control and Vary of a response, "-" when absent, "+value" when present.
export function caching_headers(response) {
  const h = response.headers, cc = h.get("cache-control"), vary = h.get("vary");
  return (cc === null ? "-" : "+" + cc) + "\n" + (vary === null ? "-" : "+" + vary);
}

// A copy of the response (status, status text, headers; the body is the same stream) with
// the given headers set.
export function with_headers(response, set) {
  const copy = new Response(response.body, response);
  const pairs = set.split("\n");
  for (let i = 0; i + 1 < pairs.length; i += 2) copy.headers.set(pairs[i], pairs[i + 1]);
  return copy;
}
"#)]
extern "C" {
    fn request_head(req: &web_sys::Request) -> String;

    /// Every header name of `headers`, each followed by `\n` (lower case, as the runtime
    /// keeps them).
    pub fn header_names(headers: &web_sys::Headers) -> String;

    /// Sends `req` on to `target`: see the JS above. `remove` is names, `set` name/value
    /// pairs, each `\n`-joined.
    #[wasm_bindgen(catch)]
    pub fn fetch_origin(
        req: &web_sys::Request,
        target: &str,
        method: &str,
        remove: &str,
        set: &str,
        with_body: bool,
        timeout_ms: f64,
    ) -> Result<js_sys::Promise, JsValue>;

    fn caching_headers(response: &web_sys::Response) -> String;

    /// `response` copied with the `\n`-joined name/value pairs in `set` set.
    #[wasm_bindgen(catch)]
    pub fn with_headers(
        response: &web_sys::Response,
        set: &str,
    ) -> Result<web_sys::Response, JsValue>;
}

use worker::js_sys;

/// `Cache-Control` and `Vary` of `response`, in one crossing.
pub fn caching(response: &web_sys::Response) -> (Option<String>, Option<String>) {
    let both = caching_headers(response);
    let mut fields = both
        .splitn(2, '\n')
        .map(|f| f.strip_prefix('+').map(str::to_owned));
    let cache_control = fields.next().flatten();
    let vary = fields.next().flatten();
    (cache_control, vary)
}

/// Appends `name`/`value` pairs to a `\n`-joined list for [`fetch_origin`] and [`with_headers`].
pub fn push_pairs<'a>(list: &mut String, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) {
    for (name, value) in pairs {
        list.push_str(name);
        list.push('\n');
        list.push_str(value);
        list.push('\n');
    }
}

/// What the gate reads of every request, read in one crossing of the wasm boundary (the JS
/// `request_head` reads the headers in the order of the fields here).
pub struct Head {
    pub method: String,
    pub url: String,
    pub authorization: Option<String>,
    pub cookie: Option<String>,
    /// `Access-Control-Request-Method`: set on a CORS preflight.
    pub preflight: Option<String>,
    /// `CF-Connecting-IP`.
    pub client_ip: Option<String>,
    /// `CF-Ray`.
    pub ray: Option<String>,
    /// [`portcullis::http::forwarding::HOP_HEADER`] (the JS names it literally).
    pub hop: Option<String>,
}

impl Head {
    pub fn read(req: &web_sys::Request) -> Head {
        let all = request_head(req);
        let mut fields = all.split('\n');
        let mut text = || fields.next().unwrap_or_default();
        let method = text().to_owned();
        let url = text().to_owned();
        let mut header = || text().strip_prefix('+').map(str::to_owned);
        Head {
            method,
            url,
            authorization: header(),
            cookie: header(),
            preflight: header(),
            client_ip: header(),
            ray: header(),
            hop: header(),
        }
    }
}
