//! The gate's per-request work in the core, for an allowed `GET /orders/1` with a Bearer
//! token, as the Worker's fetch handler asks for it (crates/portcullis-worker/src/lib.rs and
//! forward.rs), step by step over fixed inputs. bench/native times it natively
//! (`gate_path`), bench/wasm exports it so it can be looped inside wasm in workerd and Node:
//! one fixture, so the three figures are of the same work.
//!
//! Steps, each returning whether it came out as an allowed request's would:
//! - `route`: the URL split, path normalization, the admin-prefix check, the origin target,
//!   the loop check (no marker: as for a client's request), head hygiene and the route table;
//! - `verify`: the strict verify alone (also inside `authorize`; shown to compare with the
//!   verify benches);
//! - `authorize`: verify, the revocation lookup in a 1,000-entry compact list (`jti`, `sid`,
//!   subject, key), the scopes, and the binding check (a bearer token without `cnf`);
//! - `identity`: the identity headers and the HS256 origin assertion;
//! - `hop_marker`: the loop marker (an HMAC of method and URL);
//! - `header_plan`: the outbound header plan over the request's header names, the lists the
//!   Worker hands to JS, the credential headers and the private-response headers;
//! - `audit_line`: the principal, the allowed request's audit record and its JSON line;
//! - `all`: route, authorize, identity, hop_marker, header_plan, audit_line in a row, each
//!   using what the one before produced (verify is not repeated).

use std::hint::black_box;

use base64::Engine;
use portcullis::config::{self, GateConfig};
use portcullis::http::forwarding::{self, Inbound, ListStamp};
use portcullis::http::{self, AuditRecord, AuditRequest, Principal, RequestHead, Revocations};
use portcullis::jwt::verify::{verify, VerifiedToken};
use portcullis::revocation::{entry_for, CompactList, Revocation, RevocationPolicy};
use portcullis::routes::normalize_path;
use portcullis::sender::{Presentation, Scheme};
use serde_json::{json, Value};

const SECRET: [u8; 32] = *b"portcullis-bench-secret-32-bytes";
const ORIGIN_SECRET: [u8; 32] = *b"portcullis-origin-secret-32bytes";
const URL: &str = "https://gate.example/orders/1";
const CLIENT_IP: &str = "203.0.113.7";
const RAY: &str = "8f1e2d3c4b5a6978-LHR";
/// The incoming header names, as the Worker reads them in one crossing.
const NAMES: [&str; 6] = [
    "accept",
    "authorization",
    "cf-connecting-ip",
    "cf-ray",
    "host",
    "user-agent",
];
/// Entries in the revocation list the lookup searches (none of them revokes the token).
pub const REVOKED_ENTRIES: u64 = 1_000;

/// The steps, in the order of the request; `all` is every step but `verify`.
pub const STEPS: [&str; 8] = [
    "route",
    "verify",
    "authorize",
    "identity",
    "hop_marker",
    "header_plan",
    "audit_line",
    "all",
];

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The fixture: the gate's configuration, the request, the revocation list, and what the
/// earlier steps produce (so each step can also run alone).
pub struct GatePath {
    config: GateConfig,
    bearer: String,
    token: String,
    list: CompactList,
    verified: VerifiedToken,
    now: i64,
}

fn gate_config() -> GateConfig {
    let keys =
        json!({ "keys": [{ "kty": "oct", "kid": "k1", "alg": "HS256", "k": b64(&SECRET) }] })
            .to_string();
    let origin = json!({ "kty": "oct", "kid": "origin", "alg": "HS256", "k": b64(&ORIGIN_SECRET) })
        .to_string();
    config::load(|name| match name {
        config::names::KEYS => Some(Value::String(keys.clone())),
        config::names::ORIGIN_KEY => Some(Value::String(origin.clone())),
        config::names::AUDIENCE => Some(json!("api")),
        config::names::ROUTES => Some(json!([
            { "match": "GET,HEAD /health", "public": true },
            { "match": "GET /orders/*", "scopes": ["orders:read"] },
        ])),
        _ => None,
    })
    .expect("the bench configuration loads")
}

fn revocation_list(now: i64) -> CompactList {
    let policy = RevocationPolicy {
        max_ttl: 3600,
        leeway: 30,
    };
    let entries = (0..REVOKED_ENTRIES).map(|i| {
        let what = match i % 100 {
            0 => Revocation::Subject {
                sub: format!("user-{i}"),
                before: now,
            },
            _ => Revocation::Token {
                jti: format!("{:08x}-0000-4000-8000-{:012x}", i, i * 7919),
            },
        };
        entry_for(what, now, Some(now + 3600), &policy)
    });
    CompactList::from_entries(entries, now)
}

impl GatePath {
    /// The fixture at `now` (seconds since the epoch): a token issued at `now`, living 900 s.
    pub fn new(now: i64) -> GatePath {
        let config = gate_config();
        let key = portcullis::jwt::mint::signing_key(&config.keyring, Some("k1"))
            .expect("the bench ring holds k1");
        let token = portcullis::jwt::mint::sign_compact(
            key,
            &json!({ "alg": "HS256", "typ": "JWT", "kid": "k1" }),
            &json!({
                "sub": "user-1234", "aud": "api", "scope": "orders:read",
                "jti": "0f8fad5b-d9cb-469f-a165-70867728950e", "iat": now, "exp": now + 900,
            }),
        );
        let verified =
            verify(&token, &config.keyring, &config.verify, now).expect("the bench token verifies");
        let fixture = GatePath {
            bearer: format!("Bearer {token}"),
            token,
            list: revocation_list(now),
            verified,
            config,
            now,
        };
        for step in STEPS {
            assert!(
                fixture.run(step),
                "bench step {step} failed on its own input"
            );
        }
        fixture
    }

