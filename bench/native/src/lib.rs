//! What the native benchmarks share: a contender is a closure that checks one input and says
//! whether it was accepted; contenders run alternated within each round so that ratios are
//! taken between runs seconds apart; the floor every verifier is compared with is HMAC-SHA256
//! alone over the same input.

use std::hint::black_box;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// One contender: checks its input once, true when accepted.
pub type Check = Box<dyn FnMut() -> bool>;

/// The wall clock, seconds since the epoch.
pub fn now_s() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The median of `v` (the mean of the middle two for an even count).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// HMAC-SHA256 of `input` under `key`.
pub fn hmac_sha256(key: &[u8], input: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
    mac.update(input);
    mac.finalize().into_bytes().to_vec()
}

/// The floor: HMAC-SHA256 over `input` checked against `tag`, with the key schedule done once
/// and cloned per call, as a verifier holding its keys would.
pub fn hmac_prekeyed(key: &[u8], input: String, tag: Vec<u8>) -> Check {
    let prekeyed = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
    Box::new(move || {
        let mut mac = black_box(&prekeyed).clone();
        mac.update(black_box(input.as_bytes()));
        mac.verify_slice(black_box(&tag)).is_ok()
    })
}

/// Runs `check` `iters` times; nanoseconds per call. Panics if it refuses its input once.
pub fn ns_per_op(check: &mut Check, iters: u64) -> f64 {
    let start = Instant::now();
    for _ in 0..iters {
        assert!(black_box(check()), "a contender refused its bench input");
    }
    start.elapsed().as_nanos() as f64 / iters as f64
}

/// A warm-up of every contender, then `rounds` rounds of `iters` calls each, every round
/// starting with the next contender (A B C, B C A, ...): nanoseconds per call, by contender
/// then round.
pub fn alternated_rounds(
    all: &mut [(&'static str, Check)],
    rounds: usize,
    iters: u64,
) -> Vec<Vec<f64>> {
    for (_, check) in all.iter_mut() {
        ns_per_op(check, iters / 10);
    }
    let n = all.len();
    let mut ns = vec![Vec::with_capacity(rounds); n];
    for r in 0..rounds {
        for k in 0..n {
            let i = (r + k) % n;
            ns[i].push(ns_per_op(&mut all[i].1, iters));
        }
    }
    ns
}

/// Panics unless every contender accepts its input: otherwise the comparison is meaningless.
pub fn assert_all_accept(all: &mut [(&'static str, Check)]) {
    for (name, check) in all.iter_mut() {
        assert!(check(), "{name} refused its bench input");
    }
}

/// The median over rounds of contender `a`'s time over `b`'s in the same round: ratios are
/// taken between runs seconds apart, then the median.
pub fn round_ratio(ns: &[Vec<f64>], a: usize, b: usize) -> f64 {
    median(ns[a].iter().zip(&ns[b]).map(|(x, y)| x / y).collect())
}

/// `x` rounded to `places` decimals, for the report.
pub fn rounded(x: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (x * scale).round() / scale
}
