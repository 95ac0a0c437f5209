//! Grants and API keys: the two Durable Object classes (glue around
//! [`portcullis::grant::service`]) and the calls the admin API makes to them.
//!
//! - `GrantObject`, one per grant, named by its id (`sid`): each refresh is one request to
//!   it, and the object runs one request at a time against its SQLite storage with no await
//!   between reading and writing the record, so concurrent refreshes with one token (from
//!   any isolate, any location) see one rotation: the first rotates, the rest are retries
//!   within grace and get the same successor.
//! - `ApiKeyStore`, one object (`"api-keys"`): every key record. An exchange reads the
//!   record in the object that a revocation writes, so a revoked key stops minting at once
//!   (a revocation bound of zero), at the cost of one object request per exchange.
//! - `SubjectGrants`, one per subject, named `sub:<subject>`: the subject's grant ids
//!   ([`portcullis::grant::index`]), registered before each grant opens, read when an operator
//!   lists or ends a subject's grants. Refreshes and `sid` revocations never touch it.

use serde_json::json;
use worker::wasm_bindgen::JsValue;
use worker::{durable_object, web_sys, DurableObject, Env, Request, Response, State};

use worker::{SqlCursor, SqlStorage, SqlStorageValue};

use portcullis::grant::apikey::ApiKeyRecord;
use portcullis::grant::index::{index_name, serve_index, IndexCall, IndexEntry};
use portcullis::grant::reply::StoreReply;
use portcullis::grant::secrets::ApiKey;
use portcullis::grant::service::{serve_grant, serve_keys, Fresh, GrantCall, KeyCall};

/// The binding of the grant objects.
pub(crate) const GRANTS: &str = portcullis::schema::names::GRANTS;
/// The binding of the API key store.
pub(crate) const API_KEYS: &str = portcullis::schema::names::API_KEYS;
/// The binding of the subject indexes.
pub(crate) const SUBJECT_GRANTS: &str = portcullis::schema::names::SUBJECT_GRANTS;
/// The name of the one key store object.
const KEY_STORE_NAME: &str = "api-keys";

fn fresh() -> worker::Result<Fresh> {
    let mut f = Fresh {
        secret: [0; 20],
        key_id: [0; 12],
    };
    getrandom::fill(&mut f.secret).map_err(|e| worker::Error::RustError(e.to_string()))?;
    getrandom::fill(&mut f.key_id).map_err(|e| worker::Error::RustError(e.to_string()))?;
    Ok(f)
}

/// A one-table key/value store in the object's SQLite storage. Synchronous: no other request
/// to the object runs between a read and the write that follows it.
struct Table<'a>(&'a State);

impl Table<'_> {
    fn sql(&self) -> SqlStorage {
        self.0.storage().sql()
    }

    fn init(&self) -> worker::Result<()> {
        self.sql().exec(
            "CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)",
            None,
        )?;
        Ok(())
    }

    // Raw rows, not `to_array`: its serde-wasm-bindgen deserializer would ship a second
    // serde backend to the edge for one string column.
    fn values(cursor: SqlCursor) -> worker::Result<Vec<String>> {
        let mut out = Vec::new();
        for row in cursor.raw() {
            if let Some(SqlStorageValue::String(v)) = row?.into_iter().next() {
                out.push(v);
            }
        }
        Ok(out)
    }

    fn get(&self, k: &str) -> worker::Result<Option<String>> {
        let cursor = self
            .sql()
            .exec("SELECT v FROM kv WHERE k = ?", vec![k.into()])?;
        Ok(Self::values(cursor)?.into_iter().next())
    }

    fn all(&self) -> worker::Result<Vec<String>> {
        Self::values(self.sql().exec("SELECT v FROM kv ORDER BY k", None)?)
    }

    fn delete(&self, k: &str) -> worker::Result<()> {
        self.sql()
            .exec("DELETE FROM kv WHERE k = ?", vec![k.into()])?;
        Ok(())
    }

    fn put(&self, k: &str, v: &str) -> worker::Result<()> {
        self.sql().exec(
            "INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
            vec![k.into(), v.into()],
        )?;
        Ok(())
    }
}

/// The call in a request body, through serde_json (`Request::json` would go through
/// serde-wasm-bindgen: a second serde backend in the shipped wasm).
async fn body_json<T: serde::de::DeserializeOwned>(req: &mut Request) -> worker::Result<T> {
    let text = req.text().await?;
    serde_json::from_str(&text).map_err(|e| worker::Error::RustError(e.to_string()))
}

fn reply(r: &StoreReply) -> worker::Result<Response> {
    Response::from_json(r)
}

fn config_fault() -> worker::Result<Response> {
    reply(&StoreReply {
        status: 500,
        body: json!({ "error": "server_error" }),
        basic_challenge: false,
        reason: "misconfigured".into(),
        detail: None,
        ended: None,
        sub: None,
    })
}

/// One grant (session).
#[cfg(feature = "objects")]
#[durable_object(fetch)]
pub struct GrantObject {
    state: State,
    env: Env,
}