    /// Runs one step by name; false when it did not come out as an allowed request's would
    /// (or the name is unknown).
    pub fn run(&self, step: &str) -> bool {
        match step {
            "route" => self.route().is_some(),
            "verify" => verify(
                black_box(&self.token),
                &self.config.keyring,
                &self.config.verify,
                self.now,
            )
            .is_ok(),
            "authorize" => self.authorize(black_box(&self.token)).is_some(),
            "identity" => !self.identity(black_box(&self.verified)).is_empty(),
            "hop_marker" => !self.hop_marker().is_empty(),
            "header_plan" => self
                .header_plan(black_box("hop"))
                .0
                .contains("authorization"),
            "audit_line" => !self.audit_line(black_box(&self.verified)).is_empty(),
            "all" => self.all(),
            _ => false,
        }
    }

    fn head(&self) -> RequestHead<'_> {
        RequestHead {
            method: "GET",
            query: None,
            authorization: Some(black_box(&self.bearer)),
            cookie: None,
            preflight_method: None,
        }
    }

    fn htu(&self) -> String {
        format!("{}/orders/1", self.origin())
    }

    fn origin(&self) -> &str {
        http::url::split_url(URL).origin
    }

    /// Routing as the fetch handler does it; the token it found.
    fn route(&self) -> Option<String> {
        let parts = http::url::split_url(black_box(URL));
        let path = normalize_path(parts.path);
        let normalized = path.as_ref().ok()?;
        if http::admin::owns(normalized.as_str(), &self.config.admin_prefix) {
            return None;
        }
        let htu =
            forwarding::origin_target(self.config.origin_url.as_deref(), parts.origin, normalized);
        if forwarding::is_loop(self.config.origin_keys.keys(), "GET", &htu, None) {
            return None;
        }
        let routed = http::route(&self.config, &self.head(), path).ok()?;
        match routed.access {
            http::Admission::Token(token) => Some(token),
            _ => None,
        }
    }

    fn authorize(&self, token: &str) -> Option<VerifiedToken> {
        let path = normalize_path("/orders/1").ok()?;
        let rule = self.config.routes.find("GET", &path)?;
        let a = http::authorize(
            &self.config,
            rule,
            token,
            Revocations::Current(&self.list),
            self.now,
        )
        .ok()?;
        let own_url = format!("{}{}", self.origin(), path.as_str());
        let presented = Presentation {
            scheme: Scheme::Bearer,
            dpop_proof: None,
            client_cert: None,
            method: "GET",
            htu: &own_url,
            token,
        };
        http::check_binding(&self.config, rule, &a.token, &presented, self.now).ok()?;
        a.revocation_checked.then_some(a.token)
    }

    fn identity(&self, token: &VerifiedToken) -> Vec<(&'static str, String)> {
        let stamp = ListStamp {
            version: 42,
            age_s: 1,
        };
        http::identity_headers(
            &self.config.origin_key,
            token,
            "GET",
            &self.htu(),
            self.now,
            Some(stamp),
        )
    }

    fn hop_marker(&self) -> String {
        forwarding::hop_marker(&self.config.origin_key, "GET", &self.htu())
    }

    /// The two `\n`-joined lists the Worker hands to JS (names to delete, pairs to set), and
    /// the headers that mark the response private.
    fn header_plan(&self, hop: &str) -> (String, usize) {
        let plan = forwarding::outbound_headers(
            NAMES,
            &Inbound {
                connection: None,
                client_ip: Some(CLIENT_IP),
                own_origin: self.origin(),
                with_body: true,
                hop,
            },
        );
        let remove = plan.delete.join("\n");
        let mut set = String::with_capacity(512);
        for (name, value) in &plan.set {
            set.push_str(name);
            set.push('\n');
            set.push_str(value);
            set.push('\n');
        }
        let credential = forwarding::credential_headers(true, Some(&self.bearer), None, None);
        let private = forwarding::private_response_headers(None, None, &credential);
        black_box(&set);
        (remove, private.len())
    }

    fn audit_line(&self, token: &VerifiedToken) -> String {
        let principal = Principal::of(token);
        let request = AuditRequest {
            time_ms: 1_800_000_000_000,
            client_ip: Some(CLIENT_IP),
            ray: Some(RAY),
            method: "GET",
            path: Some("/orders/1"),
        };
        AuditRecord::allow(
            "gate",
            &request,
            Some(1),
            "authorized",
            200,
            Some(&principal),
        )
        .to_line()
    }

    fn all(&self) -> bool {
        let Some(token) = self.route() else {
            return false;
        };
        let Some(verified) = self.authorize(&token) else {
            return false;
        };
        let identity = self.identity(&verified);
        let hop = self.hop_marker();
        let (remove, _) = self.header_plan(&hop);
        let line = self.audit_line(&verified);
        black_box((identity, remove, line));
        true
    }
}
