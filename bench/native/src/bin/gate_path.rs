//! The gate's own per-request logic, natively: everything the Worker asks the core for on an
//! allowed `GET /orders/1` with a Bearer token, step by step (the fixture and its steps are
//! bench/gate-path's, shared with the wasm bench that loops the same steps inside workerd and
//! Node, BENCHMARKS.md "The core's request path inside workerd"). Each step is timed alone
//! over the same inputs, steps alternated within each round, medians of rounds.
//!
//!   gate_path [--rounds R] [--iters N] [--only STEP]     JSON on stdout
//! (`--only`: time one step, e.g. under callgrind or perf.)

use std::time::Instant;

use portcullis_bench_gate_path::{GatePath, STEPS};
use portcullis_bench_native::{median, now_s, rounded};
use serde_json::{json, Value};

fn main() {
    let mut rounds = 7;
    let mut iters: u64 = 20_000;
    let mut only: Option<String> = None;
    let args: Vec<String> = std::env::args().collect();
    for w in args.windows(2) {
        match w[0].as_str() {
            "--rounds" => rounds = w[1].parse().expect("--rounds N"),
            "--iters" => iters = w[1].parse().expect("--iters N"),
            "--only" => only = Some(w[1].clone()),
            _ => {}
        }
    }
    let fixture = GatePath::new(now_s());
    let steps: Vec<&str> = match &only {
        Some(step) => {
            assert!(STEPS.contains(&step.as_str()), "--only: one of {STEPS:?}");
            vec![step.as_str()]
        }
        None => STEPS.to_vec(),
    };
    let mut us: Vec<Vec<f64>> = vec![Vec::new(); steps.len()];
    for r in 0..rounds {
        for k in 0..steps.len() {
            let i = (r + k) % steps.len();
            let t = Instant::now();
            for _ in 0..iters {
                assert!(fixture.run(steps[i]), "step {} failed", steps[i]);
            }
            us[i].push(t.elapsed().as_secs_f64() * 1e6 / iters as f64);
        }
    }
    let out: serde_json::Map<String, Value> = steps
        .iter()
        .zip(us)
        .map(|(name, v)| (name.to_string(), json!(rounded(median(v), 3))))
        .collect();
    println!(
        "{}",
        json!({ "us_per_step_median": out, "rounds": rounds, "iters": iters })
    );
}