#[cfg(feature = "objects")]
impl DurableObject for GrantObject {
    fn new(state: State, env: Env) -> Self {
        GrantObject { state, env }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        // Everything before the first storage call may await; from there on, nothing does.
        let call: GrantCall = body_json(&mut req).await?;
        let sid = req.headers().get("x-grant")?.unwrap_or_default();
        let config = crate::load_config(&self.env);
        let Ok(config) = config.as_ref() else {
            return config_fault();
        };
        let fresh = fresh()?;
        let table = Table(&self.state);
        table.init()?;
        let stored = table.get("grant")?;
        let (store, answer) =
            serve_grant(&sid, stored.as_deref(), call, fresh, config, crate::now_s());
        if let Some(record) = store {
            table.put("grant", &record)?;
        }
        reply(&answer)
    }
}

/// Every API key record.
#[cfg(feature = "objects")]
#[durable_object(fetch)]
pub struct ApiKeyStore {
    state: State,
    env: Env,
}

#[cfg(feature = "objects")]
impl DurableObject for ApiKeyStore {
    fn new(state: State, env: Env) -> Self {
        ApiKeyStore { state, env }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let call: KeyCall = body_json(&mut req).await?;
        let config = crate::load_config(&self.env);
        let Ok(config) = config.as_ref() else {
            return config_fault();
        };
        let fresh = fresh()?;
        let table = Table(&self.state);
        table.init()?;
        // Only the list reads every row; an exchange or a revocation reads its key's row.
        let rows = match &call {
            KeyCall::List => table.all()?,
            KeyCall::Create { .. } => Vec::new(),
            KeyCall::Exchange { key, .. } | KeyCall::Leak { key, .. } => match ApiKey::parse(key) {
                Ok(k) => table.get(&k.id.to_text())?.into_iter().collect(),
                Err(_) => Vec::new(),
            },
            KeyCall::Revoke { id } => table.get(id)?.into_iter().collect(),
        };
        let records: Vec<ApiKeyRecord> = rows
            .iter()
            .filter_map(|v| ApiKeyRecord::from_json(v))
            .collect();
        let (writes, answer) = serve_keys(&records, call, fresh, config, crate::now_s());
        for record in writes {
            table.put(&record.id, &record.to_json())?;
        }
        reply(&answer)
    }
}

/// One subject's grant ids.
#[cfg(feature = "objects")]
#[durable_object(fetch)]
pub struct SubjectGrants {
    state: State,
}

#[cfg(feature = "objects")]
impl DurableObject for SubjectGrants {
    fn new(state: State, _env: Env) -> Self {
        SubjectGrants { state }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let call: IndexCall = body_json(&mut req).await?;
        let table = Table(&self.state);
        table.init()?;
        // Every call reads the rows, registering too: rows past their absolute end are
        // deleted whatever the call, so a subject whose grants are never listed keeps no row
        // of a grant long gone. Reading the object's own storage adds no request to it.
        let stored: Vec<IndexEntry> = table
            .all()?
            .iter()
            .filter_map(|v| IndexEntry::from_json(v))
            .collect();
        let (writes, sids) = serve_index(&stored, call, crate::now_s());
        for entry in &writes.put {
            table.put(&entry.sid, &entry.to_json())?;
        }
        for sid in &writes.delete {
            table.delete(sid)?;
        }
        Response::from_json(&sids)
    }
}

async fn call<T: serde::de::DeserializeOwned>(
    env: &Env,
    binding: &str,
    name: &str,
    body: String,
) -> worker::Result<T> {
    let stub = env.durable_object(binding)?.get_by_name(name)?;
    // web_sys's RequestInit directly: worker's own would add ~11 KB of conversion code.
    let headers = web_sys::Headers::new()?;
    headers.set("content-type", "application/json")?;
    headers.set("x-grant", name)?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers_headers(&headers);
    init.set_body(&JsValue::from_str(&body));
    let req = web_sys::Request::new_with_str_and_init("https://grants.internal/", &init)?;
    let req = Request::from(req);
    let mut resp = stub.fetch_with_request(req).await?;
    resp.json().await
}

/// One call to the grant object `sid`.
pub(crate) async fn grant(env: &Env, sid: &str, c: &GrantCall) -> worker::Result<StoreReply> {
    let body = serde_json::to_string(c).map_err(|e| worker::Error::RustError(e.to_string()))?;
    call(env, GRANTS, sid, body).await
}

/// One call to the API key store.
pub(crate) async fn keys(env: &Env, c: &KeyCall) -> worker::Result<StoreReply> {
    let body = serde_json::to_string(c).map_err(|e| worker::Error::RustError(e.to_string()))?;
    call(env, API_KEYS, KEY_STORE_NAME, body).await
}

/// One call to the index of `sub`; answers the sids listed (empty but for a list).
pub(crate) async fn index(env: &Env, sub: &str, c: &IndexCall) -> worker::Result<Vec<String>> {
    let body = serde_json::to_string(c).map_err(|e| worker::Error::RustError(e.to_string()))?;
    call(env, SUBJECT_GRANTS, &index_name(sub), body).await
}

/// A fresh grant id.
pub(crate) fn new_grant_id() -> worker::Result<portcullis::grant::secrets::GrantId> {
    let mut id = [0u8; 16];
    getrandom::fill(&mut id).map_err(|e| worker::Error::RustError(e.to_string()))?;
    Ok(portcullis::grant::secrets::GrantId(id))
}
