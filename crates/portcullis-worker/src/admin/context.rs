//! What every admin endpoint is given, and the one way each refuses.

use worker::{Context, Env, Response};

use crate::{send, AuditContext};
use portcullis::config::GateConfig;
use portcullis::http::{AuditRecord, Denial, Principal};

/// What the admin API needs besides the request.
pub(crate) struct AdminContext<'a> {
    pub env: &'a Env,
    pub ctx: &'a Context,
    pub config: &'a GateConfig,
    /// The normalized path.
    pub path: &'a str,
    /// The request URL's `scheme://authority`.
    pub own_origin: &'a str,
    pub audit: &'a AuditContext,
}

/// Refuses an admin request, with an audit record naming the admin when it authenticated.
pub(crate) fn reject(
    a: &AdminContext<'_>,
    who: Option<&Principal>,
    denial: Denial,
) -> worker::Result<Response> {
    let request = a.audit.request();
    let mut record = AuditRecord::deny("admin", &request, None, &denial);
    if let (Some(p), None) = (who, denial.principal()) {
        (record.sub, record.jti, record.kid) =
            (p.sub.as_deref(), p.jti.as_deref(), p.kid.as_deref());
    }
    a.audit.write(&record);
    send(denial.response(&a.config.realm))
}
