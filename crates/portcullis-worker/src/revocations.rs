//! The revocation list in Workers KV, and each isolate's in-memory copy of its snapshot.
//!
//! Storage: one KV key per revocation (`rev/...`, the source of truth, written once, never
//! read-modified-written) carrying its entry as metadata, plus a compacted snapshot key that
//! the Cron Trigger (and each admin write) rebuilds from a `list` of those keys.
//!
//! Hot path: a request reads the isolate's copy. The core's [`SnapshotFreshness`] decides
//! whether that copy decides as is, decides while a background refresh runs, or must be
//! loaded first; this module performs the KV calls the decision asks for.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use serde_json::{json, Value};
use worker::{Context, Env, KvStore};

use super::{now_ms, now_s};
use portcullis::config::GateConfig;
use portcullis::http::telemetry::SnapshotStatus;
use portcullis::http::Revocations;
use portcullis::revocation::{
    self, KvOperation, RevocationEntry, RevocationError, RevocationSnapshot, SnapshotAction,
    SnapshotFreshness, StoreError, SNAPSHOT_KEY,
};

/// The KV namespace binding.
pub(crate) const BINDING: &str = "REVOCATIONS";

struct Cached {
    snapshot: Rc<RevocationSnapshot>,
    loaded_ms: u64,
}

/// KV operations made by this isolate, for the admin stats endpoint and the tests that
/// prove the hot path makes none.
#[derive(Default)]
pub(crate) struct KvCounters {
    pub reads: Cell<u64>,
    pub writes: Cell<u64>,
    pub lists: Cell<u64>,
    pub deletes: Cell<u64>,
}

thread_local! {
    static CACHE: RefCell<Option<Cached>> = const { RefCell::new(None) };
    static REFRESHING: Cell<bool> = const { Cell::new(false) };
    pub(crate) static KV_OPS: KvCounters = KvCounters::default();
}

fn kv(env: &Env) -> Result<KvStore, StoreError> {
    env.kv(BINDING).map_err(|e| StoreError::Binding {
        binding: BINDING,
        detail: e.to_string(),
    })
}

/// Wraps a runtime error from a KV call (`worker::Error` or `KvError`, by call).
fn kv_failed<E: std::fmt::Display>(op: KvOperation) -> impl FnOnce(E) -> StoreError {
    move |e| StoreError::Kv {
        op,
        detail: e.to_string(),
    }
}

/// The core's freshness rules for this deployment's refresh settings.
fn freshness(config: &GateConfig) -> SnapshotFreshness {
    SnapshotFreshness::new(config.revocation.refresh_s, config.revocation.max_age_s)
}

/// The snapshot to decide with, or `None` when there is none young enough (fail closed).
pub(crate) async fn current(
    env: &Env,
    ctx: &Context,
    config: &GateConfig,
) -> Option<Rc<RevocationSnapshot>> {
    let held = CACHE.with(|c| {
        c.borrow()
            .as_ref()
            .map(|c| (c.snapshot.clone(), c.loaded_ms))
    });
    let action = freshness(config).decide(
        held.as_ref().map(|(_, loaded_ms)| *loaded_ms),
        now_ms(),
        REFRESHING.with(Cell::get),
    );
    match (action, held) {
        (SnapshotAction::Use, Some((snapshot, _))) => Some(snapshot),
        (SnapshotAction::UseAndRefresh, Some((snapshot, _))) => {
            REFRESHING.with(|r| r.set(true));
            let env = env.clone();
            ctx.wait_until(async move {
                if let Err(e) = refresh(&env).await {
                    worker::console_warn!(
                        "{}",
                        json!({"event": "snapshot_refresh_failed", "error": e})
                    );
                }
                REFRESHING.with(|r| r.set(false));
            });
            Some(snapshot)
        }
        // Load, or (never answered) a use without a copy.
        _ => match refresh(env).await {
            Ok(snapshot) => Some(snapshot),
            Err(e) => {
                worker::console_error!("{}", json!({"event": "snapshot_unavailable", "error": e}));
                None
            }
        },
    }
}

/// The gate's view of this isolate's snapshot: current, or what the core's freshness rules
/// answer for a failed load.
pub(crate) fn state<'a>(
    snapshot: Option<&'a RevocationSnapshot>,
    config: &GateConfig,
) -> Revocations<'a> {
    match snapshot {
        Some(s) => Revocations::Current(s),
        None => Revocations::Unavailable {
            retry_after_s: freshness(config).unavailable().retry_after_s,
        },
    }
}

