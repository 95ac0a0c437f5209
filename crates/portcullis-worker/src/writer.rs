//! The single writer: a Durable Object with SQLite storage that records every revocation as
//! a change with a strictly increasing version, answers the feed of recent changes, and
//! publishes the snapshot to KV (debounced, alarm-driven), pruning expired entries.
//!
//! Versions are assigned by synchronous SQL calls with no `await` between reading the head
//! and writing the change, so two requests never interleave there: no version is given
//! twice and none is lost. Every decision (what a feed holds, when to publish, what is
//! expired) is the core's ([`portcullis::revocation`]).
//!
//! Migration from the KV-only layout: at construction (all events held until it is done)
//! the writer imports an unversioned `snapshot/v1`, and both then and on every cron tick it
//! drains up to [`LEGACY_PAGE`] `rev/…` keys: each entry is recorded before its key is
//! deleted, so a failure half-way imports an entry twice (harmless), never zero times. Once
//! drained, a tick's `list` returns nothing: it does not grow with the entries.

use serde::Deserialize;
use serde_json::json;
use worker::{
    durable_object, js_sys, wasm_bindgen::JsValue, DurableObject, Env, Method, Request, Response,
    ScheduledTime, SqlStorage, SqlStorageValue, State, Storage,
};

use super::store::{count_kv, KvOp, BINDING, VERSION_HEADER};
use super::{load_config, now_ms};
use portcullis::revocation::{
    self, compact, Change, CompactList, Feed, RevocationEntry, RevocationKind, RevocationSnapshot,
    SNAPSHOT_KEY,
};

/// Legacy `rev/…` keys drained per call: a list and a delete each stay well inside a
/// Worker's per-invocation KV operation limit (1,000).
const LEGACY_PAGE: u64 = 400;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS changes (
  version INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  entry TEXT NOT NULL,
  expires_at INTEGER
);
CREATE INDEX IF NOT EXISTS changes_expiry ON changes (expires_at);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
";

#[derive(Deserialize)]
struct Value {
    value: f64,
}

#[derive(Deserialize)]
struct Row {
    version: f64,
    entry: String,
}

#[cfg(feature = "objects")]
#[durable_object]
pub struct RevocationWriter {
    store: Store,
}

/// What the writer works with: its storage and the Worker's bindings (owned, so the
/// constructor's migration can move a second one into a `'static` future).
struct Store {
    storage: Storage,
    env: Env,
}

/// How often the alarm prunes when nothing else is due: pruning only saves space (an expired
/// entry refuses nothing the gate would accept), so it need not chase every expiry.
const PRUNE_EVERY_MS: u64 = 60_000;

async fn set_alarm_at(storage: &Storage, at_ms: u64) -> worker::Result<()> {
    let date = js_sys::Date::new(&JsValue::from_f64(at_ms as f64));
    storage.set_alarm(ScheduledTime::new(date)).await
}

fn sql_error(e: worker::Error) -> worker::Error {
    worker::Error::RustError(format!("revocation writer storage: {e}"))
}

fn meta(sql: &SqlStorage, name: &str) -> worker::Result<u64> {
    let rows: Vec<Value> = sql
        .exec("SELECT value FROM meta WHERE name = ?", vec![name.into()])?
        .to_array()?;
    Ok(rows.first().map_or(0, |r| r.value as u64))
}

fn set_meta(sql: &SqlStorage, name: &str, value: u64) -> worker::Result<()> {
    sql.exec(
        "INSERT INTO meta (name, value) VALUES (?, ?) \
         ON CONFLICT(name) DO UPDATE SET value = excluded.value",
        vec![name.into(), SqlStorageValue::Integer(value as i64)],
    )?;
    Ok(())
}

/// Records one entry as the next version. Synchronous on purpose: nothing else runs between
/// reading the head and writing it back.
fn append(sql: &SqlStorage, entry: &RevocationEntry) -> worker::Result<u64> {
    let version = meta(sql, "head")? + 1;
    sql.exec(
        "INSERT INTO changes (version, kind, entry, expires_at) VALUES (?, ?, ?, ?)",
        vec![
            SqlStorageValue::Integer(version as i64),
            entry.revocation.kind().as_str().into(),
            entry.to_json().into(),
            entry.expires_at.into(),
        ],
    )?;
    set_meta(sql, "head", version)?;
    Ok(version)
}

