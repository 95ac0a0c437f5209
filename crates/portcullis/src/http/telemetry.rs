//! The gate's own numbers: per-isolate decision counters (the admin API's `/stats`, the
//! console's live panel) and the Workers Analytics Engine data point written for each
//! decision when a dataset is bound. Pure: the Worker counts and writes, the shapes are here.

use serde::{Serialize, Serializer};
use serde_json::{json, Value};

use crate::http::AuditRecord;

/// What this isolate knows of its revocation snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SnapshotStatus {
    /// Milliseconds since this isolate loaded it.
    pub age_ms: u64,
    /// Revocations it holds.
    pub entries: usize,
    /// When the list was built (seconds since the epoch): its version. A later `built_at`
    /// is a newer list.
    pub built_at: i64,
    /// The single writer's version of the list: strictly increasing with every change.
    pub version: u64,
}

/// Decisions this isolate made since it started, by decision and reason code. Every
/// decision is counted, including allowed requests whose audit line was sampled out.
// Lists scanned in order, not maps: a gate meets a few dozen reason codes at most, and a
// map of its own key type costs about 2 KB of gzipped wasm (measured) for nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecisionCounters {
    allowed: Counts,
    denied: Counts,
}

/// Counts by reason, in the order reasons were first seen; serialized as a JSON object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Counts(Vec<(&'static str, u64)>);

impl Counts {
    fn add(&mut self, reason: &'static str) {
        match self.0.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, n)) => *n += 1,
            None => self.0.push((reason, 1)),
        }
    }

    fn total(&self) -> u64 {
        self.0.iter().map(|(_, n)| n).sum()
    }
}

impl Serialize for Counts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(r, n)| (r, n)))
    }
}

impl DecisionCounters {
    /// Counts one decision: `allow` (or anything else, counted as a denial) and its reason.
    pub fn record(&mut self, decision: &str, reason: &'static str) {
        if decision == "allow" {
            self.allowed.add(reason);
        } else {
            self.denied.add(reason);
        }
    }

    /// `{"allowed": {reason: n}, "denied": {reason: n}, "allowed_total": n, "denied_total": n}`.
    pub fn to_json(&self) -> Value {
        json!({
            "allowed": self.allowed,
            "denied": self.denied,
            "allowed_total": self.allowed.total(),
            "denied_total": self.denied.total(),
        })
    }
}

/// Workers Analytics Engine allows one index per data point.
pub const DATA_POINT_BLOBS: [&str; 10] = [
    "event",
    "decision",
    "reason",
    "method",
    "path",
    "sub",
    "kid",
    "jti",
    "client_ip",
    "ray",
];
/// The doubles, in order.
pub const DATA_POINT_DOUBLES: [&str; 4] =
    ["status", "rule", "snapshot_age_ms", "snapshot_built_at"];

/// One Analytics Engine data point for one decision.
///
/// The index is the reason code: Analytics Engine samples per index value, so a rare denial
/// reason keeps its own sample instead of drowning in `authorized` traffic. Blobs and doubles
/// are in the order of [`DATA_POINT_BLOBS`] and [`DATA_POINT_DOUBLES`] (`blob1` = `event`,
/// `double1` = `status`, ...); an absent value is `""` or `-1` (`snapshot_built_at`: `0`).
#[derive(Debug, Clone, PartialEq)]
pub struct DataPoint<'a> {
    /// The index: the reason code.
    pub index: &'a str,
    /// Blobs, as [`DATA_POINT_BLOBS`] names them.
    pub blobs: [&'a str; 10],
    /// Doubles, as [`DATA_POINT_DOUBLES`] names them.
    pub doubles: [f64; 4],
}

impl<'a> DataPoint<'a> {
    /// The data point of an audit record, with the isolate's snapshot when it has one.
    pub fn of(record: &'a AuditRecord<'a>, snapshot: Option<SnapshotStatus>) -> DataPoint<'a> {
        let or_empty = |v: Option<&'a str>| v.unwrap_or("");
        // f64 holds every rule index and millisecond age a gate can reach exactly.
        #[allow(clippy::cast_precision_loss)]
        let doubles = [
            f64::from(record.status),
            record.rule.map_or(-1.0, |r| r as f64),
            snapshot.map_or(-1.0, |s| s.age_ms as f64),
            snapshot.map_or(0.0, |s| s.built_at as f64),
        ];
        DataPoint {
            index: record.reason,
            blobs: [
                record.event,
                record.decision,
                record.reason,
                record.method,
                or_empty(record.path),
                or_empty(record.sub),
                or_empty(record.kid),
                or_empty(record.jti),
                or_empty(record.client_ip),
                or_empty(record.ray),
            ],
            doubles,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::audit::fixtures;
    use crate::http::{AuditRequest, Denial};

    #[test]
    fn counters_count_every_decision_by_reason_and_total() {
        let mut c = DecisionCounters::default();
        for (d, r) in [
            ("allow", "authorized"),
            ("allow", "authorized"),
            ("allow", "public"),
            ("deny", "expired"),
            ("deny", "missing_token"),
            ("deny", "expired"),
        ] {
            c.record(d, r);
        }
        assert_eq!(
            c.to_json(),
            json!({"allowed": {"authorized": 2, "public": 1},
                   "denied": {"expired": 2, "missing_token": 1},
                   "allowed_total": 3, "denied_total": 3})
        );
        assert_eq!(
            DecisionCounters::default().to_json()["denied_total"],
            json!(0)
        );
    }

    #[test]
    fn a_data_point_follows_the_documented_blob_and_double_order() {
        let (request, who) = (fixtures::request(), fixtures::alice());
        let allowed = AuditRecord::allow("gate", &request, Some(2), "authorized", 200, Some(&who));
        let snapshot = SnapshotStatus {
            age_ms: 1500,
            entries: 3,
            built_at: 1_800_000_000,
            version: 4,
        };
        let p = DataPoint::of(&allowed, Some(snapshot));
        assert_eq!(p.index, "authorized");
        assert_eq!(
            p.blobs,
            [
                "gate",
                "allow",
                "authorized",
                "GET",
                "/orders/1",
                "alice",
                "k1",
                "t1",
                "203.0.113.7",
                "8a1b2c3d4e5f6a7b-LHR"
            ]
        );
        assert_eq!(p.doubles, [200.0, 2.0, 1500.0, 1_800_000_000.0]);

        let missing = Denial::MissingToken { rule: None };
        let denied = AuditRecord::deny("gate", &AuditRequest::default(), None, &missing);
        let p = DataPoint::of(&denied, None);
        assert_eq!(
            (p.index, p.blobs[1], p.blobs[5]),
            ("missing_token", "deny", "")
        );
        assert_eq!(p.doubles, [401.0, -1.0, -1.0, 0.0]);
    }
}