/// Loads the snapshot from KV into this isolate. A missing key is an empty list (a fresh
/// deployment); a malformed one is an error, never silently empty.
pub(crate) async fn refresh(env: &Env) -> Result<Rc<RevocationSnapshot>, StoreError> {
    let store = kv(env)?;
    KV_OPS.with(|k| k.reads.set(k.reads.get() + 1));
    let text = store
        .get(SNAPSHOT_KEY)
        .text()
        .await
        .map_err(kv_failed(KvOperation::Get))?;
    let now = now_ms();
    let snapshot = match text {
        None => RevocationSnapshot::empty((now / 1000) as i64),
        Some(text) => RevocationSnapshot::from_json(&text)?,
    };
    let snapshot = Rc::new(snapshot);
    CACHE.with(|c| {
        *c.borrow_mut() = Some(Cached {
            snapshot: snapshot.clone(),
            loaded_ms: now,
        })
    });
    Ok(snapshot)
}

/// Forgets this isolate's copy, so its next request loads the newest snapshot.
pub(crate) fn invalidate() {
    CACHE.with(|c| *c.borrow_mut() = None);
}

/// Age of this isolate's copy in milliseconds, its entry count and version, if it has one.
pub(crate) fn cached_status() -> Option<SnapshotStatus> {
    let now = now_ms();
    CACHE.with(|c| {
        c.borrow().as_ref().map(|c| SnapshotStatus {
            age_ms: now.saturating_sub(c.loaded_ms),
            entries: c.snapshot.len(),
            built_at: c.snapshot.built_at(),
        })
    })
}

/// Writes one revocation under its own key. Idempotent: the key derives from the target.
pub(crate) async fn record(
    env: &Env,
    entry: &RevocationEntry,
    now_s: i64,
) -> Result<(), StoreError> {
    let key = entry.kv_key()?;
    // The core just wrote this JSON, so it parses; a failure would be the entry's own.
    let metadata: Value = serde_json::from_str(&entry.metadata_json()?)
        .map_err(|e| RevocationError::MalformedEntry(e.into()))?;
    let store = kv(env)?;
    let mut put = store
        .put(&key, entry.to_json())
        .map_err(kv_failed(KvOperation::Put))?
        .metadata(metadata)
        .map_err(kv_failed(KvOperation::Put))?;
    if let Some(expiration) = entry.kv_expiration(now_s) {
        put = put.expiration(expiration as u64);
    }
    KV_OPS.with(|k| k.writes.set(k.writes.get() + 1));
    put.execute().await.map_err(kv_failed(KvOperation::Put))
}

/// Every revocation entry, from the per-revocation keys (the source of truth).
pub(crate) async fn list_entries(env: &Env) -> Result<Vec<RevocationEntry>, StoreError> {
    let store = kv(env)?;
    let mut entries = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut list = store.list().prefix(revocation::KEY_PREFIX.to_owned());
        if let Some(c) = cursor.take() {
            list = list.cursor(c);
        }
        KV_OPS.with(|k| k.lists.set(k.lists.get() + 1));
        let page = list.execute().await.map_err(kv_failed(KvOperation::List))?;
        for key in page.keys {
            match key
                .metadata
                .as_ref()
                .map(|m| RevocationEntry::from_json(&m.to_string()))
            {
                Some(Ok(entry)) => entries.push(entry),
                // A key we cannot read is kept in KV and reported, never dropped silently.
                _ => worker::console_error!(
                    "{}",
                    json!({"event": "unreadable_revocation", "key": key.name})
                ),
            }
        }
        match page.cursor {
            Some(c) if !page.list_complete => cursor = Some(c),
            _ => break,
        }
    }
    Ok(entries)
}

/// Rebuilds the snapshot from the per-revocation keys (plus `just_written`, which KV's
/// eventually consistent `list` may not show yet) as the core plans it: deletes the keys of
/// moot entries (expired, superseded, or for a key no longer in the ring) and publishes the
/// snapshot only if its entries changed, so an idle cron costs one read and one list a
/// minute, no writes.
pub(crate) async fn rebuild(
    env: &Env,
    config: &GateConfig,
    just_written: Option<&RevocationEntry>,
) -> Result<Value, StoreError> {
    let listed = list_entries(env).await?;
    let plan = revocation::plan_rebuild(listed, just_written, &config.keyring, now_s());
    let store = kv(env)?;
    for key in &plan.delete {
        KV_OPS.with(|k| k.deletes.set(k.deletes.get() + 1));
        store
            .delete(key)
            .await
            .map_err(kv_failed(KvOperation::Delete))?;
    }
    KV_OPS.with(|k| k.reads.set(k.reads.get() + 1));
    let published = store
        .get(SNAPSHOT_KEY)
        .text()
        .await
        .map_err(kv_failed(KvOperation::Get))?;
    let publish = plan.should_publish(published.as_deref());
    if publish {
        KV_OPS.with(|k| k.writes.set(k.writes.get() + 1));
        store
            .put(SNAPSHOT_KEY, plan.snapshot.to_json())
            .map_err(kv_failed(KvOperation::Put))?
            .execute()
            .await
            .map_err(kv_failed(KvOperation::Put))?;
    }
    Ok(json!({"entries": plan.snapshot.len(), "pruned": plan.pruned, "published": publish}))
}