fn rows(
    sql: &SqlStorage,
    query: &str,
    bindings: Vec<SqlStorageValue>,
) -> worker::Result<Vec<Change>> {
    let rows: Vec<Row> = sql.exec(query, bindings)?.to_array()?;
    rows.into_iter()
        .map(|r| {
            let entry = RevocationEntry::from_json(&r.entry)
                .map_err(|e| worker::Error::RustError(e.to_string()))?;
            Ok(Change {
                version: r.version as u64,
                entry,
            })
        })
        .collect()
}

/// The feed of the last `window` versions.
fn feed(sql: &SqlStorage, window: u64) -> worker::Result<Feed> {
    let head = meta(sql, "head")?;
    let from = head.saturating_sub(window);
    let changes = rows(
        sql,
        "SELECT version, entry FROM changes WHERE version > ? ORDER BY version",
        vec![SqlStorageValue::Integer(from as i64)],
    )?;
    Ok(Feed::recent(head, window, changes))
}

impl Store {
    fn sql(&self) -> SqlStorage {
        self.storage.sql()
    }

    fn window(&self) -> u64 {
        match load_config(&self.env).as_ref() {
            Ok(c) => c.revocation.feed_window,
            Err(_) => portcullis::config::defaults::REVOCATION_FEED_WINDOW,
        }
    }

    /// Asks for a publication as soon as KV's write rule allows, unless one is already due.
    async fn schedule_publish(&self) -> worker::Result<()> {
        // An alarm already set may be the pruning one, a minute away: bring it forward.
        let last = meta(&self.sql(), "published_ms")?;
        let at = revocation::publish_at((last > 0).then_some(last), now_ms());
        if let Some(set) = self.storage.get_alarm().await? {
            if set >= 0 && (set as u64) <= at {
                return Ok(());
            }
        }
        set_alarm_at(&self.storage, at).await
    }

    async fn record(&self, mut req: Request) -> worker::Result<Response> {
        let body = req.text().await?;
        let entry = match RevocationEntry::from_json(&body) {
            Ok(e) => e,
            Err(e) => return Response::error(e.to_string(), 400),
        };
        let sql = self.sql();
        let version = append(&sql, &entry).map_err(sql_error)?;
        let feed = feed(&sql, self.window())?;
        self.schedule_publish().await?;
        let mut res = Response::ok(feed.to_json())?;
        res.headers_mut()
            .set(VERSION_HEADER, &version.to_string())?;
        Ok(res)
    }

    /// Every live entry, one JSON object a line, the latest change per revocation.
    fn entries(&self) -> worker::Result<Response> {
        let now = (now_ms() / 1000) as i64;
        let changes = rows(
            &self.sql(),
            "SELECT version, entry FROM changes ORDER BY version",
            vec![],
        )?;
        let lines: Vec<String> = revocation::latest_entries(changes, now)
            .iter()
            .map(RevocationEntry::to_json)
            .collect();
        Response::ok(lines.join("\n"))
    }

    /// Imports an unversioned snapshot left by the KV-only layout, once.
    async fn import_legacy_snapshot(&self) -> worker::Result<u64> {
        let sql = self.sql();
        if meta(&sql, "legacy_snapshot_done")? == 1 {
            return Ok(0);
        }
        count_kv(KvOp::Read);
        let text = self.env.kv(BINDING)?.get(SNAPSHOT_KEY).text().await?;
        let mut imported = 0;
        if let Some(text) = text {
            let snapshot = RevocationSnapshot::from_json(&text)
                .map_err(|e| worker::Error::RustError(e.to_string()))?;
            if snapshot.version() == 0 {
                for entry in snapshot.entries() {
                    append(&sql, &entry)?;
                    imported += 1;
                }
            }
        }
        set_meta(&sql, "legacy_snapshot_done", 1)?;
        Ok(imported)
    }

