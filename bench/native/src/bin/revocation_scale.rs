//! The compact revocation list at 10^3..10^6 entries, natively: bytes in KV, full load
//! (decode) beside the `snapshot/v1` JSON parse it replaces (alternated within each round),
//! memory, lookup ns, and a 100-change delta applied (with and without the overlay merge).
//!
//!   revocation_scale [--rounds R] [--sizes 1000,10000,...] [--lookups N]
//!       [--write-lists DIR]   JSON on stdout (bench/out/revocation-scale.json); with
//!                             --write-lists, each size's encoded list is also written to
//!                             DIR/<n>.bin for the workerd load bench.
//!
//! Entries: 1% subject cut-offs, 2 key revocations, the rest `jti`s (36-character ids, as
//! UUIDs are), all live for an hour.

use std::hint::black_box;
use std::time::Instant;

use portcullis_bench_native::{median, now_s};

use portcullis::revocation::{
    compact, entry_for, Change, CompactList, Revocation, RevocationEntry, RevocationLookup,
    RevocationPolicy, RevocationSnapshot,
};

const POLICY: RevocationPolicy = RevocationPolicy {
    max_ttl: 3600,
    leeway: 30,
};

fn jti_of(i: u64) -> String {
    // A UUID-shaped id, spread over the alphabet like real ones.
    let a = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let b = a.rotate_left(17) ^ i;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

fn entries(n: u64, now: i64) -> Vec<RevocationEntry> {
    let subjects = n / 100;
    let kids = 2.min(n);
    (0..n)
        .map(|i| {
            let rev = if i < kids {
                Revocation::Key {
                    kid: format!("revoked-kid-{i}"),
                }
            } else if i < kids + subjects {
                Revocation::Subject {
                    sub: format!("user-{i}"),
                    before: now,
                }
            } else {
                Revocation::Token { jti: jti_of(i) }
            };
            entry_for(rev, now, Some(now + 3600), &POLICY)
        })
        .collect()
}

fn time<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let t = Instant::now();
    let out = f();
    (t.elapsed().as_secs_f64() * 1000.0, out)
}

fn changes(from: u64, count: u64, now: i64) -> Vec<Change> {
    (0..count)
        .map(|k| Change {
            version: k + 1,
            entry: entry_for(
                Revocation::Token {
                    jti: jti_of(10_000_000_000 + from + k),
                },
                now,
                Some(now + 3600),
                &POLICY,
            ),
        })
        .collect()
}

