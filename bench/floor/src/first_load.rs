//! floor-first-load-deployed (cargo feature `first-load`): before its isolate's first answer,
//! the floor makes the platform calls of the gate's first revocation load (revocations.rs)
//! and nothing else, as bench/js/gate-workers.mjs's `firstLoad` does for the JavaScript
//! pass-through: the Cache API opened and missed, the writer's feed through the
//! REVOCATION_WRITER Durable Object binding at once with the KV manifest read, the feed put
//! in the cache after the answer (`ctx.waitUntil`, after a zero timer as the gate defers it).
//! The calls are made by a JavaScript helper the Rust handler calls through wasm-bindgen and
//! awaits once per isolate: the platform's cost plus a workers-rs Worker's, not the cost of
//! the gate's Rust bindings for them, so the figure is a lower bound for any workers-rs Worker
//! that must load a list on its first request. `GET /_bench/first-load` answers what the load
//! saw (where the feed came from, its size, whether the manifest was read and the put landed),
//! so the bench can check every start really made the calls.

use std::cell::RefCell;

use worker::wasm_bindgen::{self, prelude::wasm_bindgen, JsValue};
use worker::{js_sys, wasm_bindgen_futures::JsFuture, Context, Env};

#[wasm_bindgen(inline_js = r#"
// The names the gate uses (revocations.rs, config defaults, compact::MANIFEST_KEY).
const FEED_URL = "https://revocations.portcullis.internal/feed";
const seen = { feed_from: null, feed_bytes: 0, manifest: false, put: false };
export async function first_load(env, ctx) {
  const cache = await caches.open("portcullis-revocations");
  const feed = async () => {
    const hit = await cache.match(FEED_URL);
    if (hit) return [await hit.text(), "cache"];
    const writer = env.REVOCATION_WRITER.get(env.REVOCATION_WRITER.idFromName("revocations"));
    const res = await writer.fetch("https://writer/feed");
    if (res.status !== 200) throw new Error(`writer: ${res.status}`);
    return [await res.text(), "writer"];
  };
  const [[text, from], manifest] = await Promise.all([feed(), env.REVOCATIONS.get("revocations/compact/manifest")]);
  JSON.parse(text);
  Object.assign(seen, { feed_from: from, feed_bytes: text.length, manifest: manifest !== null });
  if (from === "writer") {
    ctx.waitUntil(new Promise((r) => setTimeout(r, 0))
      .then(() => cache.put(FEED_URL, new Response(text, { headers: { "cache-control": "max-age=2" } })))
      .then(() => { seen.put = true; }));
  }
}
export function first_load_seen() { return JSON.stringify(seen); }
"#)]
extern "C" {
    fn first_load(env: &JsValue, ctx: &JsValue) -> js_sys::Promise;
    fn first_load_seen() -> String;
}

thread_local! {
    // The isolate's one load: every request awaits it (the first starts it).
    static LOADED: RefCell<Option<js_sys::Promise>> = const { RefCell::new(None) };
}

/// Await the isolate's first load, starting it on the first call.
pub async fn ensure(env: &Env, ctx: &Context) -> worker::Result<()> {
    let promise = LOADED.with(|l| {
        l.borrow_mut()
            .get_or_insert_with(|| {
                let ctx: &JsValue = AsRef::<worker::worker_sys::Context>::as_ref(ctx).as_ref();
                first_load(env.as_ref(), ctx)
            })
            .clone()
    });
    JsFuture::from(promise).await?;
    Ok(())
}

/// What the load saw, as JSON (`GET /_bench/first-load`).
pub fn seen() -> String {
    first_load_seen()
}