    /// Records up to [`LEGACY_PAGE`] legacy `rev/…` keys, then deletes them.
    async fn drain_legacy_keys(&self) -> worker::Result<u64> {
        let kv = self.env.kv(BINDING)?;
        count_kv(KvOp::List);
        let page = kv
            .list()
            .prefix(revocation::KEY_PREFIX.to_owned())
            .limit(LEGACY_PAGE)
            .execute()
            .await?;
        let sql = self.sql();
        let mut imported = 0;
        for key in &page.keys {
            let entry = key
                .metadata
                .as_ref()
                .map(|m| RevocationEntry::from_json(&m.to_string()));
            match entry {
                Some(Ok(entry)) => {
                    append(&sql, &entry)?;
                    imported += 1;
                }
                // Kept in KV and reported, never dropped silently.
                _ => {
                    worker::console_error!(
                        "{}",
                        json!({"event": "unreadable_revocation", "key": key.name})
                    );
                    continue;
                }
            }
        }
        for key in &page.keys {
            if key.metadata.is_some() {
                count_kv(KvOp::Delete);
                kv.delete(&key.name).await?;
            }
        }
        Ok(imported)
    }

    /// Publishes at once when KV has no compact list: gates of this release do not read
    /// `snapshot/v1`, so right after an upgrade they have no list until this one publishes
    /// (revocations.rs, `load_snapshot`). Runs before the writer's first event.
    async fn publish_if_missing(&self) -> worker::Result<()> {
        count_kv(KvOp::Read);
        let manifest = self
            .env
            .kv(BINDING)?
            .get(compact::MANIFEST_KEY)
            .text()
            .await?;
        if manifest.is_none() {
            self.publish().await?;
        }
        Ok(())
    }

    async fn migrate(&self) -> worker::Result<u64> {
        let imported = self.import_legacy_snapshot().await? + self.drain_legacy_keys().await?;
        if imported > 0 {
            worker::console_log!(
                "{}",
                json!({"event": "revocations_migrated", "entries": imported})
            );
            self.schedule_publish().await?;
        }
        Ok(imported)
    }

