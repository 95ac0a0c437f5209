//! Each isolate's copy of the revocation list, kept current from the single writer's feed.
//!
//! - The writer (a Durable Object, [`super::writer`]) records changes and publishes the full
//!   snapshot to KV.
//! - A location caches the writer's feed (head version + recent changes) in the Cache API
//!   for `feed_ttl_s`; an isolate whose copy is older than `refresh_s` reads that cache in
//!   the background, filling it from the writer on a miss, and applies the changes after
//!   the version it holds. It reloads the snapshot from KV only when it has no copy or fell
//!   behind the feed's window. So the writer sees about one request per location per TTL,
//!   KV about none, whatever the traffic.
//! - Writer unreachable: the isolate reloads the KV snapshot instead (the writer's last
//!   publication) and logs `revocation_writer_unreachable`; the rule's fail-open setting
//!   still decides when there is no copy at all.
//!
//! The hot path reads the isolate's copy; the core's [`SnapshotFreshness`] says when it must
//! wait for a sync and when one runs in the background.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use futures_util::future::join;
use serde_json::json;
use std::time::Duration;

use worker::wasm_bindgen::JsValue;
use worker::{web_sys, Cache, Context, Delay, Env, Headers, Method, Request, Response};

use super::now_ms;
use super::store::{count_kv, KvOp, BINDING, KV_OPS, VERSION_HEADER, WRITER_BINDING, WRITER_NAME};
use portcullis::config::GateConfig;
use portcullis::http::telemetry::SnapshotStatus;
use portcullis::http::{Denial, ListStamp, Revocations};
use portcullis::revocation::{
    compact, plan_sync, CompactList, Feed, KvOperation, RevocationEntry, RevocationError,
    SnapshotAction, SnapshotFreshness, StoreError, SyncStep, SNAPSHOT_KEY,
};

/// The feed's key in the location's cache: a URL that never leaves the Worker.
const FEED_URL: &str = "https://revocations.portcullis.internal/feed";

/// An isolate's copy: the list and when it was last confirmed to be the head.
pub(crate) struct Held {
    pub snapshot: Rc<CompactList>,
    pub checked_ms: u64,
}

impl Held {
    /// The version and age the identity assertion reports.
    pub(crate) fn stamp(&self) -> ListStamp {
        ListStamp {
            version: self.snapshot.version(),
            age_s: now_ms().saturating_sub(self.checked_ms) / 1000,
        }
    }
}

thread_local! {
    static HELD: RefCell<Option<Rc<Held>>> = const { RefCell::new(None) };
    static LOADING: Cell<bool> = const { Cell::new(false) };
    static SYNCING: Cell<bool> = const { Cell::new(false) };
    // A feed an isolate's first load took from the writer, still to go into the location's
    // cache once a request is answered (`cache_after_answer`; the first to end may be one
    // that waited for the load: a Cache is not tied to a request, as `caches.default` is one
    // object for all of them).
    static UNCACHED_FEED: RefCell<Option<FeedToCache>> = const { RefCell::new(None) };
}

fn kv_failed<E: std::fmt::Display>(op: KvOperation) -> impl FnOnce(E) -> StoreError {
    move |e| StoreError::Kv {
        op,
        detail: e.to_string(),
    }
}

fn writer_failed<E: std::fmt::Display>(e: E) -> StoreError {
    StoreError::Writer {
        detail: e.to_string(),
    }
}

fn freshness(config: &GateConfig) -> SnapshotFreshness {
    SnapshotFreshness::new(config.revocation.refresh_s, config.revocation.max_age_s)
}

