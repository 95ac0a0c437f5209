//! Native verify benchmark: one typical HS256 token (iss, sub, aud, scope, jti, iat, nbf, exp)
//! checked by Portcullis, jsonwebtoken and jwt-simple with the same rules, against the floor:
//! HMAC-SHA256 alone over the same signing input.
//!
//! A hand-rolled loop instead of criterion: criterion's dependency tree (rayon, plotters,
//! clap, ...) costs more to compile on a shared 2-core machine than the whole measurement,
//! and what we need is simple: contenders alternated within each round, ratios taken within
//! a round, medians over rounds.
//!
//!   portcullis-bench-native [--rounds R] [--iters N]     all contenders, JSON on stdout
//!   portcullis-bench-native --only NAME --iters N        one contender N times (for callgrind)

use std::hint::black_box;

use hmac::{Hmac, KeyInit, Mac};
use portcullis::jwt::keyring::{Alg, Keyring};
use portcullis::jwt::verify::VerifyPolicy;
use portcullis_bench_native::{
    alternated_rounds, assert_all_accept, hmac_prekeyed, hmac_sha256, median, now_s, ns_per_op,
    round_ratio, rounded, Check,
};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

const SECRET: [u8; 32] = *b"portcullis-bench-secret-32-bytes";
const KID: &str = "bench-1";
const ISSUER: &str = "https://issuer.example";
const AUDIENCE: &str = "api";
const MAX_TTL: u64 = 3600;

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn b64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .expect("bench token is base64url")
}

/// The token every contender verifies, minted independently of all of them.
fn token(now: i64) -> String {
    let header = serde_json::json!({ "alg": "HS256", "typ": "JWT", "kid": KID });
    let claims = serde_json::json!({
        "iss": ISSUER, "sub": "user-1234", "aud": AUDIENCE, "scope": "orders:read orders:write",
        "jti": "0f8fad5b-d9cb-469f-a165-70867728950e", "iat": now, "nbf": now, "exp": now + 900,
    });
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    format!("{input}.{}", b64(&hmac_sha256(&SECRET, input.as_bytes())))
}