    /// Deletes expired entries and key revocations whose kid left the ring; how many.
    fn prune(&self) -> worker::Result<usize> {
        let sql = self.sql();
        let now = (now_ms() / 1000) as i64;
        let candidates = rows(
            &sql,
            "SELECT version, entry FROM changes \
             WHERE (expires_at IS NOT NULL AND expires_at < ?) OR kind = ?",
            vec![
                SqlStorageValue::Integer(now),
                RevocationKind::Key.as_str().into(),
            ],
        )?;
        let live_kids: Vec<String> = match load_config(&self.env).as_ref() {
            Ok(c) => c
                .keyring
                .keys()
                .iter()
                .filter_map(|k| k.kid().map(str::to_owned))
                .collect(),
            Err(_) => return Ok(0),
        };
        let kids: Vec<&str> = live_kids.iter().map(String::as_str).collect();
        let entries: Vec<RevocationEntry> = candidates.iter().map(|c| c.entry.clone()).collect();
        let pruned = revocation::prune(entries, now, &kids);
        let mut removed = 0;
        for (entry, _) in &pruned.remove {
            for c in candidates.iter().filter(|c| &c.entry == entry) {
                sql.exec(
                    "DELETE FROM changes WHERE version = ?",
                    vec![SqlStorageValue::Integer(c.version as i64)],
                )?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Publishes the list (every live change, stamped with the head) to KV: the compact
    /// form's chunks, then its manifest (so a reader never finds a manifest whose chunks
    /// are not written), then, while the list is small enough, `snapshot/v1` for isolates
    /// of the previous release.
    async fn publish(&self) -> worker::Result<()> {
        let sql = self.sql();
        let now_ms = now_ms();
        let now = (now_ms / 1000) as i64;
        let head = meta(&sql, "head")?;
        let changes = rows(&sql, "SELECT version, entry FROM changes", vec![])?;
        let entries: Vec<RevocationEntry> = changes.into_iter().map(|c| c.entry).collect();
        let list = CompactList::from_entries(entries.iter().cloned(), now).with_version(head);
        let publication = compact::split(&list.encode(), head, now_ms);
        let kv = self.env.kv(BINDING)?;
        for (key, bytes) in &publication.chunks {
            count_kv(KvOp::Write);
            kv.put_bytes(key, bytes)?
                .expiration_ttl(compact::CHUNK_TTL_S)
                .execute()
                .await?;
        }
        count_kv(KvOp::Write);
        kv.put(compact::MANIFEST_KEY, publication.manifest.to_json())?
            .execute()
            .await?;
        if list.len() <= revocation::SNAPSHOT_V1_MAX_ENTRIES {
            let snapshot = RevocationSnapshot::from_entries(entries, now).with_version(head);
            count_kv(KvOp::Write);
            kv.put(SNAPSHOT_KEY, snapshot.to_json())?.execute().await?;
        }
        set_meta(&sql, "published_ms", now_ms)?;
        set_meta(&sql, "published_version", head)?;
        Ok(())
    }

    /// The next expiry, for the pruning alarm (`None`: nothing expires).
    fn next_expiry_ms(&self) -> worker::Result<Option<u64>> {
        let rows: Vec<Value> = self
            .sql()
            .exec(
                "SELECT MIN(expires_at) AS value FROM changes WHERE expires_at IS NOT NULL \
                 HAVING COUNT(*) > 0",
                None,
            )?
            .to_array()?;
        Ok(rows
            .first()
            .map(|r| (r.value.max(0.0) as u64 + 1).saturating_mul(1000)))
    }
}

#[cfg(feature = "objects")]
impl DurableObject for RevocationWriter {
    fn new(state: State, env: Env) -> Self {
        if let Err(e) = state.storage().sql().exec(SCHEMA, None) {
            worker::console_error!(
                "{}",
                json!({"event": "writer_schema_failed", "error": e.to_string()})
            );
        }
        // Migration before any event: no publication can replace a legacy snapshot unread.
        let migrating = Store {
            storage: state.storage(),
            env: env.clone(),
        };
        let _migrated = state.block_concurrency_while(async move {
            if let Err(e) = migrating.migrate().await {
                worker::console_error!(
                    "{}",
                    json!({"event": "revocation_migration_failed", "error": e.to_string()})
                );
            }
            if let Err(e) = migrating.publish_if_missing().await {
                worker::console_error!(
                    "{}",
                    json!({"event": "revocation_publish_failed", "error": e.to_string()})
                );
            }
            Ok(())
        });
        RevocationWriter {
            store: Store {
                storage: state.storage(),
                env,
            },
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        let store = &self.store;
        let path = req.path();
        match (req.method(), path.as_str()) {
            (Method::Post, "/changes") => store.record(req).await,
            (Method::Get, "/feed") => Response::ok(feed(&store.sql(), store.window())?.to_json()),
            (Method::Get, "/entries") => store.entries(),
            (Method::Post, "/tick") => {
                let imported = store.migrate().await?;
                let sql = store.sql();
                if meta(&sql, "published_version")? < meta(&sql, "head")? {
                    store.schedule_publish().await?;
                }
                Response::from_json(&json!({"imported": imported, "head": meta(&sql, "head")?}))
            }
            _ => Response::error("not found", 404),
        }
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let store = &self.store;
        let sql = store.sql();
        let pruned = store.prune()?;
        let stale = meta(&sql, "published_version")? < meta(&sql, "head")?;
        if stale || pruned > 0 {
            let last = meta(&sql, "published_ms")?;
            let at = revocation::publish_at((last > 0).then_some(last), now_ms());
            if at > now_ms() {
                set_alarm_at(&store.storage, at).await?;
                return Response::empty();
            }
            // An error here is retried by the runtime (alarms are at-least-once).
            store.publish().await?;
        }
        // A change recorded while this ran asked for an alarm this one must not push back.
        let publish = (meta(&sql, "published_version")? < meta(&sql, "head")?).then(|| {
            let last = meta(&sql, "published_ms").unwrap_or(0);
            revocation::publish_at((last > 0).then_some(last), now_ms())
        });
        let prune = store
            .next_expiry_ms()?
            .map(|at| at.max(now_ms() + PRUNE_EVERY_MS));
        if let Some(at) = publish.into_iter().chain(prune).min() {
            set_alarm_at(&store.storage, at).await?;
        }
        Response::empty()
    }
}