/// The copy to decide with, or `None` when there is none young enough (fail closed).
pub(crate) async fn current(env: &Env, ctx: &Context, config: &GateConfig) -> Option<Rc<Held>> {
    let held = HELD.with(|h| h.borrow().clone());
    let action = freshness(config).decide(
        held.as_ref().map(|h| h.checked_ms),
        now_ms(),
        SYNCING.with(Cell::get),
    );
    match (action, held) {
        (SnapshotAction::Use, Some(held)) => Some(held),
        (SnapshotAction::UseAndRefresh, Some(held)) => {
            SYNCING.with(|s| s.set(true));
            let (env, config) = (env.clone(), config.clone());
            in_background(
                ctx,
                Box::pin(async move {
                    if let Err(e) = sync(&env, &config).await {
                        worker::console_warn!(
                            "{}",
                            json!({"event": "snapshot_refresh_failed", "error": e})
                        );
                    }
                    SYNCING.with(|s| s.set(false));
                }),
            );
            Some(held)
        }
        _ => match load_once(env, config).await {
            Ok(held) => Some(held),
            Err(e) => {
                worker::console_error!("{}", json!({"event": "snapshot_unavailable", "error": e}));
                None
            }
        },
    }
}

/// Work after the answer. Boxed: one instantiation of `wait_until` for every caller, not one
/// per future type (each costs several hundred bytes of gzipped wasm).
fn in_background(ctx: &Context, work: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>) {
    ctx.wait_until(work);
}

/// How long a request with no copy waits for another request's load before loading itself.
const LOAD_WAIT_MS: u64 = 2_000;
const LOAD_POLL_MS: u64 = 10;

/// [`sync`] for a request that has no copy young enough to decide with. While another
/// request's load runs, it waits for that one (a cold isolate hit by a burst makes one KV
/// read and one feed fetch, not one per request), then uses the copy only if that load made
/// it young enough: a failed load leaves the old copy in place, past the maximum age, and
/// deciding with it would let a revoked token through (the soak's writer-and-KV-down phase
/// caught that). It polls on its own timer: workerd cancels a request that awaits I/O
/// another request started.
async fn load_once(env: &Env, config: &GateConfig) -> Result<Rc<Held>, StoreError> {
    let mut waited = 0;
    while LOADING.with(Cell::get) && waited < LOAD_WAIT_MS {
        Delay::from(Duration::from_millis(LOAD_POLL_MS)).await;
        waited += LOAD_POLL_MS;
    }
    if waited > 0 {
        if let Some(held) = HELD.with(|h| h.borrow().clone()) {
            if freshness(config).usable(held.checked_ms, now_ms()) {
                return Ok(held);
            }
        }
    }
    LOADING.with(|l| l.set(true));
    let result = sync(env, config).await;
    LOADING.with(|l| l.set(false));
    result
}

/// The gate's view of this isolate's copy.
pub(crate) fn state<'a>(held: Option<&'a Held>, config: &GateConfig) -> Revocations<'a> {
    match held {
        Some(h) => Revocations::Current(&*h.snapshot),
        None => Revocations::Unavailable {
            retry_after_s: freshness(config).unavailable().retry_after_s,
        },
    }
}

fn keep(snapshot: CompactList, checked_ms: u64) -> Rc<Held> {
    let held = Rc::new(Held {
        snapshot: Rc::new(snapshot),
        checked_ms,
    });
    HELD.with(|h| *h.borrow_mut() = Some(held.clone()));
    held
}

/// Brings this isolate's copy to the head: from the location's feed, or (writer
/// unreachable) from the KV snapshot.
pub(crate) async fn sync(env: &Env, config: &GateConfig) -> Result<Rc<Held>, StoreError> {
    if HELD.with(|h| h.borrow().is_none()) {
        return first_load(env, config).await;
    }
    match location_feed(env, config).await {
        Ok((feed, fetched)) => {
            if let Some(fetched) = fetched {
                fetched.put().await;
            }
            apply_feed(env, &feed).await
        }
        Err(e) => {
            // The audit trail says the list now comes from KV alone, with KV's bound.
            worker::console_warn!(
                "{}",
                json!({"event": "revocation_writer_unreachable", "fallback": "kv_snapshot", "error": e})
            );
            let checked = now_ms();
            Ok(keep(load_snapshot(env).await?, checked))
        }
    }
}

