//! The gate's own per-request logic, natively: everything the Worker asks the core for on an
//! allowed `GET /orders/1` with a Bearer token, step by step, so the wasm share of the
//! gate's cost in workerd (BENCHMARKS.md 3a, 3b) can be read against what the logic itself
//! takes. Steps (each timed alone over the same inputs, medians of rounds):
//! `route` (head hygiene, path normalization, the route table), `authorize` (the strict
//! verify, revocation, scopes), `forward_plan` (hop marker, identity headers with the origin
//! assertion, the outbound header plan, the private-response headers), `audit_line` (the
//! allowed request's record and its JSON line), and `all` (the four in a row).
//!
//!   gate_path [--rounds R] [--iters N]     JSON on stdout

use std::hint::black_box;
use std::time::Instant;

use portcullis::config::{self, GateConfig};
use portcullis::http::forwarding::{self, Inbound};
use portcullis::http::{self, AuditRecord, AuditRequest, Principal, RequestHead, Revocations};
use portcullis::routes::normalize_path;
use portcullis_bench_native::{hmac_sha256, median, now_s, rounded};
use serde_json::{json, Value};

const SECRET: [u8; 32] = *b"portcullis-bench-secret-32-bytes";
const ORIGIN_SECRET: [u8; 32] = *b"portcullis-origin-secret-32bytes";

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn token(now: i64) -> String {
    let header = json!({ "alg": "HS256", "typ": "JWT", "kid": "k1" });
    let claims = json!({
        "sub": "user-1234", "aud": "api", "scope": "orders:read",
        "jti": "0f8fad5b-d9cb-469f-a165-70867728950e", "iat": now, "exp": now + 900,
    });
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    format!("{input}.{}", b64(&hmac_sha256(&SECRET, input.as_bytes())))
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
    .expect("bench config loads")
}

/// The request as the Worker sees it: what the head and the header names would carry.
const NAMES: [&str; 6] = [
    "accept",
    "authorization",
    "cf-connecting-ip",
    "cf-ray",
    "host",
    "user-agent",
];
const OWN_ORIGIN: &str = "https://gate.example";

fn main() {
    let mut rounds = 7;
    let mut iters: u64 = 20_000;
    let args: Vec<String> = std::env::args().collect();
    for w in args.windows(2) {
        match w[0].as_str() {
            "--rounds" => rounds = w[1].parse().expect("--rounds N"),
            "--iters" => iters = w[1].parse().expect("--iters N"),
            _ => {}
        }
    }
    let config = gate_config();
    let now = now_s();
    let bearer = format!("Bearer {}", token(now));
    let head = RequestHead {
        method: "GET",
        query: None,
        authorization: Some(&bearer),
        cookie: None,
        preflight_method: None,
    };
    let revocations = Revocations::Unavailable { retry_after_s: 1 };

    let route = || {
        let path = normalize_path("/orders/1");
        http::route(&config, &head, path).expect("routed")
    };
    let routed = route();
    let token_str = match &routed.access {
        http::Admission::Token(t) => t.to_string(),
        _ => panic!("the bench route needs a token"),
    };
    let authorize = || {
        // The bench route fails closed on an unavailable list unless it is fail_open; the
        // verify and scopes are what is timed, so a refusal here only for the list is fine.
        let _ = black_box(http::authorize(
            &config,
            routed.rule,
            &token_str,
            revocations,
            now,
        ));
    };
    let verified =
        portcullis::jwt::verify::verify(&token_str, &config.keyring, &config.verify, now)
            .expect("bench token verifies");
    let htu = "https://origin.example/orders/1";
    let forward_plan = || {
        let hop = forwarding::hop_marker(&config.origin_key, "GET", htu);
        let identity = http::identity_headers(&config.origin_key, &verified, "GET", htu, now, None);
        let plan = forwarding::outbound_headers(
            NAMES,
            &Inbound {
                connection: None,
                client_ip: Some("203.0.113.7"),
                own_origin: OWN_ORIGIN,
                with_body: true,
                hop: &hop,
            },
        );
        let credential = forwarding::credential_headers(true, Some(&bearer), None, None);
        let private = forwarding::private_response_headers(None, None, &credential);
        black_box((identity, plan, private));
    };
    let principal = Principal::of(&verified);
    let audit_line = || {
        let request = AuditRequest {
            time_ms: 1_800_000_000_000,
            client_ip: Some("203.0.113.7"),
            ray: Some("8f1e2d3c4b5a6978-LHR"),
            method: "GET",
            path: Some("/orders/1"),
        };
        let record = AuditRecord::allow(
            "gate",
            &request,
            Some(1),
            "authorized",
            200,
            Some(&principal),
        );
        black_box(record.to_line());
    };

    let steps: [(&str, &dyn Fn()); 5] = [
        ("route", &|| {
            black_box(route());
        }),
        ("authorize", &authorize),
        ("forward_plan", &forward_plan),
        ("audit_line", &audit_line),
        ("all", &|| {
            black_box(route());
            authorize();
            forward_plan();
            audit_line();
        }),
    ];
    let mut us: Vec<Vec<f64>> = vec![Vec::new(); steps.len()];
    for _ in 0..rounds {
        for (i, (_, step)) in steps.iter().enumerate() {
            let t = Instant::now();
            for _ in 0..iters {
                step();
            }
            us[i].push(t.elapsed().as_secs_f64() * 1e6 / iters as f64);
        }
    }
    let out: serde_json::Map<String, Value> = steps
        .iter()
        .zip(us)
        .map(|((name, _), v)| (name.to_string(), json!(rounded(median(v), 2))))
        .collect();
    println!(
        "{}",
        json!({ "us_per_request_median": out, "rounds": rounds, "iters": iters })
    );
}
