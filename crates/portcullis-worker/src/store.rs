//! Where the revocation list lives, by name (the KV namespace, the single writer), and this
//! isolate's count of the operations on it. Shared by the isolate's copy (revocations.rs)
//! and the writer (writer.rs), neither of which owns the other.

use std::cell::Cell;

/// The KV namespace binding.
pub(crate) const BINDING: &str = "REVOCATIONS";

/// The Durable Object namespace binding.
pub(crate) const WRITER_BINDING: &str = "REVOCATION_WRITER";

/// The one writer's name: every location talks to the same object.
pub(crate) const WRITER_NAME: &str = "revocations";

/// The header carrying the version the writer gave a change.
pub(crate) const VERSION_HEADER: &str = "x-portcullis-version";

/// KV operations and writer requests made by this isolate, for the admin stats endpoint.
#[derive(Default)]
pub(crate) struct KvCounters {
    pub reads: Cell<u64>,
    pub writes: Cell<u64>,
    pub lists: Cell<u64>,
    pub deletes: Cell<u64>,
    /// Requests to the single writer.
    pub writer: Cell<u64>,
}

/// A KV operation, for [`count_kv`].
pub(crate) enum KvOp {
    Read,
    Write,
    List,
    Delete,
}

thread_local! {
    pub(crate) static KV_OPS: KvCounters = KvCounters::default();
}

/// Counts one KV operation of this isolate (the writer's included).
pub(crate) fn count_kv(op: KvOp) {
    KV_OPS.with(|k| {
        let cell = match op {
            KvOp::Read => &k.reads,
            KvOp::Write => &k.writes,
            KvOp::List => &k.lists,
            KvOp::Delete => &k.deletes,
        };
        cell.set(cell.get() + 1);
    });
}