/// An isolate's first copy. With no copy the KV snapshot is read whatever the feed says, so
/// both are read at once: a cold isolate's first request waits for the slower of the two, not
/// for one after the other (in production a round trip to the writer's location and a KV
/// read; BENCHMARKS.md section 3). When that snapshot is unreadable or behind the feed's
/// window, KV is read again after the feed, as [`sync`] does: the feed's request may just
/// have woken the writer, which publishes as it starts (after an upgrade, the first compact
/// list). Writer unreachable: the snapshot alone, as in [`sync`].
async fn first_load(env: &Env, config: &GateConfig) -> Result<Rc<Held>, StoreError> {
    // The age counts from before either read: never younger than the list is.
    let checked = now_ms();
    let (feed, snapshot) = join(location_feed(env, config), load_snapshot(env)).await;
    let feed = feed.map(|(feed, fetched)| {
        // A request waits for this load: the cache is filled after its answer, not before.
        if let Some(fetched) = fetched {
            UNCACHED_FEED.with(|u| *u.borrow_mut() = Some(fetched));
        }
        feed
    });
    match (feed, snapshot) {
        (Ok(feed), Ok(mut snapshot)) => match plan_sync(snapshot.version(), &feed) {
            SyncStep::Reload => apply_feed(env, &feed).await,
            SyncStep::Apply(changes) => {
                snapshot.apply(&changes, (now_ms() / 1000) as i64);
                Ok(keep(snapshot, checked))
            }
            SyncStep::UpToDate => Ok(keep(snapshot, checked)),
        },
        (Ok(feed), Err(_)) => apply_feed(env, &feed).await,
        (Err(e), snapshot) => {
            worker::console_warn!(
                "{}",
                json!({"event": "revocation_writer_unreachable", "fallback": "kv_snapshot", "error": e})
            );
            Ok(keep(snapshot?, checked))
        }
    }
}

/// Applies the feed's changes after a snapshot just read from KV.
fn catch_up(snapshot: &mut CompactList, feed: &Feed, now_s: i64) {
    match plan_sync(snapshot.version(), feed) {
        SyncStep::Apply(changes) => snapshot.apply(&changes, now_s),
        SyncStep::UpToDate => {}
        // The published snapshot is itself behind the window (publication lags by about a
        // second): decide with it, and say so; the next sync reloads.
        SyncStep::Reload => worker::console_warn!(
            "{}",
            json!({"event": "snapshot_behind_feed", "snapshot": snapshot.version(), "from": feed.from})
        ),
    }
}

/// Catches this isolate's copy up with `feed`, reloading from KV when behind its window.
async fn apply_feed(env: &Env, feed: &Feed) -> Result<Rc<Held>, StoreError> {
    let checked = now_ms();
    let now_s = (checked / 1000) as i64;
    // No await from here to `keep`: nothing else touches the copy meanwhile.
    let held = HELD.with(|h| h.borrow_mut().take());
    let step = held.as_ref().map(|h| plan_sync(h.snapshot.version(), feed));
    match (step, held) {
        (Some(SyncStep::UpToDate), Some(h)) => {
            let held = Rc::new(Held {
                snapshot: h.snapshot.clone(),
                checked_ms: checked,
            });
            HELD.with(|slot| *slot.borrow_mut() = Some(held.clone()));
            Ok(held)
        }
        (Some(SyncStep::Apply(changes)), Some(h)) => {
            // Applied in place when no request holds the copy (the usual case).
            let mut s = owned(h);
            s.apply(&changes, now_s);
            Ok(keep(s, checked))
        }
        (_, h) => {
            // Put back what was held while KV answers: a failed load leaves it in place.
            if let Some(h) = h {
                HELD.with(|slot| *slot.borrow_mut() = Some(h));
            }
            let mut s = load_snapshot(env).await?;
            catch_up(&mut s, feed, now_s);
            Ok(keep(s, checked))
        }
    }
}

/// The snapshot out of its `Rc`s, cloned only if a request still holds it.
fn owned(held: Rc<Held>) -> CompactList {
    match Rc::try_unwrap(held) {
        Ok(h) => Rc::try_unwrap(h.snapshot).unwrap_or_else(|rc| (*rc).clone()),
        Err(rc) => (*rc.snapshot).clone(),
    }
}

