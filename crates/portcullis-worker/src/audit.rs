//! The audit trail's glue: log lines, Analytics Engine data points and decision counters.
//! The core builds every record; this writes it.

use std::cell::RefCell;

use worker::{js_sys, wasm_bindgen::JsValue, web_sys, Env};

use portcullis::http::telemetry::{DataPoint, DecisionCounters};
use portcullis::http::{AuditRecord, AuditRequest, Denial, Principal};

use crate::{interop, now_ms, revocations, send};

thread_local! {
    // Allowed requests this isolate has answered: the sequence the audit policy samples.
    static ALLOWED_SEQ: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    // Every gate decision this isolate made, by reason: the admin API's /stats.
    static DECISIONS: RefCell<DecisionCounters> = RefCell::new(DecisionCounters::default());
    // The Analytics Engine dataset, looked up once: bindings, like settings, cannot change
    // under a running isolate (a lookup per request measured ~3 µs, BENCHMARKS.md 3f).
    static ANALYTICS: std::cell::OnceCell<Option<JsValue>> = const { std::cell::OnceCell::new() };
}

/// The optional Workers Analytics Engine dataset that gets one data point per decision.
pub const ANALYTICS_BINDING: &str = portcullis::config::names::ANALYTICS;

/// The Analytics Engine dataset, when one is bound.
pub(crate) fn analytics(env: &Env) -> Option<JsValue> {
    ANALYTICS.with(|cell| {
        cell.get_or_init(|| {
            js_sys::Reflect::get(env, &JsValue::from_str(ANALYTICS_BINDING))
                .ok()
                .filter(JsValue::is_object)
        })
        .clone()
    })
}

/// `dataset.writeDataPoint({indexes, blobs, doubles})`, built with js_sys directly: the
/// `worker` crate's builder copies every blob into a String first and costs about 1 KB of
/// gzipped wasm more (measured).
fn write_data_point(dataset: &JsValue, point: &DataPoint<'_>) -> Result<(), JsValue> {
    let strings = |items: &[&str]| {
        items
            .iter()
            .map(|s| JsValue::from_str(s))
            .collect::<js_sys::Array>()
    };
    let doubles: js_sys::Array = point
        .doubles
        .iter()
        .map(|d| JsValue::from_f64(*d))
        .collect();
    let object = js_sys::Object::new();
    js_sys::Reflect::set(&object, &"indexes".into(), &strings(&[point.index]))?;
    js_sys::Reflect::set(&object, &"blobs".into(), &strings(&point.blobs))?;
    js_sys::Reflect::set(&object, &"doubles".into(), &doubles)?;
    let write: js_sys::Function = js_sys::Reflect::get(dataset, &"writeDataPoint".into())?.into();
    write.call1(dataset, &object).map(drop)
}

/// This isolate's decision counters, for `/stats`.
pub(crate) fn decision_counters() -> DecisionCounters {
    DECISIONS.with(|d| d.borrow().clone())
}

/// What the audit line needs from the request; the core builds the record.
pub(crate) struct AuditContext {
    pub(crate) client_ip: Option<String>,
    ray: Option<String>,
    pub(crate) method: String,
    pub(crate) path: Option<String>,
    analytics: Option<JsValue>,
}

impl AuditContext {
    pub(crate) fn of(head: &mut interop::Head, env: &Env) -> AuditContext {
        AuditContext {
            client_ip: head.client_ip.take(),
            ray: head.ray.take(),
            method: std::mem::take(&mut head.method),
            path: None,
            analytics: analytics(env),
        }
    }

    /// The request as the core's audit records take it, stamped now.
    pub(crate) fn request(&self) -> AuditRequest<'_> {
        AuditRequest {
            time_ms: now_ms(),
            client_ip: self.client_ip.as_deref(),
            ray: self.ray.as_deref(),
            method: &self.method,
            path: self.path.as_deref(),
        }
    }

    /// Writes one record the core built: its log line, and its data point and count.
    pub(crate) fn write(&self, record: &AuditRecord<'_>) {
        self.measure(record);
        Self::log(record);
    }

    /// The log line alone.
    fn log(record: &AuditRecord<'_>) {
        // Straight to console.log: console_log! would format the line into a second String.
        // (Measured: the line's cost is the runtime's console.log, not producing it; see the
        // throughput bench.)
        web_sys::console::log_1(&JsValue::from_str(&record.to_line()));
    }

    /// Counts a gate decision and writes its Analytics Engine data point, for every
    /// decision, whether or not the audit policy keeps its line.
    fn measure(&self, record: &AuditRecord<'_>) {
        if record.event == "gate" {
            DECISIONS.with(|d| d.borrow_mut().record(record.decision, record.reason));
        }
        if let Some(dataset) = &self.analytics {
            let point = DataPoint::of(record, revocations::cached_status());
            // Analytics are best effort: a failed write must not change the decision.
            if write_data_point(dataset, &point).is_err() {
                worker::console_warn!("{}", serde_json::json!({"event": "analytics_write_failed"}));
            }
        }
    }

    /// An allowed request's line, when the core's audit policy asks for it.
    pub(crate) fn allow(
        &self,
        policy: &portcullis::config::AuditPolicy,
        reason: &'static str,
        status: u16,
        rule: Option<usize>,
        who: Option<&Principal>,
    ) {
        let record = AuditRecord::allow("gate", &self.request(), rule, reason, status, who);
        self.measure(&record);
        let seq = ALLOWED_SEQ.with(|s| s.replace(s.get().wrapping_add(1)));
        if policy.records_allowed(seq) {
            Self::log(&record);
        }
    }

    pub(crate) fn deny(
        &self,
        realm: &str,
        rule: Option<usize>,
        denial: Denial,
    ) -> worker::Result<web_sys::Response> {
        self.write(&AuditRecord::deny("gate", &self.request(), rule, &denial));
        send(denial.response(realm)).map(Into::into)
    }
}
