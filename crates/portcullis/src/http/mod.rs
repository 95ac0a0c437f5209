//! The HTTP layer of the core: what the gate decides for one request, and the one place
//! where decisions become HTTP. Everything here is pure; the Worker supplies values and `now`.
//!
//! - [`request`]: the request head and its hygiene (credential, query, cookies).
//! - [`gate`]: [`route`] then [`authorize`], the two phases of a gate decision.
//! - [`denial`]: every refusal, and its status, headers and problem document.
//! - [`signed`]: the decision for a request on a signed-link rule.
//! - [`forwarding`]: what reaches the origin (header plan, identity headers, hop marker).
//! - [`admin`]: the admin API's decisions (endpoints, CSRF rules, answers); [`console`]: the
//!   operator console's paths and headers.
//! - [`audit`]: the audit record of every decision; [`telemetry`]: the decision counters
//!   and the Analytics Engine data point built from it.
//! - [`url`]: the incoming URL split into origin, path and query.
//! - [`token`]: the token endpoint's and the grant stores' answers (RFC 6749).

pub mod admin;
pub mod audit;
pub mod console;
pub mod denial;
pub mod forwarding;
pub mod gate;
pub mod request;
pub mod signed;
pub mod telemetry;
pub mod token;
pub mod url;

pub use admin::ADMIN_SCOPE;
pub use audit::{AuditRecord, AuditRequest};
pub use denial::{Denial, HttpResponse, Principal};
pub use forwarding::{
    header_value, identity_assertion, identity_headers, ListStamp, ASSERTION_TTL,
    IDENTITY_HEADER_PREFIX,
};
pub use gate::{
    authorize, binding_denial, check_binding, check_revocation, check_scopes, finish_dpop,
    rate_limit_key, rate_limited, route, Admission, Authorized, Revocations, Routed,
};
pub use request::{
    cookie_values, cookie_without, credential, preflight_method, presented_credential,
    query_names_token, reads_as_name, screen, RequestHead, TOKEN_QUERY_PARAMETER,
};