/// The whole list from KV: the compact form (manifest, then its chunks). No manifest and no
/// `snapshot/v1` either: an empty list (a fresh deployment). No manifest but a `snapshot/v1`
/// (right after an upgrade, before the writer of this release published): no list yet, an
/// error, so the rule's `fail_open` decides as for any unreadable list. The gate no longer
/// parses `snapshot/v1` (its JSON reader cost 8,572 B gzip); the writer, which imports it,
/// publishes the compact list when it starts (writer.rs). Anything unreadable is an error,
/// never silently empty: the caller keeps the list it holds, or fails closed.
async fn load_snapshot(env: &Env) -> Result<CompactList, StoreError> {
    let store = env.kv(BINDING).map_err(|e| StoreError::Binding {
        binding: BINDING,
        detail: e.to_string(),
    })?;
    count_kv(KvOp::Read);
    let manifest = store
        .get(compact::MANIFEST_KEY)
        .text()
        .await
        .map_err(kv_failed(KvOperation::Get))?;
    if let Some(manifest) = manifest {
        let manifest = compact::Manifest::from_json(&manifest).map_err(compact_error)?;
        // Decoded chunk by chunk as they arrive, so the load holds the list plus one chunk.
        // One after the other: workers-rs starts a KV read when it is first polled.
        let mut decoder = compact::CompactDecoder::new(manifest.bytes);
        for (index, key) in (0..).zip(manifest.chunk_keys()) {
            count_kv(KvOp::Read);
            let chunk = store
                .get(&key)
                .bytes()
                .await
                .map_err(kv_failed(KvOperation::Get))?;
            let chunk = manifest
                .check_chunk(index, chunk.as_deref())
                .map_err(compact_error)?;
            decoder.push(chunk).map_err(RevocationError::from)?;
        }
        return decoder
            .finish()
            .map_err(|e| RevocationError::from(e).into());
    }
    count_kv(KvOp::Read);
    let text = store
        .get(SNAPSHOT_KEY)
        .text()
        .await
        .map_err(kv_failed(KvOperation::Get))?;
    match text {
        None => Ok(CompactList::empty((now_ms() / 1000) as i64)),
        Some(_) => Err(StoreError::CompactNotPublished),
    }
}

fn compact_error(e: compact::ChunkError) -> StoreError {
    RevocationError::from(compact::CompactError::from(e)).into()
}

/// The location's feed: from its cache, or from the writer, then with the writer's text for
/// the caller to put in the cache this opened ([`FeedToCache`]).
async fn location_feed(
    env: &Env,
    config: &GateConfig,
) -> Result<(Feed, Option<FeedToCache>), StoreError> {
    let cache = Cache::open(config.revocation.cache.clone()).await;
    if let Ok(Some(mut hit)) = cache.get(FEED_URL, false).await {
        if let Ok(text) = hit.text().await {
            if let Ok(feed) = Feed::from_json(&text) {
                return Ok((feed, None));
            }
        }
    }
    let text = writer_call(env, Method::Get, "/feed", None).await?.1;
    let feed = Feed::from_json(&text)?;
    Ok((feed, Some(FeedToCache::new(cache, config, text))))
}

/// Feed JSON from the writer, for the location's cache (already open: one open per load).
struct FeedToCache {
    cache: Cache,
    ttl_s: u64,
    text: String,
}

impl FeedToCache {
    fn new(cache: Cache, config: &GateConfig, text: String) -> FeedToCache {
        FeedToCache {
            cache,
            ttl_s: config.revocation.feed_ttl_s,
            text,
        }
    }

    /// Puts it in the location's cache for the TTL. A failure only costs a writer request
    /// next time, so it is logged, not returned.
    async fn put(self) {
        let cache = self.cache;
        let put = async {
            let headers = Headers::new();
            headers.set("cache-control", &format!("max-age={}", self.ttl_s))?;
            let response = Response::ok(self.text)?.with_headers(headers);
            cache.put(FEED_URL, response).await
        };
        if let Err(e) = put.await {
            worker::console_warn!(
                "{}",
                json!({"event": "feed_cache_failed", "error": e.to_string()})
            );
        }
    }
}