fn lookup_ns(list: &dyn RevocationLookup, jtis: &[String], total: usize, want: bool) -> f64 {
    let t = Instant::now();
    let mut hits = 0usize;
    for i in 0..total {
        let jti = &jtis[i % jtis.len()];
        hits += usize::from(
            black_box(list.check(
                Some(jti),
                Some("nobody"),
                Some(0),
                Some("kx"),
                Some("no-session"),
            ))
            .is_some(),
        );
    }
    let ns = t.elapsed().as_nanos() as f64 / total as f64;
    assert_eq!(
        hits,
        if want { total } else { 0 },
        "lookups answered wrongly"
    );
    ns
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut rounds, mut lookups) = (5usize, 200_000usize);
    let mut sizes: Vec<u64> = vec![1_000, 10_000, 100_000, 1_000_000];
    let mut write_lists: Option<String> = None;
    while let Some(a) = args.next() {
        let mut val = || args.next().expect("flag needs a value");
        match a.as_str() {
            "--rounds" => rounds = val().parse().unwrap(),
            "--lookups" => lookups = val().parse().unwrap(),
            "--sizes" => sizes = val().split(',').map(|s| s.parse().unwrap()).collect(),
            "--write-lists" => write_lists = Some(val()),
            _ => panic!("unknown argument {a}"),
        }
    }
    let now = now_s();
    let mut rows = Vec::new();
    for &n in &sizes {
        let all = entries(n, now);
        let (encode_ms_build, list) =
            time(|| CompactList::from_entries(all.clone(), now).with_version(n));
        let (encode_ms, bytes) = time(|| list.encode());
        let json = RevocationSnapshot::from_entries(all.clone(), now)
            .with_version(n)
            .to_json();
        if let Some(dir) = &write_lists {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(format!("{dir}/{n}.bin"), &bytes).unwrap();
        }
        let publication = compact::split(&bytes, n, 1);
        // Alternated: compact decode, JSON parse, the order flipping each round.
        let (mut decode, mut parse) = (Vec::new(), Vec::new());
        for r in 0..rounds {
            for k in 0..2 {
                if (r + k) % 2 == 0 {
                    let (ms, l) = time(|| CompactList::decode(black_box(&bytes)).unwrap());
                    assert_eq!(l.len(), list.len());
                    decode.push(ms);
                } else {
                    let (ms, s) = time(|| RevocationSnapshot::from_json(black_box(&json)).unwrap());
                    assert_eq!(s.len() as u64, n);
                    parse.push(ms);
                }
            }
        }
        let loaded = CompactList::decode(&bytes).unwrap();
        let clear = RevocationSnapshot::from_json(&json).unwrap();
        let hits: Vec<String> = (0..1024u64)
            .map(|i| jti_of(2 + n / 100 + (i * 7919) % (n - 2 - n / 100)))
            .collect();
        let misses: Vec<String> = (0..1024u64).map(|i| jti_of(20_000_000_000 + i)).collect();
        let (mut hit, mut miss, mut hash_hit) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds {
            hit.push(lookup_ns(&loaded, &hits, lookups, true));
            hash_hit.push(lookup_ns(&clear, &hits, lookups, true));
            miss.push(lookup_ns(&loaded, &misses, lookups, false));
        }
        // A 100-change delta on a list fresh from KV (empty overlay), and the one delta in
        // OVERLAY_MERGE_AT / 100 that also merges the overlay into the base.
        let (mut apply, mut apply_merge) = (Vec::new(), Vec::new());
        for r in 0..rounds as u64 {
            let mut l = loaded.clone();
            let delta = changes(r * 10_000, 100, now);
            let (ms, ()) = time(|| l.apply(black_box(&delta), now));
            apply.push(ms * 1000.0);
            let mut l = loaded.clone();
            l.apply(
                &changes(
                    1_000_000 + r * 10_000,
                    compact::OVERLAY_MERGE_AT as u64 - 50,
                    now,
                ),
                now,
            );
            let delta = changes(2_000_000 + r * 10_000, 100, now);
            let (ms, ()) = time(|| l.apply(black_box(&delta), now));
            assert_eq!(l.overlay_len(), 50, "the merge ran");
            apply_merge.push(ms * 1000.0);
        }
        let row = serde_json::json!({
            "entries": n,
            "compact_bytes": bytes.len(),
            "json_bytes": json.len(),
            "chunks": publication.manifest.chunks,
            "bytes_per_entry": bytes.len() as f64 / n as f64,
            "heap_bytes": loaded.heap_bytes(),
            "decode_ms": median(decode.clone()),
            "json_parse_ms": median(parse.clone()),
            "json_over_compact_load": median(parse.iter().zip(&decode).map(|(p, d)| p / d).collect()),
            "lookup_hit_ns": median(hit),
            "lookup_miss_ns": median(miss),
            "hashmap_lookup_hit_ns": median(hash_hit),
            "apply100_us": median(apply),
            "apply100_with_merge_us": median(apply_merge),
            "writer_build_ms": encode_ms_build,
            "writer_encode_ms": encode_ms,
        });
        eprintln!("{row}");
        rows.push(row);
    }
    println!(
        "{}",
        serde_json::json!({
            "source": "bench/native/src/bin/revocation_scale.rs",
            "rounds": rounds,
            "lookups_per_round": lookups,
            "overlay_merge_at": compact::OVERLAY_MERGE_AT,
            "chunk_bytes": compact::CHUNK_BYTES,
            "sizes": rows,
        })
    );
}
