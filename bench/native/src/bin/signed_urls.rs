//! Signed-link verification cost beside token verification, natively: the same key, the
//! same request, contenders alternated within each round, ratios taken within a round.
//!
//!   signed_urls [--rounds R] [--iters N]     JSON on stdout (bench/out/signed-urls.json)
//!
//! Contenders: `token` (a typical HS256 JWT through the strict verifier), `signed_url` (a
//! Portcullis link for the same key), `signed_cookie`, `cloudflare_hmac_v0`,
//! `akamai_edgeauth2`, and `hmac_prekeyed` (HMAC-SHA256 alone over a link-sized input: the
//! floor).

use std::hint::black_box;

use portcullis::jwt::keyring::{Alg, Key, Keyring};
use portcullis::jwt::mint::{mint, MintRequest};
use portcullis::jwt::verify::{verify, VerifyPolicy};
use portcullis::routes::{
    normalize_path, AkamaiMode, AkamaiOptions, CloudflareOptions, TokenLocation,
};
use portcullis::signed::akamai::{self, AkamaiAlgorithm, AkamaiFields, AkamaiKeys};
use portcullis::signed::cloudflare;
use portcullis::signed::portcullis::{self as link, LinkFields, LinkRequest, PathScope};
use portcullis_bench_native::{
    alternated_rounds, assert_all_accept, hmac_prekeyed, hmac_sha256, median, now_s, round_ratio,
    rounded, Check,
};

const SECRET: [u8; 32] = *b"portcullis-bench-secret-32-bytes";

fn contenders(now: i64) -> Vec<(&'static str, Check)> {
    let key = Key::new(Some("bench-1".into()), Alg::HS256, &SECRET).unwrap();
    let jwks = serde_json::json!({ "keys": [key.to_jwk()] }).to_string();
    let ring = Keyring::from_jwks(&jwks).unwrap();
    let policy = VerifyPolicy {
        algorithms: vec![Alg::HS256],
        max_ttl: Some(3600),
        ..VerifyPolicy::default()
    };
    let token = mint(
        &key,
        &MintRequest {
            sub: "user-1234".into(),
            scope: Some("media:read".into()),
            aud: None,
            iss: None,
            ttl: 900,
            extra: serde_json::Map::new(),
        },
        now,
        None,
    )
    .unwrap()
    .token;
    let (r1, p1) = (ring.clone(), policy);
    let token_check = move || verify(black_box(&token), &r1, &p1, now).is_ok();

    let path = normalize_path("/media/show/seg/00042.ts").unwrap();
    let url_fields = LinkFields {
        method: "GET".into(),
        scope: PathScope::Prefix("/media/show/".into()),
        exp: now + 600,
        cookie: false,
    };
    let q = link::sign(&key, &url_fields, Some("quality=720p"));
    let (r2, p2) = (ring.clone(), path.clone());
    let url_check = move || {
        let req = LinkRequest {
            method: "GET",
            path: &p2,
            query: Some(black_box(&q)),
        };
        link::verify(&r2, &req, 3600, now).is_ok()
    };

    let cookie_fields = LinkFields {
        cookie: true,
        ..url_fields
    };
    let cq = link::sign(&key, &cookie_fields, None);
    let cookie_link = link::verify(
        &ring,
        &LinkRequest {
            method: "GET",
            path: &path,
            query: Some(&cq),
        },
        3600,
        now,
    )
    .unwrap();
    let set_cookie = link::cookie_for(&cookie_link, Some(&cq), now).unwrap();
    let cookie_value = set_cookie["pc_signed=".len()..]
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let (r3, p3) = (ring, path.clone());
    let cookie_check = move || {
        let req = LinkRequest {
            method: "GET",
            path: &p3,
            query: None,
        };
        link::verify_cookie(&r3, black_box(&cookie_value), &req, 3600, now).is_ok()
    };

    let cf = CloudflareOptions {
        param: "verify".into(),
        ttl_s: 600,
        urlsafe: false,
    };
    let cf_uri = cloudflare::sign(&SECRET, "/media/show/seg/00042.ts?quality=720p", &cf, now);
    let cf_check = move || cloudflare::verify(&SECRET, black_box(&cf_uri), &cf, now).is_ok();

    let ak = AkamaiOptions {
        mode: AkamaiMode::Acl,
        token_name: "__token__".into(),
        location: TokenLocation::Query,
        field_delimiter: '~',
        acl_delimiter: '!',
    };
    let fields = AkamaiFields {
        start: Some(now - 10),
        exp: now + 600,
        acl: Some("/media/show/*".into()),
        ..AkamaiFields::default()
    };
    let ak_token = akamai::sign(AkamaiAlgorithm::Sha256, &SECRET, &ak, &fields, None, None);
    let ak_path = path.as_str().to_owned();
    let ak_check = move || {
        let keys = AkamaiKeys {
            algorithm: AkamaiAlgorithm::Sha256,
            key: &SECRET,
            transition: None,
            salt: None,
        };
        akamai::verify(keys, &ak, black_box(&ak_token), &ak_path, None, now).is_ok()
    };

    let input =
        "portcullis-signed-url/1\nGET\n/media/show/*\nurl\nquality=720p\n1800000000\nbench-1";
    let floor = hmac_prekeyed(
        &SECRET,
        input.to_owned(),
        hmac_sha256(&SECRET, input.as_bytes()),
    );

    vec![
        ("token", Box::new(token_check) as Check),
        ("signed_url", Box::new(url_check)),
        ("signed_cookie", Box::new(cookie_check)),
        ("cloudflare_hmac_v0", Box::new(cf_check)),
        ("akamai_edgeauth2", Box::new(ak_check)),
        ("hmac_prekeyed", floor),
    ]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut rounds, mut iters) = (9usize, 20_000u64);
    while let Some(a) = args.next() {
        let mut val = || args.next().expect("flag needs a value");
        match a.as_str() {
            "--rounds" => rounds = val().parse().unwrap(),
            "--iters" => iters = val().parse().unwrap(),
            _ => panic!("unknown argument {a}"),
        }
    }
    let mut all = contenders(now_s());
    assert_all_accept(&mut all);
    let ns = alternated_rounds(&mut all, rounds, iters);
    let n = all.len();
    let ratio = |a: usize, b: usize| rounded(round_ratio(&ns, a, b), 3);
    let contenders: Vec<serde_json::Value> = all
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            serde_json::json!({
                "name": name,
                "ns_per_op_median": rounded(median(ns[i].clone()), 1),
                "time_vs_token": ratio(i, 0),
                "time_vs_hmac": ratio(i, n - 1),
            })
        })
        .collect();
    let out = serde_json::json!({
        "rounds": rounds,
        "iters_per_round": iters,
        "contenders": contenders,
    });
    println!("{}", serde_json::to_string_pretty(&out).unwrap());
}
