//! Bench only (cargo features `bench-nosignal` and `bench-lean`, never in the shipped build):
//! the origin fetch without the parts a tail measurement takes out one at a time
//! (bench/js/fixed-rate.mjs, BENCHMARKS.md 3g). `bench-noprivate` needs no code here: forward.rs
//! skips the private copy under it; `bench-lean` is both, and no promise of ours either.

use wasm_bindgen::prelude::*;
use worker::{js_sys, web_sys};

#[wasm_bindgen(inline_js = r#"
// fetch_origin without AbortSignal.timeout (no origin timeout: measurement only) and without
// the .catch that maps a timeout to 1 (no promise of ours).
export function fetch_origin_bare(req, target, method, remove, set, withBody) {
  const out = new Request(target, { method, headers: req.headers, body: withBody ? req.body : null, cf: req.cf });
  const headers = out.headers;
  if (remove) for (const name of remove.split("\n")) headers.delete(name);
  const pairs = set.split("\n");
  for (let i = 0; i + 1 < pairs.length; i += 2) headers.set(pairs[i], pairs[i + 1]);
  return fetch(out, { redirect: "manual", cache: "no-store" });
}
"#)]
extern "C" {
    /// fetch_origin's request, without the timeout's signal and its `.catch`.
    pub fn fetch_origin_bare(
        req: &web_sys::Request,
        target: &str,
        method: &str,
        remove: &str,
        set: &str,
        with_body: bool,
    ) -> js_sys::Promise;
}