#[derive(Debug, Serialize, Deserialize)]
struct JwtClaims {
    iss: String,
    sub: String,
    aud: String,
    scope: String,
    jti: String,
    iat: i64,
    nbf: i64,
    exp: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Scope {
    scope: String,
}

/// Every contender, each closure verifies the token once and says whether it was accepted.
fn contenders(tok: &str) -> Vec<(&'static str, Check)> {
    let jwks = serde_json::json!({ "keys": [{
        "kty": "oct", "alg": "HS256", "kid": KID, "use": "sig", "k": b64(&SECRET)
    }]})
    .to_string();
    let ring = Keyring::from_jwks(&jwks).expect("bench key ring loads");
    let policy = VerifyPolicy {
        algorithms: vec![Alg::HS256],
        audience: Some(AUDIENCE.into()),
        issuer: Some(ISSUER.into()),
        leeway: 0,
        max_ttl: Some(MAX_TTL),
        ..VerifyPolicy::default()
    };
    let t = tok.to_owned();
    let portcullis = move || {
        let v = portcullis::jwt::verify::verify(black_box(&t), &ring, &policy, now_s());
        black_box(&v);
        v.is_ok()
    };

    // jsonwebtoken: same rules (alg pinned, aud, iss, exp, nbf, leeway 0). It has no
    // max-lifetime check; it reads the clock itself.
    let dk = jsonwebtoken::DecodingKey::from_secret(&SECRET);
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_audience(&[AUDIENCE]);
    validation.set_issuer(&[ISSUER]);
    validation.validate_nbf = true;
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
    let t = tok.to_owned();
    let jsonwebtoken = move || {
        let v = jsonwebtoken::decode::<JwtClaims>(black_box(&t), &dk, &validation);
        black_box(&v);
        v.is_ok()
    };

    // jwt-simple: key id required to match, iss, aud, zero tolerance, max validity.
    use jwt_simple::prelude::*;
    let key = HS256Key::from_bytes(&SECRET).with_key_id(KID);
    let options = VerificationOptions {
        allowed_issuers: Some(HashSet::from_strings(&[ISSUER])),
        allowed_audiences: Some(HashSet::from_strings(&[AUDIENCE])),
        time_tolerance: Some(jwt_simple::prelude::Duration::from_secs(0)),
        max_validity: Some(jwt_simple::prelude::Duration::from_secs(MAX_TTL)),
        required_key_id: Some(KID.into()),
        ..Default::default()
    };
    let t = tok.to_owned();
    let jwt_simple = move || {
        let v = key.verify_token::<Scope>(black_box(&t), Some(options.clone()));
        black_box(&v);
        v.is_ok()
    };

    // The floor: HMAC-SHA256 over the signing input against the (pre-decoded) tag.
    let (input, sig) = tok.rsplit_once('.').unwrap();
    let tag = b64_decode(sig);
    let (input_a, tag_a) = (input.to_owned(), tag.clone());
    let hmac_keyed_per_call = move || {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(black_box(&SECRET)).unwrap();
        mac.update(black_box(input_a.as_bytes()));
        mac.verify_slice(black_box(&tag_a)).is_ok()
    };

    vec![
        ("portcullis", Box::new(portcullis) as Check),
        ("jsonwebtoken", Box::new(jsonwebtoken)),
        ("jwt-simple", Box::new(jwt_simple)),
        ("hmac-keyed-per-call", Box::new(hmac_keyed_per_call)),
        (
            "hmac-prekeyed-clone",
            hmac_prekeyed(&SECRET, input.to_owned(), tag),
        ),
    ]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut rounds, mut iters, mut only) = (7u32, 20_000u64, None::<String>);
    while let Some(a) = args.next() {
        let mut val = || args.next().expect("flag needs a value");
        match a.as_str() {
            "--rounds" => rounds = val().parse().unwrap(),
            "--iters" => iters = val().parse().unwrap(),
            "--only" => only = Some(val()),
            _ => panic!("unknown argument {a}"),
        }
    }
    let tok = token(now_s());
    let mut all = contenders(&tok);
    assert_all_accept(&mut all);
    if let Some(name) = only {
        let (_, check) = all
            .iter_mut()
            .find(|(n, _)| *n == name)
            .expect("no such contender");
        ns_per_op(check, iters);
        return;
    }
    let ns = alternated_rounds(&mut all, rounds as usize, iters);
    let idx = |name: &str| all.iter().position(|(n, _)| *n == name).unwrap();
    let p = idx("portcullis");
    let ratio = |a: usize, b: usize| rounded(round_ratio(&ns, a, b), 3);
    let results: Vec<serde_json::Value> = all
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            serde_json::json!({
                "name": name,
                "ns_per_op_median": rounded(median(ns[i].clone()), 1),
                "ns_per_op_rounds": ns[i].iter().map(|&x| rounded(x, 1)).collect::<Vec<_>>(),
                "time_vs_portcullis": ratio(i, p),
            })
        })
        .collect();
    let out = serde_json::json!({
        "token_bytes": tok.len(),
        "rounds": rounds,
        "iters_per_round": iters,
        "contenders": results,
        "ratios": {
            "portcullis_over_hmac_prekeyed": ratio(p, idx("hmac-prekeyed-clone")),
            "portcullis_over_hmac_keyed_per_call": ratio(p, idx("hmac-keyed-per-call")),
            "jsonwebtoken_over_portcullis": ratio(idx("jsonwebtoken"), p),
            "jwt_simple_over_portcullis": ratio(idx("jwt-simple"), p),
        },
    });
    println!("{}", serde_json::to_string_pretty(&out).unwrap());
}