/// Fills the location's cache with the feed this isolate's first load took from the writer,
/// once the request is answered: that load's request waits for the writer and KV, not for
/// the Cache API's write too (BENCHMARKS.md section 3e). The timer puts the write after the
/// answer has been handed to the runtime, not merely after the handler returned.
pub(crate) fn cache_after_answer(ctx: &Context) {
    if let Some(feed) = UNCACHED_FEED.with(|u| u.borrow_mut().take()) {
        in_background(
            ctx,
            Box::pin(async move {
                Delay::from(Duration::ZERO).await;
                feed.put().await;
            }),
        );
    }
}

/// One request to the writer; `(status-checked version header, body)`.
async fn writer_call(
    env: &Env,
    method: Method,
    path: &str,
    body: Option<String>,
) -> Result<(Option<String>, String), StoreError> {
    KV_OPS.with(|k| k.writer.set(k.writer.get() + 1));
    let namespace = env.durable_object(WRITER_BINDING).map_err(writer_failed)?;
    let stub = namespace.get_by_name(WRITER_NAME).map_err(writer_failed)?;
    // web_sys's RequestInit directly: worker's own links its conversion code (serde of
    // cf properties, serde-wasm-bindgen) into the gate: 5,445 B gzip (measured).
    let init = web_sys::RequestInit::new();
    init.set_method(method.as_ref());
    if let Some(body) = body {
        init.set_body(&JsValue::from_str(&body));
    }
    let req = web_sys::Request::new_with_str_and_init(&format!("https://writer{path}"), &init)
        .map(Request::from)
        .map_err(|e| writer_failed(worker::Error::from(e)))?;
    let mut res = stub.fetch_with_request(req).await.map_err(writer_failed)?;
    let text = res.text().await.map_err(writer_failed)?;
    if !(200..300).contains(&res.status_code()) {
        return Err(StoreError::Writer {
            detail: format!("status {}", res.status_code()),
        });
    }
    let version = res.headers().get(VERSION_HEADER).ok().flatten();
    Ok((version, text))
}

/// Records a revocation through the writer; its version. The answer carries the new feed,
/// which this location caches and this isolate applies at once.
pub(crate) async fn record(
    env: &Env,
    config: &GateConfig,
    entry: &RevocationEntry,
) -> Result<u64, StoreError> {
    let (version, text) = writer_call(env, Method::Post, "/changes", Some(entry.to_json())).await?;
    let version = version
        .and_then(|v| v.parse::<u64>().ok())
        .ok_or_else(|| writer_failed("answer without a version"))?;
    let feed = Feed::from_json(&text)?;
    let cache = Cache::open(config.revocation.cache.clone()).await;
    FeedToCache::new(cache, config, text).put().await;
    apply_feed(env, &feed).await?;
    Ok(version)
}

/// [`record`] for a request that cannot go on without it: a failed write is logged
/// (`revocation_write_failed`) and answered 503 with a retry hint, the one way every
/// revoking path refuses.
pub(crate) async fn record_or_refuse(
    env: &Env,
    config: &GateConfig,
    entry: &RevocationEntry,
) -> Result<u64, Denial> {
    record(env, config, entry).await.map_err(|e| {
        worker::console_error!(
            "{}",
            json!({"event": "revocation_write_failed", "error": e})
        );
        Denial::RevocationUnavailable { retry_after_s: 5 }
    })
}

/// Every live entry, from the writer.
pub(crate) async fn list_entries(env: &Env) -> Result<Vec<RevocationEntry>, StoreError> {
    let text = writer_call(env, Method::Get, "/entries", None).await?.1;
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| RevocationEntry::from_json(l).map_err(StoreError::from))
        .collect()
}

/// The cron's call: the writer drains any legacy `rev/…` keys and publishes if behind.
pub(crate) async fn tick(env: &Env) -> Result<String, StoreError> {
    Ok(writer_call(env, Method::Post, "/tick", None).await?.1)
}

/// Age of this isolate's copy in milliseconds, its entry count and version, if it has one.
pub(crate) fn cached_status() -> Option<SnapshotStatus> {
    let now = now_ms();
    HELD.with(|h| {
        h.borrow().as_ref().map(|h| SnapshotStatus {
            age_ms: now.saturating_sub(h.checked_ms),
            entries: h.snapshot.len(),
            built_at: h.snapshot.built_at(),
            version: h.snapshot.version(),
        })
    })
}
