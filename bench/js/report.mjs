#!/usr/bin/env node
// Write BENCHMARKS.md and bench/results.json from the raw outputs of scripts/bench.sh
// (bench/out/*.json). Every number in the report comes from those files.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = join(here, "..", "..");
const OUT = join(ROOT, "bench", "out");
const read = (f) => (existsSync(join(OUT, f)) ? JSON.parse(readFileSync(join(OUT, f), "utf8")) : null);
const text = (f) => (existsSync(join(OUT, f)) ? readFileSync(join(OUT, f), "utf8").trim() : "");
const sh = (cmd, args) => { try { return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim(); } catch (e) { return String(e.stdout || e.stderr || "").trim(); } };
const npmVersion = (name, dir = ROOT) => { try { return JSON.parse(readFileSync(join(dir, "node_modules", name, "package.json"), "utf8")).version; } catch { return "?"; } };
// The bench crates are workspace members now: their versions are in the root Cargo.lock.
// A crate can be in the lock file twice (hmac 0.12 for jwt-simple, 0.13 for the core): the
// newest is the one the core uses.
const lockVersion = (lock, name) => {
  const text = readFileSync(join(ROOT, existsSync(join(ROOT, lock)) ? lock : "Cargo.lock"), "utf8");
  const found = [...text.matchAll(new RegExp(`name = "${name}"\\nversion = "([^"]+)"`, "g"))].map((m) => m[1]);
  const key = (v) => v.split(/[.-]/).map((p) => p.padStart(8, "0")).join(".");
  return found.sort((a, b) => (key(a) < key(b) ? -1 : 1)).at(-1) ?? "?";
};
// What was decided from the codegen table (section 6), written when the profile changed.
const CODEGEN_DECISION = "Decided (2026-11-30, run 9): **the profile stays as it was**, opt-level \"z\" with sha2 and hmac at 3, wasm-opt as the crate's metadata says. Every variant that runs the path faster costs more bytes than the budget leaves: the core at \"s\" about 20 KB gzip, at 2 or 3 about 52-55 KB, the JSON and base64 libraries at 3 about 14 KB, wasm-opt -O3 on the shipped build about 11 KB, against 4-6 KB left above the 4 KB margin. What the best of them would buy is ~9 µs of CPU per request (the core path 27 -> 18 µs in workerd), against the ~250-650 µs the gate costs over floor-log (section 3): the core's codegen is not where the gate's time goes. In Node the same variants all run the path in the same time (1.00-1.02x): V8 there optimizes the \"z\" build's many small functions as well as the inlined ones, while workerd, in this run, did not; not investigated further.";
// What the stall profiles of 2026-11-30 (23:30-00:30 UTC, this section's and three more runs)
// showed; the table above is this run's.
const STALL_READING = "Reading (2026-11-30, issue 12 item 4; this table and two earlier profiles agree): **no gate-specific stall was found in the isolate at a fixed rate.** Garbage collection is not it: the gate allocates the *least* JS per request of the contenders (about 9.3 KB, against floor-log's 13.7, pass-through's 11.0 and jose's 18.5: its one-crossing head, header plan and fetch leave less than the runtime's own Request/URL objects do), its GC pauses are as frequent as the others' (12-15 per 1,000 requests) and as short (the longest 2.1-2.4 ms in three profiles), and none is near the p99 gap. Nor does the isolate hold requests for long: its longest busy stretch was 6-12 ms of \"(program)\" (V8's and workerd's own native work; none of the gate's code in it), once or twice per ~1,800 requests, which reaches p99.9 and not p99. The gate had more such \"(program)\" stretches over 5 ms than the others (3-4 per profile against 0-3); V8 compiling or tiering up the larger wasm is not why its p99 is higher (bench/ab run 15: with dynamic tiering off, or tier-up off, the gate's p99 over pass-through's and floor-log's stayed within the rounds' spread). Stalls outside the isolate (one ~160 ms pause in one round of one run at 23:22 UTC, not seen again in four more runs) cannot be named by this profile. With the revocation refresh every 300 s, with the objects script in its own workerd as deployed, and in same-source builds without the private copy or without the timeout signal, the gate's p99 and CPU did not move beyond the rounds' spread (bench/ab runs 12-13); without both (the lean build) they were lower in most rounds of run 14 and not in run 12 (8 of 12 undisturbed rounds of p99, 9 of 13 of CPU): a hint, not a resolved effect, and both parts are required behaviour. So at a fixed rate the gate's tail is where the JavaScript gates' is; it sits 1.2-1.5x above the logging floor's in every run, and about as far above pass-through's as the JavaScript gates do. Runs 16-17 (2026-12-01) found why: not its CPU per request (JavaScript pass-throughs given more CPU than the gate keep a p99 of 1.06-1.14x pass-through's), but the form of its subrequest: the same pass-through forwarding with the gate's header copy and `cache: no-store` has the gate's p99 (0.99-1.03x the gate's, paired), and run 18 puts most of it on the subrequest built from a copied Headers and a URL string (1.23x pass-through's; `no-store` added to the plain `new Request(url, request)` form: 1.07x). `cache: no-store` stays (the platform must never cache one caller's answer). Run 19 (2026-12-01) changed the gate's subrequest and named the part: the gate now builds its subrequest as `new Request(target, { method, headers: req.headers, body, cf: req.cf })`, applies the plan to that Request's own headers and fetches it with `redirect: \"manual\"`, `cache: \"no-store\"` and the timeout signal; its fixed-rate p99 fell to 0.77x the shipped build's (paired, lower in 8 of 8 rounds; 1.08x pass-through's), and the same form without the incoming `cf`, or with an empty `cf` of its own, keeps the old tail (runs 19, 19b). The price is the per-request clone of that `cf` (workerd's Request constructor deep-clones it, fetch serializes it): +23 to +73 µs of workerd CPU per request at the fixed rate and about +60 µs and 0.93x throughput saturated (run 19c). Where the wait comes from is not found, but not in the hop Miniflare adds: every subrequest of a worker in Miniflare first goes to a second worker in the same workerd, `strip-cf-connecting-ip` (miniflare 4.20260426, dist/src/workers/core/strip-cf-connecting-ip.worker.js: a new Headers without CF-Connecting-IP, then `fetch(request, { headers })`; wired as the worker's `globalOutbound` when `stripCfConnectingIp`, default true, in dist/src/index.js), and with that hop taken out (run 19d, `PORTCULLIS_BENCH_NO_STRIP=1`) the old form keeps its tail (1.27x pass-through's against the new gate's 1.11x). So it lies in workerd's own path from the isolate to its `internet` network service; that path reads none of the incoming `cf`'s fields (colo, asn, tlsClientAuth, botManagement, ...): src/workerd/api/http.c++, `Request::constructor` deep-clones `cf`, `Request::serializeCfBlobJson` adds `cacheTtl: -1` and `cacheLevel: \"bypass\"` for no-store and serializes it, `fetchImplNoOutputLock` passes the blob to the outbound channel. Deployed subrequests leave through Cloudflare's own proxy, not this network service, so whether production pays the tail cannot be measured here; the CPU of the clone it likely pays.";
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
const f = (x, d = 2) => (x == null || Number.isNaN(x) ? "n/a" : Number(x).toFixed(d));
const kb = (b) => `${(b / 1024).toFixed(1)} KiB`;
const yes = (ok) => (ok ? "**met**" : "**missed**");

const native = read("native.json");
const ir = read("native-ir.json");
const verify = read("verify.json");
const tp = read("throughput.json");
const fresh = read("freshness.json");
const prof = read("wasm-profile.json");
const variants = read("variants.json");
const cpuProf = read("cpu-profile.json");
const fixedRate = read("fixed-rate.json");
const stallProf = read("stall-profile.json");
const signedUrls = read("signed-urls.json");
const sizeTxt = text("size.txt");
const sizeIn = (txt, kind) => { const m = new RegExp(`^${kind}:\\s+(\\d+) bytes raw,\\s+(\\d+) bytes gzip`, "m").exec(txt); return m ? { raw: Number(m[1]), gzip: Number(m[2]) } : null; };
const sizeOf = (kind) => sizeIn(sizeTxt, kind);
const size = { wasm: sizeOf("wasm"), js: sizeOf("js"), total: sizeOf("total") };
// The objects script's wasm: what an all-local start loads beside the gate's.
const sizeObjects = { wasm: sizeIn(text("size-objects.txt"), "wasm") };

const machine = {
  cpu: os.cpus()[0]?.model ?? "?", cores: os.cpus().length, memory_gib: Math.round(os.totalmem() / 2 ** 30),
  kernel: `${os.type()} ${os.release()}`, load_before: text("load-before.txt"), load_after: text("load-after.txt"),
  run_seconds: Number(text("seconds.txt") || 0),
  // When the run ended (bench.sh writes seconds.txt last), not when this report was regenerated.
  date: (existsSync(join(OUT, "seconds.txt")) ? statSync(join(OUT, "seconds.txt")).mtime : new Date()).toISOString(),
};
const versions = {
  rustc: sh("rustc", ["--version"]), node: process.version, workerd: sh(join(ROOT, "node_modules/.bin/workerd"), ["--version"]),
  wrk: sh("wrk", ["-v"]).split("\n")[0], "wasm-bindgen": sh(process.env.WASM_BINDGEN_BIN || "wasm-bindgen", ["--version"]),
  "wasm-opt": sh(join(ROOT, "node_modules/.bin/wasm-opt"), ["--version"]),
  jsonwebtoken: lockVersion("bench/native/Cargo.lock", "jsonwebtoken") + " (rust_crypto)", "jwt-simple": lockVersion("bench/native/Cargo.lock", "jwt-simple") + " (pure-rust)",
  hmac: lockVersion("Cargo.lock", "hmac"), sha2: lockVersion("Cargo.lock", "sha2"), worker: lockVersion("Cargo.lock", "worker"),
  jose: npmVersion("jose"), "@tsndr/cloudflare-worker-jwt": npmVersion("@tsndr/cloudflare-worker-jwt", join(ROOT, "bench")),
  miniflare: npmVersion("miniflare"),
};

// Goals.
const goals = [];
const nr = native?.ratios;
const irRatio = ir ? ir.portcullis / ir["hmac-prekeyed-clone"] : null;
if (nr) {
  goals.push({ goal: "native verify within 1.5x of HMAC-SHA256 alone", met: nr.portcullis_over_hmac_prekeyed <= 1.5,
    measured: `${f(nr.portcullis_over_hmac_prekeyed)}x the pre-keyed HMAC (${f(nr.portcullis_over_hmac_keyed_per_call)}x keyed per call)` + (irRatio ? `; ${f(irRatio)}x in instructions` : "") });
  goals.push({ goal: "native verify at least 2x faster than jsonwebtoken", met: nr.jsonwebtoken_over_portcullis >= 2,
    measured: `jsonwebtoken takes ${f(nr.jsonwebtoken_over_portcullis)}x Portcullis's time` + (ir ? ` (${f(ir.jsonwebtoken / ir.portcullis)}x the instructions)` : "") });
}
const wd = verify?.hosts.find((h) => h.host === "workerd");
if (wd) {
  goals.push({ goal: "in-workerd verify at least 4x faster than jose", met: wd.ratios.jose_over_portcullis >= 4, measured: `jose takes ${f(wd.ratios.jose_over_portcullis)}x Portcullis's time` });
  goals.push({ goal: "in-workerd verify no slower than bare crypto.subtle.verify", met: wd.ratios.portcullis_over_subtle <= 1.0, measured: `Portcullis takes ${f(wd.ratios.portcullis_over_subtle)}x crypto.subtle.verify's time` });
}
// The start goal against the floor that makes the gate's first-load calls: a workers-rs
// Worker that must load its list on its first request cannot start faster than it.
function firstLoadFloorNote(st) {
  const ffl = st["floor-first-load-deployed"], over = ffl && ffl.ms_median - st.passthrough.ms_median;
  if (!ffl) return "";
  return `; ${over >= 30 ? "**out of reach** for a workers-rs Worker that loads its revocation list on its first request: " : ""}the floor wired as deployed making only those calls (floor-first-load-deployed) is ${f(ffl.ms_median, 0)} ms, ${over >= 0 ? "+" : ""}${f(over, 0)} over pass-through${over >= 30 ? "" : " in this run's starts, so this run does not rule the goal out"} (bench/ab run 25, 60 alternated rounds: +39 ms paired)`;
}
const tc = tp?.contenders;
if (tc) {
  const g = tc.portcullis, pl = tc["passthrough-log"], fl = tc["floor-log"], fb = tc.floor;
  // The floor: a workers-rs Worker that only forwards (and logs). Where it alone misses a
  // goal, no gate built on workers-rs can meet it on this platform.
  const floorNote = (figure, goalOk) => (figure == null ? "" : `; ${goalOk ? "" : "out of reach on workers-rs: "}the floor (a workers-rs Worker that only forwards${fl ? " and logs" : ""}) is ${figure}`);
  if (pl) {
    goals.push({ goal: "gate CPU added at most 30 µs per request over pass-through-with-the-same-log-line", met: g.cpu_us_over_passthrough_log <= 30,
      measured: `+${f(g.cpu_us_over_passthrough_log, 1)} µs (${f(g.workerd_cpu_us_per_req_median, 0)} vs ${f(pl.workerd_cpu_us_per_req_median, 0)} µs of workerd CPU per request; 10 ms tick accounting, medians of per-round differences)` +
        (fl ? floorNote(`+${f(fl.cpu_us_over_passthrough_log, 0)} µs, so the gate's own logic is +${f(g.workerd_cpu_us_per_req_median - fl.workerd_cpu_us_per_req_median, 0)} µs over it`, fl.cpu_us_over_passthrough_log <= 30) : "") });
    goals.push({ goal: "gate throughput at least 0.95x pass-through-with-log (default audit setting)", met: g.rps_vs_passthrough_log >= 0.95, measured: `${f(g.rps_vs_passthrough_log)}x` +
      (fl ? floorNote(`${f(fl.rps_vs_passthrough_log)}x`, fl.rps_vs_passthrough_log >= 0.95) : "") });
  }
  goals.push({ goal: "gate throughput at least 0.90x bare pass-through (default audit setting)", met: g.rps_vs_passthrough >= 0.9, measured: `${f(g.rps_vs_passthrough)}x` +
    (tc["portcullis-denials-only"] ? `; ${f(tc["portcullis-denials-only"].rps_vs_passthrough)}x with allowed requests unlogged (PORTCULLIS_AUDIT_ALLOWED_ONE_IN=0)` : "") +
    (fb ? floorNote(`${f(fb.rps_vs_passthrough)}x without the line`, fb.rps_vs_passthrough >= 0.9) : "") });
  const jsP99 = Math.min(tc.jose.p99_ms_median, tc.tsndr.p99_ms_median);
  // The p99 goals are judged at a fixed offered rate (section 3g: open loop, below every
  // contender's capacity, where the tail is stalls and not queueing behind CPU, which the CPU
  // and throughput goals already judge); the saturated figures stay beside them.
  const fr = fixedRate?.contenders, frg = fr?.portcullis;
  const saturated = `saturated (wrk, ${tp.connections} connections, section 3): ${f(g.p99_vs_passthrough)}x (${f(g.p99_ms_median)} vs ${f(tc.passthrough.p99_ms_median)} ms; p99.9 ${f(g.p999_ms_median)} vs ${f(tc.passthrough.p999_ms_median)} ms)` +
    (fl ? `, the floor ${f(fl.p99_vs_passthrough)}x` : "");
  if (frg) {
    const frl = fr["floor-log"];
    goals.push({ goal: "gate p99 at most 1.25x pass-through's", met: frg.p99_vs_passthrough <= 1.25,
      measured: `at a fixed ${fixedRate.rate} req/s (open loop, section 3g; judged): ${f(frg.p99_vs_passthrough)}x (${f(frg.p99_ms_median)} vs ${f(fr.passthrough.p99_ms_median)} ms, median of per-round ratios over ${fixedRate.rounds} rounds, ${f(frg.p99_vs_passthrough_range[0])}x to ${f(frg.p99_vs_passthrough_range[1])}x; p99.9 of all rounds' requests ${f(frg.pooled_ms.p999)} vs ${f(fr.passthrough.pooled_ms.p999)} ms)` +
        (frl ? `; the floor (a workers-rs Worker that only forwards and logs) ${f(frl.p99_vs_passthrough)}x` : "") + `; ${saturated}` });
    const vs = fixedRate.portcullis_p99_vs ?? {};
    const js = ["jose", "tsndr"].filter((n) => vs[n]);
    goals.push({ goal: "gate p99 no worse than the JavaScript gates'", met: js.length > 0 && js.every((n) => vs[n].median <= 1.0),
      measured: `at a fixed ${fixedRate.rate} req/s (judged): the gate's p99 over ${js.map((n) => `${n}'s ${f(vs[n].median)}x (${f(vs[n].min)}x to ${f(vs[n].max)}x)`).join(", ")}, paired per round, medians; ` +
        `${js.map((n) => `${n} ${f(fr[n].p99_ms_median)} ms`).join(", ")}, Portcullis ${f(frg.p99_ms_median)} ms` +
        (js.some((n) => vs[n].min <= 1 && vs[n].max >= 1) ? " (where a range crosses 1.00x, not resolved either way on this machine)" : "") + `; saturated: Portcullis ${f(g.p99_ms_median)} ms, jose ${f(tc.jose.p99_ms_median)} ms, tsndr ${f(tc.tsndr.p99_ms_median)} ms` });
  } else {
    goals.push({ goal: "gate p99 at most 1.25x pass-through's", met: g.p99_vs_passthrough <= 1.25, measured: `${f(g.p99_vs_passthrough)}x (${f(g.p99_ms_median)} vs ${f(tc.passthrough.p99_ms_median)} ms; p99.9 ${f(g.p999_ms_median)} vs ${f(tc.passthrough.p999_ms_median)} ms)` +
      (fl ? floorNote(`${f(fl.p99_vs_passthrough)}x`, fl.p99_vs_passthrough <= 1.25) : "") });
    goals.push({ goal: "gate p99 no worse than the JavaScript gates'", met: g.p99_ms_median <= jsP99, measured: `Portcullis ${f(g.p99_ms_median)} ms, jose ${f(tc.jose.p99_ms_median)} ms, tsndr ${f(tc.tsndr.p99_ms_median)} ms` });
  }
  goals.push({ goal: "gate ahead of both JS gates", met: g.rps_vs_passthrough > tc.jose.rps_vs_passthrough && g.rps_vs_passthrough > tc.tsndr.rps_vs_passthrough,
    measured: `Portcullis ${f(g.rps_vs_passthrough)}x, jose ${f(tc.jose.rps_vs_passthrough)}x, tsndr ${f(tc.tsndr.rps_vs_passthrough)}x pass-through` });
  // Judged on the gate's own start with the objects script (the writer) already running, as a
  // deployment starts a gate isolate (portcullis-deployed); the all-local start, which also
  // loads and wakes the objects script as `make dev` does, is reported beside it. An older
  // run without that row is judged on the all-local start, as before.
  const st = tp.startup;
  const judged = st?.["portcullis-deployed"] ?? st?.portcullis;
  if (judged && st?.passthrough) goals.push({ goal: "start to first answer within 30 ms of pass-through", met: judged.ms_median - st.passthrough.ms_median <= 30,
    measured: (st["portcullis-deployed"] ? "gate isolate, writer running (as deployed): " : "") +
      `${f(judged.ms_median, 0)} vs ${f(st.passthrough.ms_median, 0)} ms (medians of ${judged.runs.length} alternated starts; ready ${f(judged.ready_ms_median, 0)} vs ${f(st.passthrough.ready_ms_median, 0)}, first request ${f(judged.first_request_ms_median, 0)} vs ${f(st.passthrough.first_request_ms_median, 0)})` +
      (st["portcullis-deployed"] && st.portcullis ? `; all local, objects script loaded and woken too (as \`make dev\`): ${f(st.portcullis.ms_median, 0)} ms` : "") +
      (st.floor ? floorNote(`${f(st.floor.ms_median, 0)} ms`, st.floor.ms_median - st.passthrough.ms_median <= 30) : "") +
      (st["first-load-deployed"] ? `; a JavaScript pass-through wired as deployed that makes only the platform calls of the gate's first revocation load (first-load-deployed) is ${f(st["first-load-deployed"].ms_median, 0)} ms (section 3 splits the gap by part)` : "") +
      firstLoadFloorNote(st) });
}
if (size.wasm) {
  goals.push({ goal: "Worker wasm at most 256 KB (262,144 B) gzip (issue 12's budget for the roadmap)", met: size.wasm.gzip <= 262_144, measured: `${size.wasm.gzip} bytes gzip (${kb(size.wasm.gzip)})` });
  goals.push({ goal: "Worker wasm at most 200 KB gzip (the earlier, tighter goal)", met: size.wasm.gzip <= 200_000, measured: `${size.wasm.gzip} bytes gzip` });
}

const L = [];
L.push(readFileSync(join(ROOT, "bench", "intro.md"), "utf8").trim(), "");
L.push("## Goals", "", "| goal | result | measured |", "|---|---|---|");
for (const g of goals) L.push(`| ${g.goal} | ${yes(g.met)} | ${g.measured} |`);
L.push("", "Why each goal came out as it did is discussed under each section, in \"Reading\".", "");

L.push("## Machine and versions", "");
L.push(`- ${machine.cpu}, ${machine.cores} cores, ${machine.memory_gib} GiB, ${machine.kernel}; run ${machine.date}, ${machine.run_seconds} s.`);
L.push(`- Load before: \`${machine.load_before}\``, `- Load after: \`${machine.load_after}\``);
L.push(`- ${Object.entries(versions).map(([k, v]) => `${k} ${v}`.replace(/^(\S+) \1 /, "$1 ")).join("; ")}.`, "");

L.push("## How to rerun", "", "```sh", "make bench                    # everything below, then this file and bench/results.json",
  "BENCH_QUICK=1 make bench      # a short smoke run of the whole pipeline",
  "BENCH_VARIANTS=1 make bench   # also (re)build the release-profile variants (slow)", "```", "",
  "The pieces, each runnable alone after `make build` (outputs JSON on stdout):", "", "```sh",
  "cargo build --profile bench-native -p portcullis-bench-native",
  "$CARGO_TARGET_DIR/bench-native/portcullis-bench-native --rounds 9 --iters 20000",
  "valgrind --tool=callgrind $CARGO_TARGET_DIR/bench-native/portcullis-bench-native --only portcullis --iters 2000",
  "cargo build --release --target wasm32-unknown-unknown -p portcullis-bench-wasm",
  "wasm-bindgen --target web --out-dir bench/wasm/pkg $CARGO_TARGET_DIR/wasm32-unknown-unknown/release/portcullis_bench_wasm.wasm",
  "node_modules/.bin/wasm-opt -O1 -s 2 --enable-{mutable-globals,sign-ext,nontrapping-float-to-int,bulk-memory,multivalue,reference-types,exception-handling} --debuginfo \\\n  bench/wasm/pkg/portcullis_bench_wasm_bg.wasm -o bench/wasm/pkg/portcullis_bench_wasm_bg.wasm   # as worker-build 0.8.7 does",
  "node bench/js/build.mjs && node bench/js/verify-bench.mjs --rounds 7 --batch-ms 200",
  "$CARGO_TARGET_DIR/bench-native/gate_path --rounds 7 --iters 20000     # the core's request path natively (--only STEP for a profiler)",
  "node bench/js/gate-path-bench.mjs --rounds 7 --batch-ms 150          # the same steps looped in the bench wasm, workerd and Node",
  "node bench/js/gate-path-profile.mjs --step all                       # where that path goes in V8 (names kept), self time per function",
  "node bench/js/throughput-bench.mjs --rounds 3 --seconds 10 --connections 4",
  "node bench/js/fixed-rate.mjs --rounds 5 --seconds 6 --rate 250     # the tail at a fixed offered rate (open loop; --only, PORTCULLIS_VARIANTS)",
  "node bench/js/stall-profile.mjs --contenders portcullis,floor-log,jose,passthrough --seconds 5   # GC pauses, busy stretches, JS bytes/request",
  "bench/tail-variants-build.sh    # bench-only builds without the private copy / the timeout signal / both, into bench/out/tail/",
  "node bench/js/cpu-profile.mjs --contenders portcullis,portcullis-denials-only,passthrough-log,passthrough --seconds 8",
  "bench/floor/build.sh           # the floor contenders (floor, floor-log) into bench/out/floor; the throughput bench runs them when built",
  "node bench/js/log-cost.mjs --rounds 5 --lines 2000",
  "bench/slope-build.sh && node bench/js/slope.mjs --rounds 3 --seconds 2   # the bench-repeat build, each piece's slope",
  "node bench/js/first-request-profile.mjs --contenders portcullis,portcullis-deployed,floor --runs 3",
  "# Starts alone (no throughput rounds), the gate all local and as deployed; A/B a start with portcullis-base-deployed:",
  "PORTCULLIS_BASE_BUILD=$PWD/bench/out/ab/old node bench/js/throughput-bench.mjs --rounds 0 --startup-runs 9 --only portcullis-deployed,portcullis-base-deployed",
  "PORTCULLIS_VARIANTS=a=$PWD/bench/out/ab/a,b=$PWD/bench/out/ab/b node bench/js/throughput-bench.mjs --rounds 0 --startup-runs 16 --only vd-a,vd-b   # more builds' deployed starts",
  "node bench/js/first-request-functions.mjs DIR   # the wasm functions a deployed isolate's first request reaches, and their bytes (DIR: a build with names)",
  "# A/B of a change, one run: copy build/ to bench/out/ab/<name> (under the worktree: workerd refuses paths above it), then",
  "PORTCULLIS_VARIANTS=old=bench/out/ab/old node bench/js/throughput-bench.mjs --only passthrough-log,portcullis,v-old",
  "node scripts/freshness.mjs --locations 4 --refresh-s 2 --feed-ttl-s 2 --runs 8 --idle-s 20   # and --refresh-s 1 --feed-ttl-s 1",
  "node bench/js/wasm-profile.mjs $CARGO_TARGET_DIR/wasm32-unknown-unknown/release/portcullis_worker.wasm",
  "VARIANTS=\"core-z core-3 core-2 core-s deps3\" bench/build-variants.sh && node bench/js/size-variants.mjs --flag-trials=-O3",
  "node bench/js/report.mjs", "```", "",
  "The bench crates (bench/native, bench/wasm) are Cargo projects of their own, so `cargo test` in the root never builds them.", "");

if (native) {
  L.push("## 1. Native verify", "");
  L.push(`One HS256 token of ${native.token_bytes} bytes (header alg/typ/kid; claims iss, sub, aud, scope, jti, iat, nbf, exp), every contender checking signature, alg = HS256, exp, nbf, iss and aud (Portcullis and jwt-simple also the lifetime / kid). ${native.rounds} rounds x ${native.iters_per_round} verifications, contenders rotated each round; times are medians, ratios the median of per-round ratios. A hand-rolled loop (std::hint::black_box) rather than criterion: criterion's dependency tree costs more to compile on this machine than the whole measurement.`, "");
  L.push("| contender | ns/verify (median) | time vs Portcullis | instructions/verify (callgrind) |", "|---|---:|---:|---:|");
  for (const c of native.contenders) L.push(`| ${c.name} | ${f(c.ns_per_op_median, 0)} | ${f(c.time_vs_portcullis)}x | ${ir ? ir[c.name]?.toLocaleString("en") ?? "" : ""} |`);
  L.push("", `Reading: Portcullis = ${f(nr.portcullis_over_hmac_prekeyed)}x the pre-keyed HMAC floor by the clock but ${irRatio ? f(irRatio) : "?"}x by instruction count. The gap is SHA-NI: natively sha2 uses the CPU's SHA extensions, so the HMAC itself costs a few hundred ns and the rest of a verify dominates: splitting, two base64url decodes and two JSON tokenisations (header and claims are read by typed serde visitors straight into their fields, checking duplicates and types, with no Value tree and no heap for header or tag); under valgrind (no SHA-NI) software SHA-256 is most of Portcullis's instructions. A 1.5x-of-HMAC target is reachable in the instruction metric only; by the clock it would need JSON tokenising itself to be nearly free. The JWT libraries pay the same structure costs less carefully (jsonwebtoken ${f(nr.jsonwebtoken_over_portcullis)}x, jwt-simple ${f(nr.jwt_simple_over_portcullis)}x Portcullis's time).`, "");
}

// Where the in-wasm verify goes: bench/wasm's verify_step_loop, each piece looped inside
// wasm in workerd (verify-bench.mjs --steps), alternated with the contenders above.
const VERIFY_STEP_WHAT = {
  split: "the length check and the three segments",
  header: "decode and read the protected header (JSON, duplicate and type checks); skipped when the key remembers the header",
  tag: "decode the signature and check the HMAC-SHA256 over the signing input (pre-keyed state, constant-time compare)",
  hmac: "of which the HMAC alone",
  claims: "decode the payload and read the claims",
  payload_b64: "of which the base64url decode",
  claims_json: "of which the JSON read into typed claims (duplicates, types, five strings)",
  alloc5: "for scale: five small strings made and dropped",
  check: "the claim rules (exp, nbf, iat, aud, iss, lifetime, sub/jti revocable)",
  all: "the whole verify (verify_loop)",
};
function verifySteps(contenders, when, tokenBytes) {
  const us = (k) => contenders[`verify:${k}`]?.us_per_verify;
  const all = us("all");
  const out = [`Where the verify goes inside wasm (${when}, workerd): each piece of one verify looped inside wasm on the bench token, alternated with the contenders above (bench/wasm \`verify_step_loop\`, \`verify-bench.mjs --steps\`). Pieces are timed apart, so they do not sum exactly to the whole: the whole also selects the key, builds the verified token (the header and key id copied) and drops it.`, "",
    "| piece | what | µs (median) | share of the whole verify |", "|---|---|---:|---:|"];
  for (const [k, what] of Object.entries(VERIFY_STEP_WHAT)) if (us(k) != null) out.push(`| ${k} | ${what} | ${f(us(k))} | ${f((100 * us(k)) / all, 0)}% |`);
  const crossing = contenders.portcullis.us_per_verify - contenders["portcullis-loop"].us_per_verify;
  out.push("", `Reading: of the ${f(contenders.portcullis.us_per_verify)} µs a verify called from JS costs, ${f(crossing)} µs is the call itself (wasm-bindgen's glue copies the ${tokenBytes ?? "?"}-byte token into wasm memory a character at a time after a malloc, and the shim frees it; the gate pays the same copy when it reads the Authorization header), and ${f(all)} µs the verify in wasm: the HMAC ${f(us("hmac"))} µs (${f((100 * us("hmac")) / all, 0)}%, portable SHA-256: wasm has no SHA instructions), reading the claims ${f(us("claims"))} µs (the base64url decode ${f(us("payload_b64"))}, the JSON ${f(us("claims_json"))}), the header ${f(us("header"))} µs when it is parsed, the rest (split, claim rules) under 0.2 µs. Allocation is not where it goes: five small strings cost ${f(us("alloc5"))} µs.`, "");
  return out;
}

// Every one-off A/B measurement kept as data (bench/ab/*.json: { title, command, reading,
// result, optional kind }), in run order (2026-11-30-9 before 2026-11-30-12), read once.
const abDir = join(ROOT, "bench", "ab");
const abAll = existsSync(abDir) ? readdirSync(abDir).filter((n) => n.endsWith(".json")).sort((a, b) => a.localeCompare(b, "en", { numeric: true })).map((n) => ({ file: n, ...JSON.parse(readFileSync(join(abDir, n), "utf8")) })) : [];
/** The latest bench/ab run of this kind, if any. */
const readAb = (kind) => abAll.findLast((ab) => ab.kind === kind) ?? null;

// The verify before and after issue 12's cut (bench/ab, kind "verify"): the old build's bench
// wasm as extra contenders (verify-bench.mjs --base), all alternated in one workerd run.
function verifyBeforeAfter(ab, withSteps) {
  const h = ab.result.hosts.find((x) => x.host === "workerd");
  const c = h.contenders, r = h.ratios;
  const out = [`**Before and after** (${ab.title}; bench/ab/${ab.file}; \`${ab.command}\`)`, "",
    "| contender | µs/verify (median) | vs crypto.subtle.verify (per-round ratio, median) |", "|---|---:|---:|"];
  const vsSubtle = (n) => median(c[n].rounds.map((x, i) => x / c.subtle.rounds[i]));
  for (const n of ["base", "base-loop", "portcullis", "portcullis-loop", "subtle", "jose"]) if (c[n]) out.push(`| ${ab.contenders?.[n] ?? n} | ${f(c[n].us_per_verify)} | ${f(vsSubtle(n))}x |`);
  out.push("", ab.reading.replace("{after}", f(r.portcullis_over_base)).replace("{after_loop}", f(r.portcullis_loop_over_base_loop)).replace("{vs_subtle}", f(r.portcullis_over_subtle)).replace("{base_vs_subtle}", f(r.base_over_subtle)), "");
  if (withSteps && c["verify:all"]) out.push(...verifySteps(c, "after, the same run", ab.result.token_bytes));
  return out;
}

if (verify) {
  L.push("## 2. Verify inside V8 (workerd and Node)", "");
  L.push("The Portcullis core compiled to wasm by a small wasm-bindgen crate (bench/wasm: `setup(jwks, iss, aud, max_ttl)`, `verify(token, now)`, `verify_loop(token, n, now)`), `--target web` glue, then `wasm-opt -O1 -s 2` as worker-build does with the Worker's metadata, loaded in workerd (Miniflare, CompiledWasm module) and in Node from the same file. Contenders: Portcullis called once per token from JS (the token crosses the boundary, as in the gate); Portcullis looping inside wasm; jose `jwtVerify`; @tsndr/cloudflare-worker-jwt `verify` + iss/aud checks; bare `crypto.subtle.verify` (HMAC, key pre-imported) over the signing input. All JS contenders get a pre-imported CryptoKey (their best case). Each contender must accept the token and refuse it with one signature byte changed before timing starts.", "");
  L.push("Timing in workerd: its clock is frozen while JS runs and only moves at I/O, so a loop cannot time itself. The driver sends one request per batch (batch sized to ~" + verify.batch_ms + " ms) and times it from Node, minus the median of three empty requests just before; the worker also reads `performance.now()` before the batch and after an awaited `setTimeout(0)` that follows it (a timer event advances the clock), reported as a cross-check (1 ms resolution).", "");
  for (const h of verify.hosts) {
    L.push(`**${h.host}** (${verify.rounds} rounds)`, "", "| contender | µs/verify (median) | in-worker clock µs | time vs Portcullis |", "|---|---:|---:|---:|");
    for (const [n, c] of Object.entries(h.contenders)) if (!n.startsWith("verify:")) L.push(`| ${n} | ${f(c.us_per_verify)} | ${f(c.us_per_verify_inner_clock)} | ${f(c.time_vs_portcullis)}x |`);
    L.push("");
  }
  if (wd?.contenders["verify:all"]) L.push(...verifySteps(wd.contenders, "this run", verify.token_bytes));
  const verifyAb = readAb("verify");
  if (verifyAb) L.push(...verifyBeforeAfter(verifyAb, !wd?.contenders["verify:all"]));
  const nd = verify.hosts.find((h) => h.host === "node");
  L.push(`Reading: in workerd, jose takes ${f(wd.ratios.jose_over_portcullis)}x and crypto.subtle.verify ${f(wd.ratios.subtle_over_portcullis)}x Portcullis's time. workerd's crypto.subtle is native BoringSSL with SHA-NI and a cheap binding, while the wasm has to do SHA-256 in portable code (wasm has no SHA instructions), so "no slower than crypto.subtle.verify" means the whole JWT verify in wasm must cost no more than one native HMAC call; ${wd.ratios.subtle_over_portcullis >= 1 ? "this run meets it, by a thin margin: the subtle call pays its promise, its binding and the JS that splits and decodes the token, and its time moves between runs on this shared machine more than the wasm's does, so the ratio can land on either side of 1.00x from run to run (the before-and-after run below, and section 2's pieces, show where the wasm's time goes)" : "that is not reached in this run (the ratio moves with the machine: subtle's own time varies between runs more than the wasm's)"}. jose's overhead over bare subtle (JSON, base64, claim checks in JS, promises) is smaller than the 4x goal assumed. In Node, crypto.subtle is much slower (${nd ? f(nd.contenders.subtle.us_per_verify) : "?"} µs: its WebCrypto goes through an async job per call), which is why the Node ratios look so different from workerd's: the same V8, different host crypto.`, "");
}

// The core's whole per-request path (bench/gate-path): natively and looped inside wasm.
const gpNative = read("gate-path-native.json");
const gatePath = read("gate-path.json");
if (gatePath) {
  const nat = gpNative?.us_per_step_median ?? {};
  const wd = gatePath.hosts.workerd, nd = gatePath.hosts.node;
  L.push("## 2a. The core's request path inside workerd", "");
  L.push(`Everything the Worker asks the core for on an allowed \`GET /orders/1\` with a Bearer token, as its fetch handler does it, step by step over one fixture (bench/gate-path, shared by the native and the wasm bench): *route* (URL split, path normalization, admin-prefix and loop checks, head hygiene, the route table), *verify* (the strict verify alone; it is also inside authorize), *authorize* (verify, the revocation lookup in a ${"1,000"}-entry compact list, scopes, the binding check), *identity* (the identity headers and the HS256 origin assertion), *hop_marker* (the loop marker's HMAC), *header_plan* (the outbound header plan and the lists handed to JS, the credential and private-response headers), *audit_line* (the principal, the record and its JSON line), and *all* (every step but the lone verify, in a row, each using what the one before produced). Natively: bench/native's \`gate_path\` (opt-level 3, ${gpNative?.rounds ?? "?"} rounds x ${gpNative?.iters ?? "?"}, steps alternated, medians). In V8: the bench wasm's \`gate_loop(step, n)\` (the Worker's release profile, \`wasm-opt -O1 -s 2\` as in section 2; the Worker's extra dead-argument and duplicate-function passes measured the same, 23.1 against 23.2 µs in one alternated run), batched as section 2 times \`verify_loop\` (${gatePath.rounds} rounds, ~${gatePath.batch_ms} ms batches, steps alternated, minus an empty batch), and timed by the CPU time the batch cost the process that ran it (workerd's threads from /proc/<pid>/task/*/schedstat, Node's process.cpuUsage()): on this shared machine a batch's wall time stretches with the other jobs' load (several-fold at a load average of 8) while its CPU time does not; the wall-clock figure is kept beside it. No JS boundary is crossed inside a batch: this is the Rust work alone.`, "");
  L.push("| step | native µs | workerd µs (CPU) | Node µs (CPU) | workerd / native | Node / native | workerd µs (wall) |", "|---|---:|---:|---:|---:|---:|---:|");
  for (const st of gatePath.steps) {
    const n = nat[st], w = wd?.[st]?.cpu_us, o = nd?.[st]?.cpu_us;
    L.push(`| ${st === "all" ? "**all**" : st} | ${f(n)} | ${f(w)} | ${f(o)} | ${n ? f(w / n, 1) + "x" : ""} | ${n ? f(o / n, 1) + "x" : ""} | ${f(wd?.[st]?.us)} |`);
  }
  const allW = wd?.all?.cpu_us, allN = nat.all;
  const parts = gatePath.steps.filter((x) => x !== "all" && x !== "verify").map((x) => [x, wd?.[x]?.cpu_us ?? 0]).sort((a, b) => b[1] - a[1]);
  const tcp = tp?.contenders;
  const overFloor = tcp?.portcullis && tcp["floor-log"] ? tcp.portcullis.workerd_cpu_us_per_req_median - tcp["floor-log"].workerd_cpu_us_per_req_median : null;
  L.push("", `Reading: the core's whole per-request path costs **${f(allW, 1)} µs in workerd**, ${allN ? f(allW / allN, 1) + "x" : "?"} the native ${f(allN, 1)} µs (wasm32 has no SHA extensions and this build no SIMD, so SHA-256 runs in portable code; the heap is the wasm's dlmalloc). Its largest steps in workerd: ${parts.slice(0, 3).map(([x, v]) => `${x} ${f(v, 1)} µs`).join(", ")}. ${overFloor != null ? `The gate costs ${f(overFloor, 0)} µs of workerd CPU per request over floor-log in section 3's run, so the core's logic is ${f((100 * allW) / overFloor, 0)}% of it` : "Against the gate's cost over floor-log (section 3)"}: the V8 profile's "wasm" bucket (section 3a) holds the calls into and out of wasm, the async executor and glue around the core, not mainly the core's logic.`, "");
}

if (tp) {
  L.push("## 3. Throughput, CPU and latency tail through workerd", "");
  L.push(`Each contender runs in its own workerd (Miniflare's server, not wrangler dev) in front of one origin (bench/js/origin.mjs: Node http on 127.0.0.1 answering 200 "ok", in its own process). wrk, ${tp.rounds} rounds x ${tp.seconds} s x ${tp.connections} connections per contender, order rotated per round, after one unrecorded warm-up run each; \`GET /orders/1\` with a valid Bearer token. Contenders: **passthrough** (forwards, no auth: the limit); **passthrough-log** (the same, plus one console.log of a JSON line with the gate's audit fields for an allowed request: what logging costs the platform); **portcullis** (build/, configured by bindings: HS256 key ring, issuer, audience, route \`GET /orders/*\` needing \`orders:read\`; it verifies, checks the isolate's revocation snapshot, plans the forwarded headers, adds identity headers, an HS256 origin assertion and the loop marker, marks the credentialed response private, and writes the audit line, default setting); **portcullis-public** (the same instance on \`GET /health\`, a public route: no token, no identity headers, no private marking); **portcullis-denials-only** (the same build, \`PORTCULLIS_AUDIT_ALLOWED_ONE_IN=0\`: denials and security events only); jose and @tsndr gates (verify, scope check, KV get of \`rev/<jti>\`, forward). Every response must be 2xx or the run fails.`, "");
  L.push("| contender | req/s (median) | vs pass-through | vs pass-through-with-log | workerd CPU µs/req | CPU over pass-through-with-log | p50 ms | p99 ms | p99.9 ms | p99 vs pass-through | KV reads / 1,000 req | start to first answer (ms) |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const [n, c] of Object.entries(tc)) L.push(`| ${n} | ${f(c.rps_median, 0)} | ${f(c.rps_vs_passthrough)}x | ${c.rps_vs_passthrough_log == null ? "" : f(c.rps_vs_passthrough_log) + "x"} | ${f(c.workerd_cpu_us_per_req_median, 0)} | ${c.cpu_us_over_passthrough_log == null ? "" : (c.cpu_us_over_passthrough_log >= 0 ? "+" : "") + f(c.cpu_us_over_passthrough_log, 0)} | ${f(c.p50_ms_median)} | ${f(c.p99_ms_median)} | ${f(c.p999_ms_median)} | ${f(c.p99_vs_passthrough)}x | ${f(c.kv_reads_per_1000, 3)} | ${f(tp.startup[n]?.ms_median, 0)} |`);
  const pl = tc["passthrough-log"], den = tc["portcullis-denials-only"], pub = tc["portcullis-public"], g = tc.portcullis;
  L.push("", "How to read it. workerd CPU is the user + system time of the contender's workerd processes over the round (/proc, 10 ms ticks) divided by the requests served: it is disturbed far less by the other processes on the machine than req/s, and it is what a Worker is billed for. All contenders share 2 cores with wrk and the origin, so req/s falls roughly with CPU per request. Percentiles are wrk's (p99.9 and max through a Lua `done` hook, bench/js/latency.lua), medians over rounds; at 4 connections and ~1-2k req/s a 10 s round holds 10-20k requests, so p99.9 rests on 10-20 of them.", "");
  const logCost = pl ? pl.workerd_cpu_us_per_req_median - tc.passthrough.workerd_cpu_us_per_req_median : 0;
  if (pl) L.push(`Reading, logging: the same line costs the platform ${logCost < 15 ? `nothing measurable (${f(logCost, 0)} µs of workerd CPU per request, within this run's noise; ` : `${f(logCost, 0)} µs of workerd CPU per request (`}pass-through-with-log against pass-through, ${f(pl.rps_vs_passthrough)}x its throughput). Whatever it is, workerd's console.log in this local set-up (stdout piped to Miniflare, which drains it) is paid by any Worker that logs one line per request, JavaScript or Rust; section 3d measures one line directly (a few µs), and the gate's own line is the difference between the portcullis and portcullis-denials-only rows${tc["floor-log"] ? " (a Rust Worker's, between floor-log and floor)" : ""}.`, "");
  L.push(`Reading, the gate: on top of that, Portcullis adds ${f(g.cpu_us_over_passthrough_log, 0)} µs per request (${f(g.rps_vs_passthrough_log)}x pass-through-with-log)` +
    (den ? `; with allowed requests unlogged it runs at ${f(den.workerd_cpu_us_per_req_median, 0)} µs/request, ${f(den.rps_vs_passthrough)}x bare pass-through` : "") +
    (pub ? `; on the public route (no verify, no identity headers, no private copy of the response) ${f(pub.cpu_us_over_passthrough_log, 0)} µs over pass-through-with-log` : "") +
    `. The JS gates each do a KV get per request (${f(tc.jose.kv_reads_per_1000, 0)} per 1,000), cheap locally (in-process KV) but billed and slower in production; Portcullis reads KV ${f(g.kv_reads_per_1000, 3)} times per 1,000 requests (its isolate's revocation snapshot, refreshed every 10 s in the background).`, "");
  L.push(`Reading, the tail: Portcullis's p99 is ${f(g.p99_vs_passthrough)}x pass-through's in the same rounds (p99.9 ${f(g.p999_ms_median)} ms against ${f(tc.passthrough.p999_ms_median)} ms), jose's ${f(tc.jose.p99_vs_passthrough)}x, tsndr's ${f(tc.tsndr.p99_vs_passthrough)}x. See "The latency tail" below for what stalled the gate before and what was changed.`, "");
  const fb = tc.floor, fl = tc["floor-log"];
  if (fb && fl) L.push(`Reading, the floor: **floor** and **floor-log** (bench/floor, built by bench/floor/build.sh with the gate's worker-build, wasm-bindgen, wasm-opt and release profile) are workers-rs Workers with the gate's glue pattern (the runtime's Request in and Response out, \`web_sys\`, \`JsFuture\`) that only forward, floor-log also writing the audit line (serde_json, one console.log). What they cost over the JavaScript pass-throughs is what any Rust Worker on workers-rs pays here: floor ${f(fb.rps_vs_passthrough)}x pass-through's throughput (${fb.cpu_us_over_passthrough_log >= 0 ? "+" : ""}${f(fb.cpu_us_over_passthrough_log, 0)} µs over pass-through-with-log), floor-log ${f(fl.rps_vs_passthrough_log)}x pass-through-with-log's (${fl.cpu_us_over_passthrough_log >= 0 ? "+" : ""}${f(fl.cpu_us_over_passthrough_log, 0)} µs), p99 ${f(fl.p99_vs_passthrough)}x pass-through's. The gate's own logic (verify, revocation, routing, header plan, two more HMACs, identity headers, private marking) is what it costs over floor-log: ${f(g.workerd_cpu_us_per_req_median - fl.workerd_cpu_us_per_req_median, 0)} µs per request, ${f(g.rps_median / fl.rps_median)}x floor-log's throughput.`, "");
  const starts = Object.entries(tp.startup).filter(([, v]) => v.ready_ms_median != null);
  if (starts.length) {
    // A start-only run merged into an earlier full run's throughput.json says so.
    if (tp.startup_note) L.push(`Start figures: ${tp.startup_note}; the rest of this section is the full run's.`, "");
    L.push("Where start-to-first-answer goes: *ready* is `new Miniflare(...)` to `mf.ready` (workerd spawned and listening, the module loaded and its wasm compiled); *first request* is the rest, to the first answer (whatever instantiation was left lazy, first-request init: settings, key ring, routes, the first revocation snapshot; and one origin fetch). Medians of the same starts as the table.", "");
    L.push("| contender | ready ms | first request ms | start to first answer ms | over pass-through ms | workerd CPU to ready ms | Miniflare (Node) CPU to ready ms | workerd CPU, first request ms | wasm gzip bytes |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    const wasmGz = { portcullis: size.wasm?.gzip, "portcullis-deployed": size.wasm?.gzip, "portcullis-denials-only": size.wasm?.gzip, floor: tp.floor_wasm_gzip, "floor-log": tp.floor_wasm_gzip, "floor-first-load-deployed": tp.floor_first_load_wasm_gzip };
    const objGz = sizeObjects?.wasm?.gzip;
    const pass = tp.startup.passthrough?.ms_median;
    for (const [n, v] of starts) L.push(`| ${n} | ${f(v.ready_ms_median, 0)} | ${f(v.first_request_ms_median, 0)} | ${f(v.ms_median, 0)} | ${pass == null ? "" : (v.ms_median >= pass ? "+" : "") + f(v.ms_median - pass, 0)} | ${v.ready_cpu_ms_median == null ? "" : f(v.ready_cpu_ms_median, 1)} | ${v.ready_node_cpu_ms_median == null ? "" : f(v.ready_node_cpu_ms_median, 1)} | ${v.first_request_cpu_ms_median == null ? "" : f(v.first_request_cpu_ms_median, 1)} | ${wasmGz[n] ?? ""}${(n === "portcullis" || n === "portcullis-denials-only") && objGz ? ` + ${objGz} (objects)` : ""} |`);
    L.push("");
    const dep = tp.startup["portcullis-deployed"], all = tp.startup.portcullis;
    if (dep && all) L.push(`Two starts of the gate. **portcullis** is the start \`make dev\` and the e2e tests pay: one workerd loads both scripts (the gate's wasm and the objects script's, a second ${objGz ?? "?"} B gzip wasm of Durable Object classes), and the first request's revocation load wakes the writer Durable Object (its SQLite storage, its first publication) inside the timed start. **portcullis-deployed** is the start a deployment pays for a new gate isolate: the objects script runs in its own workerd, started and its writer woken by one feed request *before* the clock starts (in production the Durable Objects run in their own isolates, already warm because they serve every location); the gate starts alone and reaches the writer across processes through Miniflare's dev registry (\`unsafeDevRegistryPath\`: a file per worker, calls over workerd's debug port) and shares its KV store on disk (\`kvPersist\`), as the two scripts share the REVOCATIONS namespace (bench/js/gates.mjs, \`startObjects\`). Its first request still does the gate's whole first-request work: settings, key ring and routes, the location's feed (a Cache API miss, then a call to the writer) and the KV snapshot, read at once, the verify, the identity assertion, the origin fetch. The goal is judged on portcullis-deployed (${f(dep.ms_median, 0)} ms, ${dep.ms_median - pass >= 0 ? "+" : ""}${f(dep.ms_median - pass, 0)} ms over pass-through); the all-local start stays reported (${f(all.ms_median, 0)} ms, ${all.ms_median - pass >= 0 ? "+" : ""}${f(all.ms_median - pass, 0)} ms). The cross-process hop is Miniflare's simulation (an extra proxy Durable Object and a debug-port connection), which counts against the gate; in production the writer call is a network round trip to the writer's location instead, which the first load now overlaps with the KV read.`, "");
    const fl = tp.startup["first-load-deployed"], ps = tp.startup.passthrough;
    if (dep && fl && ps && dep.ready_cpu_ms_median != null) {
      const d = (a, b, k) => { const x = a[k] - b[k]; return `${x >= 0 ? "+" : ""}${f(x, k.includes("cpu") ? 1 : 0)}`; };
      L.push(`The deployed start's gap over pass-through, by part. **first-load-deployed** is a JavaScript pass-through wired exactly as portcullis-deployed (the dev registry to the running writer, the shared KV store) whose first request first makes the platform calls of the gate's first revocation load and nothing else: the Cache API open and miss, the writer's feed through its Durable Object binding at once with the KV manifest read, the feed put in the cache after the answer (bench/js/gate-workers.mjs, MODE first-load). *CPU* is the time on a CPU of the contender's own workerd, all threads (/proc/<pid>/task/*/schedstat; the objects script's workerd is not counted), which on this shared machine is far steadier than wall time (its runs spread by a few ms where wall time spreads by tens). So:`, "",
        `- *ready*, the gate's script: ${d(dep, fl, "ready_ms_median")} ms over first-load-deployed, whose wiring is the gate's (that wiring, the dev registry and the shared KV store, is itself ${d(fl, ps, "ready_ms_median")} ms over pass-through, ${d(fl, ps, "ready_cpu_ms_median")} ms of workerd CPU and ${d(fl, ps, "ready_node_cpu_ms_median")} ms of Miniflare's). Of the gate's ${d(dep, fl, "ready_ms_median")} ms, workerd's CPU is ${d(dep, fl, "ready_cpu_ms_median")} ms (decoding and validating the ${size.wasm ? f(size.wasm.raw / 1024, 0) + " KB" : ""} wasm module, instantiating it, running the glue) and Miniflare's, in the Node process, ${dep.ready_node_cpu_ms_median == null ? "?" : d(dep, fl, "ready_node_cpu_ms_median")} ms: a Node CPU profile of these starts (\`node --cpu-prof\`) puts it in \`serializeConfig\` (capnp-es allocating segments for the config, which embeds the script and its wasm: 347 ms over the 8 Miniflare starts of 4 gate starts and their objects scripts in one profile) and in the acorn parse of index.js that locates its modules. That part is the local harness's, not the Worker's: a deployment uploads the script once.`,
        `- *first request*, the platform's calls: first-load-deployed is ${d(fl, ps, "first_request_ms_median")} ms (${d(fl, ps, "first_request_cpu_ms_median")} ms CPU) over pass-through. This is Miniflare's local Cache API, KV and cross-process Durable Object proxy starting inside the gate's workerd; any Worker that makes these calls on its first request pays it here, the gate's code aside.`,
        `- *first request*, the gate's own code: portcullis-deployed is ${d(dep, fl, "first_request_ms_median")} ms (${d(dep, fl, "first_request_cpu_ms_median")} ms CPU) over first-load-deployed: V8 compiling each wasm function on its first call and the glue's first calls (section 3e), then running the settings, routes, key ring, verify, compact-list decode, identity assertion and audit line once.`);
      const ffl = tp.startup["floor-first-load-deployed"];
      if (ffl) L.push(`- *the floor making the same calls*: **floor-first-load-deployed** is the workers-rs floor (bench/floor, cargo feature \`first-load\`) wired as first-load-deployed, its Rust handler awaiting, once per isolate, a JavaScript helper (wasm-bindgen \`inline_js\`) that makes the same calls; each start checks that the feed came from the writer, the manifest was read and the put landed in the cache. Its start is ${d(ffl, ps, "ms_median")} ms over pass-through (ready ${d(ffl, ps, "ready_ms_median")}, ${d(ffl, ps, "ready_cpu_ms_median")} ms CPU; first request ${d(ffl, ps, "first_request_ms_median")}, ${d(ffl, ps, "first_request_cpu_ms_median")} ms CPU): the least any workers-rs Worker that must load a list on its first request pays here. The gate is ${d(dep, ffl, "ms_median")} ms over it (first request ${d(dep, ffl, "first_request_ms_median")} ms, ${d(dep, ffl, "first_request_cpu_ms_median")} ms CPU).`);
      L.push("");
    }
    const perRun = starts.filter(([, v]) => v.first_request_runs);
    if (perRun.length) L.push(`First requests run by run (ms), to judge the noise: ${perRun.map(([n, v]) => `${n} ${v.first_request_runs.map((x) => f(x, 0)).join(", ")}`).join("; ")}.`, "");
  }
  L.push("KV reads: Portcullis's from `GET /_portcullis/stats` (the gate's own counters, before and after the timed rounds); the JS gates count theirs in the worker (`GET /_bench/stats`). portcullis-public shares the gate's isolate, so its row repeats the gate's figure (reads over both rows' requests). Startup: from `new Miniflare(...)` (spawning workerd, loading the module, compiling the wasm) to the first 200 answer to a real request, medians of " + (tp.startup.passthrough?.runs.length ?? "?") + " alternated starts; most of it is workerd's own start, so compare with pass-through.", "");
}

// Section 3g: the tail at a fixed offered rate, and what the isolate does in it.
const fixedRateTable = (fx, what = {}) => {
  const rows = ["| contender | what it is | workerd CPU µs/req | p50 ms | p99 ms | p99 vs pass-through (range) | p99.9 ms | pooled p99 / p99.9 / max ms | p99 as wrk would count it |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|"];
  for (const [n, c] of Object.entries(fx.contenders)) rows.push(`| ${n} | ${what[n] ?? ""} | ${f(c.workerd_cpu_us_per_req_median, 0)} | ${f(c.p50_ms_median)} | ${f(c.p99_ms_median)} | ${f(c.p99_vs_passthrough)}x (${f(c.p99_vs_passthrough_range[0])} to ${f(c.p99_vs_passthrough_range[1])}) | ${f(c.p999_ms_median)} | ${f(c.pooled_ms.p99)} / ${f(c.pooled_ms.p999)} / ${f(c.pooled_ms.max)} | ${f(c.uncorrected_p99_ms_median)} |`);
  return rows;
};
if (fixedRate) {
  L.push("## 3g. The latency tail at a fixed offered rate (open loop)", "");
  L.push(`Section 3's wrk keeps 4 connections busy back to back (a closed loop at saturation): each contender's p99 there is mostly its requests queueing behind its own CPU on 2 cores shared with wrk and the origin, so it follows CPU per request, which the CPU and throughput goals already judge. Here every contender gets the **same ${fixedRate.rate} requests per second**, well below the slowest contender's capacity (section 3: tsndr ~400-600 req/s saturated), sent on a fixed schedule whatever the answers do (bench/js/open-loop.mjs, its own Node process, undici, up to ${fixedRate.connections} connections); latency is counted from each request's *intended* send time, so a stall also counts against every request scheduled behind it (no coordinated omission; the last column is the same requests timed from when they were written, as wrk counts). ${fixedRate.rounds} rounds x ${fixedRate.seconds} s per contender (after a 1 s unrecorded warm-up each), order rotated per round, bench/js/fixed-rate.mjs; per-round figures are medians over rounds, ratios are taken within a round and then the median; the pooled column puts every round's requests together (${Object.values(fixedRate.contenders)[0].requests} per contender, so p99.9 rests on ~${Math.round(Object.values(fixedRate.contenders)[0].requests / 1000)} requests). **The p99 goals are judged on this table** (the goals table says so and gives the saturated figures beside): a gate's p99 goal is about the latency it adds to a request, which a fixed rate below capacity isolates, and the generator's own send lag (p99 ~1-2 ms here) is the same for every contender.`, "");
  if (fixedRate.rerun?.length) L.push(`Rounds run again because a request failed (a refused or reset connection, or a non-2xx; at most twice, then the bench stops): ${fixedRate.rerun.map((x) => `${x.contender} in round ${x.round} (${x.errors} errors, ${x.non_2xx} non-2xx)`).join("; ")}. The failed attempt is not in the figures.`, "");
  L.push(...fixedRateTable(fixedRate, { passthrough: "JavaScript, no auth", "floor-log": "workers-rs, only forwards, writes the audit line", portcullis: "the gate, default settings", jose: "JavaScript jose gate with a KV get per request", tsndr: "JavaScript @tsndr gate with a KV get per request" }), "");
  const vs = fixedRate.portcullis_p99_vs ?? {};
  const g = fixedRate.contenders.portcullis, p = fixedRate.contenders.passthrough;
  if (g) L.push(`Reading: at ${fixedRate.rate} req/s the gate's p99 is ${f(g.p99_vs_passthrough)}x pass-through's and ${Object.entries(vs).map(([n, v]) => `${f(v.median)}x ${n}'s (${f(v.min)} to ${f(v.max)})`).join(", ")}, paired per round (medians; a range that crosses 1.00 is not resolved either way on this machine). Its p50 is ${f(g.p50_ms_median - p.p50_ms_median, 2)} ms above pass-through's and its p99 ${f(g.p99_ms_median - p.p99_ms_median, 1)} ms; at this rate its workerd is busy ${f((fixedRate.rate * g.workerd_cpu_us_per_req_median) / 1e4, 0)}% of a core (${f(g.workerd_cpu_us_per_req_median, 0)} µs per request) against pass-through's ${f((fixedRate.rate * p.workerd_cpu_us_per_req_median) / 1e4, 0)}%, on 2 cores shared with the generator, the origin and the other contenders' idle workerds. The stall profile below and section 3b's runs 12-14 look for a stall beyond that.`, "");
}
if (stallProf) {
  L.push("### What the isolate does at that rate: GC pauses, busy stretches, garbage per request", "");
  L.push(`bench/js/stall-profile.mjs loads each contender at the same fixed rate (${stallProf.rate} req/s, ${stallProf.seconds} s) under a V8 CPU profile through the inspector (every ${stallProf.interval_us} µs) and reads it as a timeline: each **GC pause** is a run of consecutive "(garbage collector)" samples; each **busy stretch** a run of samples that are not idle (V8 takes no sample while workerd's thread waits outside the isolate, so a gap longer than 3 intervals ends a stretch): a stretch is the time the isolate held every request behind it. Then a second run under V8's sampling heap profiler, keeping what the GC has already collected (\`includeObjectsCollectedByMinorGC/MajorGC\`): the **JS bytes allocated per request**, the garbage a request leaves. The inspector makes console.log dearer (section 3d), so the logging contenders' latency here is above section 3g's; compare within this table.`, "");
  L.push("| contender | p99 ms (profiled) | GC pauses / 1,000 req | GC µs/req | GC pause p99 / max ms | busy stretches over 5 ms / 10 ms | longest stretch ms: what | JS allocated bytes/req |", "|---|---:|---:|---:|---:|---:|---|---:|");
  for (const [n, c] of Object.entries(stallProf.contenders)) {
    const top = c.busy.longest[0];
    L.push(`| ${n} | ${f(c.latency_ms.p99)} | ${f(c.gc.pauses_per_1000_req, 1)} | ${f(c.gc.us_per_req, 1)} | ${f(c.gc.pause_ms.p99)} / ${f(c.gc.pause_ms.max)} | ${c.busy.over_5ms} / ${c.busy.over_10ms} | ${top ? `${f(top.ms)}: ${top.doing.slice(0, 2).join("; ").replace(/\|/g, "\\|")}` : ""} | ${c.allocated?.bytes_per_req ?? "n/a"} |`);
  }
  const sg = stallProf.contenders.portcullis;
  if (sg?.allocated?.top) L.push("", `Where the gate's JS allocations come from (bytes per request, by allocating function; minified glue names are wasm-bindgen's): ${Object.entries(sg.allocated.top).map(([fn, b]) => `\`${fn}\` ${b}`).join(", ")}.`);
  L.push("", STALL_READING, "");
}

if (cpuProf) {
  L.push("## 3a. Where the gate's CPU goes (V8 CPU profile of workerd)", "");
  L.push(`bench/js/cpu-profile.mjs starts each contender with Miniflare's \`inspectorPort\`, connects to workerd's V8 inspector, and records a CPU profile (sampling every ${cpuProf.interval_us} µs) while wrk loads it for ${cpuProf.seconds} s; self time is summed per function and per bucket and divided by the requests served. The sampler only sees the isolate's thread (JS, wasm, and the native API calls made from it: console.log, fetch, Headers); workerd's own I/O threads, HTTP parsing and the subrequest's network work are outside it, so the profiled µs/request is below the /proc CPU of section 3. Profiling slows everything, so read the figures against each other, within this run.`, "");
  const names = Object.keys(cpuProf.contenders);
  const buckets = [...new Set(names.flatMap((n) => Object.keys(cpuProf.contenders[n].buckets)))].filter((b) => b !== "(idle)");
  buckets.sort((a, b) => (cpuProf.contenders[names[0]].buckets[b] ?? 0) - (cpuProf.contenders[names[0]].buckets[a] ?? 0));
  L.push(`| bucket (µs/request, self time) | ${names.join(" | ")} |`, `|---|${names.map(() => "---:").join("|")}|`);
  for (const b of buckets) L.push(`| ${b} | ${names.map((n) => f(cpuProf.contenders[n].buckets[b] ?? 0)).join(" | ")} |`);
  L.push(`| **profiled total** | ${names.map((n) => `**${f(cpuProf.contenders[n].profiled_us_per_req, 1)}**`).join(" | ")} |`, "");
  // Item by item: what the gate (allowed line off, so the inspector's console cost is out)
  // spends over pass-through, per bucket.
  const gate = cpuProf.contenders["portcullis-denials-only"] ?? cpuProf.contenders.portcullis, pass = cpuProf.contenders.passthrough;
  if (gate && pass) {
    const diff = buckets.map((b) => [b, (gate.buckets[b] ?? 0) - (pass.buckets[b] ?? 0)]).filter(([, d]) => Math.abs(d) >= 1).sort((x, y) => y[1] - x[1]);
    const total = gate.profiled_us_per_req - pass.profiled_us_per_req;
    L.push(`Item by item, what the gate (${cpuProf.contenders["portcullis-denials-only"] ? "portcullis-denials-only: the allowed line off, so the inspector's own console cost stays out" : "portcullis"}) spends over bare pass-through under the profiler, ${f(total, 0)} µs/request in all: ` +
      diff.map(([b, d]) => `${b} ${d >= 0 ? "+" : ""}${f(d, 0)} (${f((100 * d) / total, 0)}%)`).join("; ") + ".", "");
    const fl = cpuProf.contenders["floor-log"], gl = cpuProf.contenders.portcullis;
    if (fl && gl) {
      const d2 = buckets.map((b) => [b, (gl.buckets[b] ?? 0) - (fl.buckets[b] ?? 0)]).filter(([, d]) => Math.abs(d) >= 1).sort((x, y) => y[1] - x[1]);
      L.push(`Against the floor instead (portcullis over floor-log, both writing the line, so what remains is the gate's own logic and its platform calls), ${f(gl.profiled_us_per_req - fl.profiled_us_per_req, 0)} µs/request under the profiler: ` +
        d2.map(([b, d]) => `${b} ${d >= 0 ? "+" : ""}${f(d, 0)}`).join("; ") + ".", "");
    }
    L.push("What the buckets hold. *wasm*: all Rust code (verify, routing, path normalization, header plan, HMACs for the assertion and the loop marker, the audit line's JSON, allocation) plus the calls into and out of it; with names kept (PORTCULLIS_KEEP_WASM_NAMES=1) it splits into dozens of functions of a few µs each, the SHA-256 compression and the async executor being the largest, so no one piece of the core dominates. *origin timeout*: the AbortSignal.timeout per forwarded request (before bench/ab run 6: an AbortController, its signal and a setTimeout/clearTimeout pair; a profile from before that change still shows those). *async glue*: wasm-bindgen-futures' promise plumbing (queueMicrotask per wake, `then`, closures), paid once per await across the boundary. *headers*: reading the request head (method, URL, Authorization, Cookie, CF-Connecting-IP, CF-Ray), copying the incoming headers and applying the plan (deletes, X-Forwarded-*, the hop marker, four identity headers). *response*: the copy of a credentialed response that adds Cache-Control: private and Vary. *fetch*: workerd's subrequest as the isolate's thread sees it, about the same as pass-through's; what its options cost (`cache: no-store`, the signal) is mostly spent outside the sampled thread, and the A/B run without no-store (3b) measures it by /proc CPU instead. *strings*: UTF-8 <-> JS string conversions at the boundary. *console.log*: the gate's audit line, inflated by the profiler itself: with an inspector attached V8 captures a stack trace per console call, in proportion to the stack under it, and the gate logs from deep inside its async executor (section 3d measures this; in the JavaScript pass-through-with-log the builtin is counted in its calling JS frame, under other JS, not here).", "");
  }
  const first = names[0];
  L.push(`The heaviest functions of ${first} (self µs/request):`, "", "| function | µs/request |", "|---|---:|");
  for (const [fn, us] of Object.entries(cpuProf.contenders[first].top).slice(0, 15)) L.push(`| \`${fn.replace(/\|/g, "\\|")}\` | ${f(us)} |`);
  L.push("");
}

const logLines = read("log-cost.json");
if (logLines) {
  L.push("## 3d. What one console.log of the audit line costs", "");
  L.push(`bench/js/log-cost.mjs: one workerd, one request logs ${logLines.lines} lines, timed from Node minus an empty request (${logLines.rounds} rounds, modes alternated), once without and once with a V8 inspector client attached (as the profile of 3a has). Modes: *json* console.log(JSON.stringify(record)), the JavaScript pass-through-with-log's way; *decoded* the same string made by TextDecoder from bytes, as wasm-bindgen hands the gate's line over; *object* console.log(record); *wasm* the json line logged from inside a wasm function; *deep* the json line logged 40 JavaScript frames deep; *none* JSON.stringify alone.`, "");
  const modes = Object.keys(logLines.without_inspector);
  L.push("| µs per line | " + modes.join(" | ") + " |", "|---|" + modes.map(() => "---:").join("|") + "|");
  for (const k of ["without_inspector", "with_inspector"]) L.push(`| ${k.replace("_", " ")} | ${modes.map((m) => f(logLines[k][m].us_per_line_median)).join(" | ")} |`);
  const pick = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.us_per_line_median]));
  const w = pick(logLines.without_inspector), i = pick(logLines.with_inspector);
  L.push("", `Reading: without an inspector a line costs a few µs however it is made (json ${f(w.json)}, decoded ${f(w.decoded)}, from wasm ${f(w.wasm)}, deep ${f(w.deep)}; a logged object, which workerd formats itself, ${f(w.object)}), so the gate's way of passing its line (one string, built in Rust, decoded once) is not what costs. With the inspector attached every console call costs more, and in proportion to the stack under it (${f(i.json)} µs shallow, ${f(i.deep)} µs 40 frames deep): V8 captures the call's stack trace for the console message whenever a client is attached. The gate logs from inside the wasm-bindgen-futures executor, under the fetch handler's whole async poll chain, which is why its \`__wbg_log\` took ~290 µs per request in the profile while the JavaScript pass-through's shallow call took ~26 µs: the profile's console.log bucket measures the profiler, not the line. Unprofiled, the line's cost is what section 3's rows say: portcullis against portcullis-denials-only, and floor-log against floor.`, "");
}

const firstReq = read("first-request.json");
if (firstReq) {
  L.push("## 3e. Where the first request goes", "");
  L.push("bench/js/first-request-profile.mjs: a fresh workerd per run, a V8 CPU profile (100 µs sampling) around its first request only; medians over runs. *isolate busy* is the profiled time on the isolate's thread; wasm frames are summed as one (`BY_WASM_FUNCTION=1` with a build that keeps names, PORTCULLIS_KEEP_WASM_NAMES=1, splits them).", "");
  L.push("| contender | first request ms | isolate busy ms | heaviest (ms) |", "|---|---:|---:|---|");
  for (const [n, v] of Object.entries(firstReq)) L.push(`| ${n} | ${f(v.first_request_ms_median, 1)} | ${f(v.isolate_busy_ms_median, 1)} | ${Object.entries(v.top_ms).slice(0, 4).map(([k, ms]) => `\`${k.replace(/\|/g, "\\|")}\` ${f(ms, 1)}`).join("; ")} |`);
  const fr = firstReq.portcullis, frd = firstReq["portcullis-deployed"];
  L.push("", "Reading: *portcullis* is the all-local start (the objects script in the same workerd, woken by this request: its `fetch native` is mostly the writer Durable Object starting, compiling its own wasm and opening its storage); *portcullis-deployed* is the gate's own first request with the writer already running in another workerd (section 3). " +
    (fr && frd ? `The writer's start is the difference between the two (${f(fr.first_request_ms_median, 1)} against ${f(frd.first_request_ms_median, 1)} ms). ` : "") +
    "What stays is the gate's own first-request work, most of it V8 compiling wasm functions on their first call (workerd compiles wasm lazily, function by function; in the profile it is `(program)` and the wasm frames) and the wasm-bindgen glue's first calls, then the I/O of the first revocation load (the location's feed from the Cache API or the writer, and the KV snapshot, now read at once) and the origin fetch. Split by function (a named build, `PORTCULLIS_KEEP_WASM_NAMES=1`, `BY_WASM_FUNCTION=1`, measured while writing this, deployed start): the settings, key ring and route table (`config::load`, `load_checked`, `RouteTable::from_json_str` and the serde_json they call) took about 2 ms of a ~100 ms busy first request, so reading the settings without serde_json::Value could save at most that; it was not done. A later session (issue 12, start to first answer) measured the first request by the CPU of the gate's workerd, 6 fresh deployed starts per case alternated, medians: a first request to an unknown path (settings, routes, a 404 problem document and its audit line) took 14.4 ms, to the public /health (forwarded) 15.8 ms, and a token request after that one a further 24.5 ms (the first revocation load and the verify, identity and assertion code), against 7.0 ms for the floor's first request and 1.9 ms for the gate's second. Loading the settings at isolate start instead (the `cloudflare:workers` env import and a start function) moved about 2.5 ms of CPU from the first request to *ready*, with no change in start to first answer beyond the noise (12 alternated starts), so it was not kept: locally it only moves the work (workerd evaluates the module before it listens). Writing the feed to the location's cache after the answer instead of before it (a timer in `waitUntil`, revocations.rs `cache_after_answer`) took 2.9 ms of CPU and 4.2 ms of wall time off the deployed first request (medians of 10 starts alternated with main's build; +356 B gzip) and was kept. Which functions the first request reaches, and their bytes: `node bench/js/first-request-functions.mjs DIR` on a named build (it instruments a copy with `wasm-opt --log-execution` and starts it deployed): 885 functions not run at start, 209 KB of the 579 KB code section (main before bench/ab run 21: 1,145 and 210 KB). A `perf record` of workerd around one first request puts about a third of it in V8's lazy wasm compilation, mostly the Liftoff decoder, so it scales with those bytes; inlining single-caller functions (run 21) cut the count, not the bytes, and did not move the start; V8 flags did not either (run 22). The `__wbg_log` frame is the inspector's cost of a console call (section 3d), not the line's. In production Cloudflare compiles the Worker when it is deployed and warms isolates during the TLS handshake, so this local figure bounds a cold start from above; the first revocation load's I/O (a writer round trip and a KV read, overlapped) is the first-request cost that stays.", "");
}

// Attribution by repetition (bench/js/slope.mjs, the bench-repeat build): each piece of the
// gate's per-request work done N extra times, CPU per request against k = 0 in the same round.
const slope = read("slope.json");
if (slope) {
  const P = slope.pieces;
  L.push("## 3f. Where the gate's CPU goes, by repetition (slope)", "");
  L.push(`bench/js/slope.mjs runs a bench-only build of the gate (cargo feature \`bench-repeat\`, bench/slope-build.sh into bench/out/slope-build; the shipped build/ is byte-identical with and without the feature's code). Its handler is the gate's, followed, when the request carries \`x-bench-repeat: <piece>=<k>\`, by that one piece of the gate's per-request work done k more times (Rust results through \`black_box\`, JS calls really made; all a piece needs is prepared at any k, so only the repeats differ). Every piece at k = N and the build at k = 0 run in one workerd, alternated with the shipped gate, floor-log and passthrough-log (${slope.rounds} rounds x ${slope.seconds} s x ${slope.connections} connections, order rotated, a 1 s unrecorded warm-up each). A piece runs next to its own run of the build at k = 0 (which goes first alternates by round), and its cost is (workerd CPU per request at k = N - at the adjacent k = 0) / N, the median over rounds with the range. Unlike the sampling profile (3a) nothing is attached to workerd, and the per-round noise (tens to hundreds of µs per request on this shared machine) is divided by N.`, "");
  L.push("| piece | what it is | N | µs each (median) | range over rounds | times per allowed request | µs per request |", "|---|---|---:|---:|---|---:|---:|");
  for (const [n, p] of Object.entries(P)) L.push(`| ${n} | ${p.what} (${p.kind}) | ${p.n} | ${f(p.us_each.median)} | ${f(p.us_each.min)} to ${f(p.us_each.max)} | ${p.per_request} | ${p.kind === "gate" ? f(p.us_per_request, 1) : ""} |`);
  const gate = Object.values(P).filter((p) => p.kind === "gate").reduce((a, p) => a + Math.max(0, p.us_per_request), 0);
  const each = (n) => P[n]?.us_each.median ?? 0;
  // What floor-log does of the same: one console.log of a line it builds with serde_json, one
  // Date::now; its four getters (url, headers, method, two gets) are about what the head costs.
  // A negative slope is noise (no piece saves time): counted as 0 in the sums.
  const pos = (n) => Math.max(0, each(n));
  const floorSame = pos("log") + pos("line") + pos("now") + pos("head");
  const gap = slope.portcullis_over_floor_log;
  L.push("", `Summed, the gate's pieces come to **${f(gate, 0)} µs per request**. floor-log does part of the same (a console.log of a line it builds with serde_json, a Date::now, its header and URL reads: about log + line + now + head = ${f(floorSame, 0)} µs by these slopes), so the pieces explain **${f(gate - floorSame, 0)} µs** of the gate's cost over floor-log, which this run measured at **${gap ? f(gap.median, 0) : "n/a"} µs** (median of per-round differences, ${gap ? `${f(gap.min, 0)} to ${f(gap.max, 0)}` : ""}); the bench build at k = 0 measured ${f(slope.k0_over_portcullis_us, 0)} µs over the shipped gate (its own preparation: a second route, verify, plan and line per request, about ${f(each("core") + each("head") + 2 * each("names") + each("plan"), 0)} µs by the same slopes).`, "");
  if (gap) L.push(`What the pieces do not explain: **${f(gap.median - (gate - floorSame), 0)} µs** per request of the gap over floor-log (and, the same way, most of the k = 0 build's cost over the shipped gate). A slope is the marginal cost of a piece done again while everything it touches is hot; what a request pays once and a repeat does not (the first touch per request of the gate's larger code and data after workerd's own I/O work has run on the same two cores: cache and TLB misses; the first poll of the wasm-bindgen executor; whatever workerd does outside the isolate's calls for a Worker of this size) cannot show in a slope by construction. That remainder grows with the machine's load (the gate over floor-log: 252 µs in a quiet-machine run of the throughput bench, 2026-11-30 20:31 UTC, 4 rounds x 5 s; 395-455 µs medians in this section's runs of the same day under other sessions' builds, single rounds up to 728), which fits costs of that kind, and it is not in any piece of the gate's own logic that a cut here could remove: each piece measured is at most a few tens of µs.`, "");
  if (P["fetch-gate"] && P["fetch-floor"]) L.push(`Cross-check on the subrequest: a whole fetch as the gate makes it (headers copied and planned, init, AbortSignal.timeout, \`cache: no-store\`) costs ${f(each("fetch-gate"), 0)} µs, as the floor makes it (\`new Request(target, req)\`) ${f(each("fetch-floor"), 0)} µs, a difference of ${f(each("fetch-gate") - each("fetch-floor"), 0)} µs against ${f(pos("headers") + pos("init") + pos("signal"), 0)} µs for headers + init + signal measured alone. A whole subrequest is ~40x a piece's cost, so its per-round noise is too: read this as a check that the gate's way of making the subrequest costs no more than the floor's beyond that noise, not as a figure.`, "");
  if (P["headers-pairs"] || P["private-pairs"]) L.push(`Candidates measured the same way: the outgoing headers from one list of pairs ${f(each("headers-pairs"))} µs against the copy-then-edit ${f(each("headers"))} µs; the private copy with its headers given to the constructor ${f(each("private-pairs"))} µs against ${f(each("private"))} µs.`, "");
  L.push(`Reading: no one piece dominates. The largest are platform calls made once per request, each tens of µs here: the outgoing Headers copy and its edits (${f(each("headers"), 0)}), the private copy of the response (${f(each("private"), 0)}), the origin timeout's signal (${f(each("signal"), 0)}), the console.log (${f(each("log"), 0)}), reading the head (${f(each("head"), 0)}); the core's whole path in wasm is ${f(each("core"), 0)} µs (the verify ${f(each("verify"), 1)}, the audit record and line ${f(pos("line"), 1)}), about 3-4x its native time (bench/native gate_path, 10-13 µs). A crossing into JS costs ${f(each("crossing"), 2)} µs and a Date::now ${f(each("now"), 2)} µs: the number of crossings is not what costs, what each call does in workerd is; an await of a JS promise costs ${f(each("await"), 1)} µs, which the gate pays once (the fetch), as the floor does.`, "");
}

// A start-only A/B run's table: medians of the starts, and the differences against `base`
// (and pass-through) taken within each round (the contenders alternate), then their median.
function startupTable(result, contenders, base) {
  const s = result.startup;
  const mid = (a) => { const b = [...a].sort((x, y) => x - y), m = b.length >> 1; return b.length % 2 ? b[m] : (b[m - 1] + b[m]) / 2; };
  const paired = (a, b) => (a && b && a.length === b.length ? mid(a.map((x, i) => x - b[i])) : null);
  const faster = (a, b) => (a && b && a.length === b.length ? `${a.filter((x, i) => x < b[i]).length}/${a.length}` : "");
  const rows = [`| contender | what it is | starts | start to first answer ms | over pass-through ms (paired) | ready ms | first request ms | workerd CPU to ready ms | Miniflare (Node) CPU to ready ms | workerd CPU, first request ms | first-request CPU vs ${base} ms (paired; rounds faster) |`, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"];
  for (const [n, c] of Object.entries(s)) {
    const vsBase = n === base ? "" : `${f(paired(c.first_request_cpu_runs, s[base]?.first_request_cpu_runs), 1)} (${faster(c.first_request_cpu_runs, s[base]?.first_request_cpu_runs)})`;
    rows.push(`| ${n} | ${contenders[n] ?? ""} | ${c.runs.length} | ${f(c.ms_median, 1)} | ${f(paired(c.runs, s.passthrough?.runs), 1)} | ${f(c.ready_ms_median, 1)} | ${f(c.first_request_ms_median, 1)} | ${f(c.ready_cpu_ms_median, 1)} | ${f(c.ready_node_cpu_ms_median, 1)} | ${f(c.first_request_cpu_ms_median, 1)} | ${vsBase} |`);
  }
  return rows;
}

// A start-only run's parts (ready, first request; wall and workerd CPU), each contender's
// minus pass-through's in the same round, then the median (runs with per-start parts only).
function startupPartsTable(result) {
  const s = result.startup, p = s.passthrough;
  const mid = (a) => { const b = [...a].sort((x, y) => x - y), m = b.length >> 1; return b.length % 2 ? b[m] : (b[m - 1] + b[m]) / 2; };
  const over = (c, k) => { const x = mid(c[k].map((v, i) => v - p[k][i])); return `${x >= 0 ? "+" : ""}${f(x, 1)}`; };
  const rows = ["By part, over pass-through in the same round (median of the paired differences, ms):", "", "| contender | start to first answer | ready | workerd CPU to ready | first request | workerd CPU, first request |", "|---|---:|---:|---:|---:|---:|"];
  for (const [n, c] of Object.entries(s)) if (n !== "passthrough" && c.ready_cpu_runs) rows.push(`| ${n} | ${over(c, "runs")} | ${over(c, "ready_runs")} | ${over(c, "ready_cpu_runs")} | ${over(c, "first_request_runs")} | ${over(c, "first_request_cpu_runs")} |`);
  return rows;
}

// The A/B runs whose result is throughput-bench.mjs's (or fixed-rate.mjs's) output: builds
// that were never shipped, each with one part changed, measured side by side with the shipped
// code in one run. The verify run is read in section 2, the size-variants run in section 6.
const abs = abAll.filter((ab) => ab.result?.contenders);
if (abs.length) {
  L.push("## 3b. The latency tail, and the A/B runs behind the changes", "");
  L.push("Each table is one run of bench/js/throughput-bench.mjs (from run 12 on, some of bench/js/fixed-rate.mjs: the fixed-rate columns of section 3g) with extra builds as contenders (`PORTCULLIS_BASE_BUILD`, `PORTCULLIS_VARIANTS=name=dir,...`), all alternated; the raw output is the file named. These are not rerun by `make bench` (the variant builds are not kept); the p99 and p99.9 columns of section 3 are what `make bench` keeps measuring, so a stall that comes back shows there and in the p99 goals.", "");
  for (const ab of abs) {
    L.push(`**${ab.title}** (bench/ab/${ab.file}; \`${ab.command}\`)`, "");
    // A fixed-rate run (bench/js/fixed-rate.mjs, kind "fixed-rate") has its own columns.
    if (ab.kind === "fixed-rate") {
      L.push(...fixedRateTable(ab.result, ab.contenders ?? {}), "", ab.reading, "");
      continue;
    }
    // A start-only run (throughput-bench.mjs --rounds 0), or one per V8 flag set (`runs`).
    if (ab.kind === "startup") {
      for (const [label, result] of Object.entries(ab.runs ?? { "": ab.result })) {
        if (label) L.push(`*${label}:*`, "");
        L.push(...startupTable(result, ab.contenders ?? {}, ab.base), "");
        if (result.startup.passthrough?.ready_cpu_runs) L.push(...startupPartsTable(result), "");
      }
      L.push(ab.reading, "");
      continue;
    }
    L.push("| contender | what it is | vs pass-through-with-log | workerd CPU µs/req | CPU over pass-through-with-log | p99 ms | p99.9 ms | max ms |", "|---|---|---:|---:|---:|---:|---:|---:|");
    for (const [n, c] of Object.entries(ab.result.contenders)) L.push(`| ${n} | ${ab.contenders?.[n] ?? ""} | ${c.rps_vs_passthrough_log == null ? "n/a" : `${f(c.rps_vs_passthrough_log)}x`} | ${f(c.workerd_cpu_us_per_req_median, 0)} | ${c.cpu_us_over_passthrough_log == null ? "" : f(c.cpu_us_over_passthrough_log, 0)} | ${f(c.p99_ms_median)} | ${f(c.p999_ms_median)} | ${f(c.max_ms_max)} |`);
    L.push("", ab.reading, "");
  }
}

// Soak runs kept as text (bench/soak/*.txt: the output of scripts/soak.mjs, the gate and
// SOAK_BASELINE=passthrough), for workerd's memory under the same 3-minute mixed load.
const soakDir = join(ROOT, "bench", "soak");
const soaks = existsSync(soakDir) ? readdirSync(soakDir).filter((n) => n.endsWith(".txt")).sort() : [];
if (soaks.length) {
  L.push("## 3c. Memory under a soak", "");
  const SOAK_READING = "Reading. *Every decision was right* in both gate runs (0 wrong decisions, 0 gate 5xx outside fault phases, every forwarded request with a valid assertion), under the gate as it now takes its revocation list: from the writer's feed (a Durable Object in the objects script, cached per location), KV only for a full load. So KV slow or failing alone changes no decision (the kv-error phase answers as the normal one; the gate made no KV call there); writer unreachable: decisions unchanged, the copy reloaded from the KV snapshot (`revocation_writer_unreachable` about once a second) and an admin revocation answered 503 and was not recorded; writer and KV both down: once the copy is older than the maximum age (2 s here) fail-closed routes answer 503 (734 and 1,190 in the two runs) and the `fail_open` route forwards without a list (89 and 144 forwards whose assertion has no `rev_ver`). That phase found a gate bug, fixed in the same change: a request that waited for another request's load used the old copy when that load failed, so concurrent requests were decided with a copy past the maximum age (52 of 60 answered 200 in the end-to-end test that now covers it). *Live memory is flat.* After a forced full GC the gate's JS heap is 1.2 MiB from the first sample after warm-up (16 s) to the end (2026-11-30-gate-heap), the pass-through's 0.6 MiB: nothing the gate's JavaScript or its wasm-bindgen glue holds accumulates. *RSS grows in every run, the pass-through's too*, after a forced GC as well: from the ~15 s sample to the end, the gate's by 179 MiB over about 31,000 requests (5.9 KiB per request), the pass-through's by 241 MiB over about 45,900 (5.4 KiB per request, no wasm); without an inspector the gate's RSS rises in steps to a plateau (about 300 MiB) and then drops (to 258-266 MiB). That growth is workerd's own memory outside the V8 heap, not the gate's. Not separated: the gate's wasm linear memory (it only grows and is inside RSS; workerd's heap usage does not report it), so a Rust-side growth of up to the ~0.5 KiB per request difference is not ruled out by this data. Requests per second are not comparable between these runs: they ran one after the other on a machine shared with other builds (the gate 154 req/s without an inspector and 188 with one, where the previous session measured 235 and 71). The full series are in the files.";
  L.push("`SOAK_SECONDS=180 make soak` (scripts/soak.mjs: mixed valid and refused traffic, faults of KV, the revocation writer, both, and the origin injected in phases, every decision checked), and the same load with `SOAK_BASELINE=passthrough` on a JavaScript pass-through that writes one log line per request, one after the other on this machine. RSS of the workerd process, sampled every 2 s; and every 15 s what is live: the soak connects to the Worker's V8 inspector, forces a full GC (a heap snapshot), and reads the JS heap's used size and the RSS right after:", "");
  L.push("| run | requests | wrong decisions | first MiB | max MiB | last MiB | after warm-up (last 3/4): min-max MiB | JS heap after a full GC: min-max MiB | RSS after a full GC: at ~15 s, at the end MiB |", "|---|---:|---:|---:|---:|---:|---|---|---|");
  for (const n of soaks) {
    const t = readFileSync(join(soakDir, n), "utf8");
    const reqs = /soak: (\d+) requests/.exec(t)?.[1];
    // The pass-through baseline's decisions are not checked (it is not the gate).
    const wrongs = /^baseline:/m.test(t) ? "not checked" : (/wrong decisions: (\d+)/.exec(t)?.[1] ?? "?");
    const m = /first ([\d.]+) MiB, last ([\d.]+) MiB, max ([\d.]+) MiB/.exec(t) ?? [];
    const w = /after warm-up \(last 3\/4 of samples\): min ([\d.]+) MiB, max ([\d.]+) MiB/.exec(t) ?? [];
    // One "seconds: heap/rss" or "seconds: heap/backing/rss" per sample.
    const gc = (/after a forced full GC \([^)]*\): (.*)$/m.exec(t)?.[1] ?? "").split(", ").filter(Boolean).map((e) => e.split(": ")[1].split("/").map(Number));
    const heap = gc.map((v) => v[0]);
    const rssGc = gc.map((v) => v.at(-1));
    L.push(`| bench/soak/${n} | ${reqs} | ${wrongs} | ${m[1]} | ${m[3]} | ${m[2]} | ${w[1]}-${w[2]} | ${gc.length ? `${Math.min(...heap)}-${Math.max(...heap)}` : "not sampled"} | ${gc.length > 1 ? `${rssGc[1]}, ${rssGc.at(-1)}` : "not sampled"} |`);
  }
  L.push("", SOAK_READING, "");
}

if (size.wasm) {
  L.push("## 4. Size and cost", "");
  L.push("| file | raw | gzip -9 |", "|---|---:|---:|");
  for (const k of ["wasm", "js", "total"]) L.push(`| ${k} | ${size[k].raw} (${kb(size[k].raw)}) | ${size[k].gzip} (${kb(size[k].gzip)}) |`);
  L.push("", "Limits: Cloudflare's Workers limits page has long listed the Worker size as 3 MB (Free) / 10 MB (Paid) after compression, with a 1 s startup limit (https://developers.cloudflare.com/workers/platform/limits/); a newer revision of that page, and cloudflare-docs PR #31002 (May 2026), document a single 64 MiB uncompressed limit on all plans instead. The Worker is far inside either: " + `${(100 * size.total.gzip / 3_000_000).toFixed(1)}% of 3 MB compressed, ${(100 * size.total.raw / (64 * 2 ** 20)).toFixed(2)}% of 64 MiB raw.`, "");
  if (prof) {
    L.push(`Where the code goes (the cargo output before wasm-bindgen and wasm-opt, ${kb(prof.bytes)} with names; code section ${kb(prof.code_bytes)}), by crate:`, "", "| crate | code bytes |", "|---|---:|");
    for (const [c, b] of Object.entries(prof.by_crate)) L.push(`| ${c} | ${b} |`);
    L.push("");
  }
}

// The two scripts (bench/js/script-split.mjs, issue 12 item 5): rendered when its data exists.
const split = read("script-split.json");
if (split) {
  // Before the split: main at 25d11ae, the last single-script build (README, "Two scripts").
  const before = { gzip: 331905, raw: 926386, how: "main at 25d11ae, the last one-script build, before the sid kind and the subject index" };
  const one = split.size["one-script"] ?? before;
  const g = split.size.gate, o = split.size.objects;
  const objectsTxt = text("size-objects.txt");
  L.push("## 4a. Two scripts: the gate without its Durable Object classes", "");
  L.push("The Durable Object classes (GrantObject, ApiKeyStore, RevocationWriter) run in a second Worker script (wrangler.objects.toml, build-objects/, cargo feature `objects`, no request handler of its own); the gate that every request's isolate loads binds them by `script_name` and carries none of their code. Budget (issue 12): the gate's wasm <= 256 KB (262,144 B) gzip, with every roadmap feature.", "");
  L.push("| wasm | raw | gzip -9 | gzip vs one script |", "|---|---:|---:|---:|");
  L.push(`| gate (build/) | ${g.raw} | ${g.gzip} | ${f(g.gzip / one.gzip)}x |`);
  L.push(`| objects (build-objects/) | ${o.raw} | ${o.gzip} | ${f(o.gzip / one.gzip)}x |`);
  L.push(`| one script, before the split (${split.size["one-script"] ? `PORTCULLIS_BASE_BUILD, this run` : before.how}) | ${one.raw} | ${one.gzip} | 1.00x |`);
  L.push("", `The gate ships ${one.gzip - g.gzip} B (${kb(one.gzip - g.gzip)}) less gzip than the one script did; it is ${262144 - g.gzip} B under the budget: ${yes(g.gzip <= 262144)}. Part of the drop is not the split: the gate's one call to the writer now builds its request with web_sys (5,445 B gzip, its own commit).`, "");
  const per = split.load_per_copy_ms ?? {};
  L.push(`Load in workerd (bench/js/script-split.mjs): from \`new Miniflare(...)\` to the first answer of a worker whose module imports ${split.copies ?? 1} copies of the wasm (workerd decodes and validates each as it loads the script), less an empty worker's start (median ${f(split.load_ms_median.empty, 1)} ms); ${split.rounds} alternated rounds, medians, per copy: ` + Object.entries(per).map(([n, v]) => `${n} ${f(v, 1)} ms`).join(", ") + (per["one-script"] ? ` (gate / one script: **${f(per.gate / per["one-script"])}x**)` : "") + ". On this shared machine a start varies by hundreds of ms from one run to the next (every run is in bench/results.json): read the load figure as a direction at best, the bytes as the measure.", "");
  L.push("Locally (Miniflare, `make dev`) both scripts load into one workerd, so a local start pays for both wasms; in a deployment the gate's isolates load only the gate, and the objects load in the Durable Objects' own isolates, which serve every location's calls. Section 3 measures both starts (portcullis and portcullis-deployed).", "");
  if (objectsTxt) L.push("The objects script as `wrangler deploy --dry-run` would bundle it (scripts/size.sh build-objects):", "", "```", objectsTxt, "```", "");
}

// The freshness table, printed in BENCHMARKS.md and copied into the README between its
// freshness markers, so the two always quote the same run.
function freshnessTable(fresh) {
  if (fresh.settings) {
    const rows = ["| settings | samples | p50 ms | p99 ms | max ms | bound R + T ms | writer requests / location / minute |", "|---|---:|---:|---:|---:|---:|---|"];
    for (const [k, v] of Object.entries(fresh.settings)) rows.push(`| ${k} | ${v.samples} | ${v.p50_ms} | ${v.p99_ms} | ${v.max_ms} | ${v.bound_ms} | ${(v.writer_requests_per_location_per_minute ?? []).join(", ")} |`);
    return rows;
  }
  const rows = ["| revoked via | refresh interval | runs | min | median | max | local bound |", "|---|---:|---:|---:|---:|---:|---|"];
  for (const [k, v] of Object.entries(fresh.refresh)) rows.push(`| another isolate (raw KV write + cron) | ${k} | ${v.runs ?? "?"} | ${v.min_ms} ms | ${v.median_ms} ms | ${v.max_ms} ms | refresh + one load ≈ ${v.local_bound_ms ?? "?"} ms |`);
  const a = fresh.admin;
  if (a) rows.push(`| the admin API (this isolate) | ${a.refresh_s}s | ${a.runs} | ${a.min_ms} ms | ${a.median_ms} ms | ${a.max_ms} ms | immediate |`);
  return rows;
}

if (fresh?.settings) {
  L.push("## 5. Revocation freshness across locations", "");
  L.push("Measured by scripts/freshness.mjs: four simulated locations (separate workerd workers: no shared memory, each its own Cache API cache) bound to one KV namespace and one writer Durable Object. Each run revokes a fresh `jti` through the admin API at one location (round robin), at a random phase of the refresh cycle, and polls every location until it refuses; a sample is the time from the admin's 201 to one location's first refusal. Stated bound: R + T (refresh interval + feed cache TTL). Then, with one request per location per 100 ms, each location's requests to the writer are counted (`writer_requests` in GET /stats).", "");
  L.push(...freshnessTable(fresh));
  L.push("", "How the simulation differs from production: one process and one clock; KV is strongly consistent here (in production a KV write takes up to 60 s to reach other locations, which matters only when the writer is unreachable or a location reloads the snapshot); the writer is one local call away (in production, up to an intercontinental round trip, added once per location per T).", "");
} else if (fresh) {
  L.push("## 5. Revocation freshness", "");
  L.push(fresh.source === "scripts/freshness.mjs" ? "Measured by scripts/freshness.mjs (the revocation work's own script): the time from a revocation to the first refused request." : "Measured by bench/js/freshness-min.mjs, a minimal stand-in while scripts/freshness.mjs (branch `revoke`) is not merged: " + fresh.method + "; each run starts at a random phase of the refresh cycle.", "");
  L.push(...freshnessTable(fresh));
  L.push("", "Locally KV propagation is instant and the cron is fired right after the write, so the time to the first refusal is bounded by the refresh interval plus one snapshot load; in production add the cron period and KV's propagation delay (up to 60 s each). The README quotes this table (bench/js/report.mjs copies it there).", "");
}

// The codegen table: this run's variants (BENCH_VARIANTS=1, or variants already built in
// bench/out/variants), else the committed run it was decided on.
const CODEGEN_RUN = "bench/ab/2026-11-30-9-codegen.json";
const codegen = variants?.table?.[0]?.us_per_path_workerd != null ? { ...variants, source: "this run" }
  : existsSync(join(ROOT, CODEGEN_RUN)) ? { ...JSON.parse(readFileSync(join(ROOT, CODEGEN_RUN), "utf8")), source: CODEGEN_RUN } : null;
if (codegen) {
  const BUDGET = 262144, MARGIN = 4096;
  const what = {
    "core-z": "as shipped: everything \"z\", sha2 and hmac at 3",
    "core-s": "the core (crate portcullis) at \"s\"",
    "core-2": "the core at 2",
    "core-3": "the core at 3",
    deps3: "the core at \"z\"; serde_json, serde_core, base64, itoa, zmij, memchr at 3",
    "core-3-deps3": "the core and those libraries at 3",
    "core-2-deps2": "the core and those libraries at 2",
  };
  L.push("## 6. Codegen: the core's opt-level against speed and size", "");
  L.push(`Each variant builds the gate (worker-build --release --no-opt, then wasm-opt with the given flags and --strip-debug, as scripts/build.sh ships it) and the bench wasm with the same \`[profile.release.package.X]\` overrides (bench/build-variants.sh, \`--config\` on the command line; Cargo.toml untouched). Speed is the core's whole per-request path (section 2a's *all*) and the verify alone, looped in the variant's bench wasm in workerd and in Node, by CPU time, all variants alternated in one run (${codegen.rounds} rounds; ${codegen.source}). Size is the gate's wasm gzip -9; the budget is ${BUDGET.toLocaleString("en")} B with at least ${MARGIN.toLocaleString("en")} B left for features. Rows with another wasm-opt line than the shipped one are the flag trials.`, "");
  L.push("| variant | what | wasm-opt | gate wasm gzip | left under the budget | µs/path workerd | µs/path Node | path vs shipped, workerd | path vs shipped, Node | µs/verify workerd |", "|---|---|---|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of codegen.table) L.push(`| ${r.variant} | ${what[r.variant] ?? ""} | \`${r.wasm_opt}\` | ${r.stripped_gzip.toLocaleString("en")} | ${(BUDGET - r.stripped_gzip).toLocaleString("en")} | ${f(r.us_per_path_workerd, 1)} | ${f(r.us_per_path_node, 1)} | ${f(r.path_workerd_vs_baseline)}x | ${f(r.path_node_vs_baseline)}x | ${f(r.us_per_verify_workerd, 1)} |`);
  const fits = codegen.table.filter((r) => r.stripped_gzip <= BUDGET - MARGIN);
  const best = [...fits].sort((a, b) => a.path_workerd_vs_baseline - b.path_workerd_vs_baseline)[0];
  const fastest = [...codegen.table].sort((a, b) => a.path_workerd_vs_baseline - b.path_workerd_vs_baseline)[0];
  const base = codegen.table.find((r) => `${r.variant} ${r.wasm_opt}` === codegen.baseline);
  if (best && fastest && base) {
    L.push("", `Reading: the fastest variant, ${fastest.variant} (\`${fastest.wasm_opt}\`), runs the path in ${f(fastest.path_workerd_vs_baseline)}x the shipped build's time in workerd (${f(fastest.path_node_vs_baseline)}x in Node) for ${(fastest.stripped_gzip - base.stripped_gzip).toLocaleString("en")} B more gzip; within the budget and its margin (${(BUDGET - MARGIN).toLocaleString("en")} B), the fastest is ${best.variant} (\`${best.wasm_opt}\`) at ${f(best.path_workerd_vs_baseline)}x.`);
  }
  L.push("", CODEGEN_DECISION, "");
  L.push("Before this table (2026-11-22 to 11-30) the variants were whole-profile levels timed by the verify alone: opt-level \"z\" with sha2/hmac at 3 and wasm-opt `-O1 -s 2` was chosen for the 256 KB budget (bench/ab/2026-11-30-5-size.json; README \"Size budget\").", "");
}

if (signedUrls) {
  L.push("## 7. Signed links beside tokens (native)", "");
  L.push(`bench/native/src/bin/signed_urls.rs: one HS256 key; a typical token through the strict verifier, a Portcullis prefix link with a query, the signed cookie it sets, a Cloudflare timed-HMAC link and an Akamai EdgeAuth ACL token for the same path, and HMAC-SHA256 alone over a link-sized input. Contenders alternated in each of ${signedUrls.rounds} rounds of ${signedUrls.iters_per_round} calls; ratios taken within a round, then the median.`, "");
  L.push("| contender | ns/op (median) | time vs token | time vs HMAC alone |", "|---|---:|---:|---:|");
  for (const c of signedUrls.contenders) L.push(`| ${c.name} | ${f(c.ns_per_op_median, 1)} | ${f(c.time_vs_token, 2)}x | ${f(c.time_vs_hmac, 2)}x |`);
  L.push("", "Reading: each format is one HMAC-SHA256 plus its parsing, so the ratio to the token (read in the same round) is the figure to use; the absolute ns move with this shared machine's load. The Cloudflare and Akamai checks key their HMAC on every call (their secrets are settings, not ring keys with a prepared HMAC state); a Portcullis link uses the ring's prepared state, as a token does.", "");
}

const dpop = read("dpop.json");
if (dpop) {
  L.push("## DPoP: cost per request in workerd, and the wasm size (issue 17)", "");
  L.push(`bench/js/dpop-bench.mjs runs the built gate (build/) in workerd through Miniflare in front of a local origin and sends the same GET as a bearer token and as a DPoP-bound token with a fresh proof (ES256, EdDSA; made beforehand with node:crypto), alternating request by request, ${dpop.samples_per_contender} requests per contender. Each request is timed from Node to the answer's last byte; the DPoP cost is the median of the differences to the bearer request next to it. It covers everything DPoP adds: reading the DPoP header, parsing the proof, the RFC 7638 thumbprint, WebCrypto importKey + verify, the replay cache.`, "");
  L.push("| contender | median ms/request | vs bearer | extra ms vs bearer |", "|---|---:|---:|---:|");
  for (const [n, v] of Object.entries(dpop.median_ms)) L.push(`| ${n} | ${f(v, 3)} | ${f(dpop.ratio_vs_bearer[n])}x | ${n === "bearer" ? "-" : f(dpop.extra_ms_vs_bearer[n], 3)} |`);
  const b = dpop.size.before, a = dpop.size.after;
  L.push("", `Wasm size (build/index_bg.wasm, gzip -9): ${b.wasm_gzip} bytes before (${b.how}) and ${a.wasm_gzip} as built for this run (so including anything else merged since ${b.commit}), +${a.wasm_gzip - b.wasm_gzip} bytes (+${f(100 * (a.wasm_gzip / b.wasm_gzip - 1), 1)}%); raw ${b.wasm_raw} -> ${a.wasm_raw}. No dependency was added to the wasm: signatures go to the runtime's WebCrypto (ECDSA P-256, Ed25519), and \`p256\` / \`ed25519-dalek\` are built natively only (feature \`native-verifier\`, tests). The growth is the core's own code: cnf and proof parsing, htu normalization, thumbprints, nonces, the replay cache, rate-limit rules and their refusals.`, "");
}

// The leak scanner (bench/js/scan-bench.mjs): its own section, rendered when its data exists.
const scan = read("scan.json");
if (scan) {
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const pc = scan.portcullis, ds = scan.detect_secrets.subset;
  const mib = (b) => (b / 2 ** 20).toFixed(1);
  const planted = scan.corpus.planted;
  L.push("## Leak scanner: portcullis scan vs detect-secrets (issue 16)", "");
  L.push(`A generated corpus of ${scan.corpus.files} files (${mib(scan.corpus.bytes)} MiB of source-like lines, logs and YAML) with tokens planted at known lines: ${planted.live} live tokens of the bench's key, ${planted.expired} expired, ${planted.foreign} signed by another key, ${planted.example} copies of jwt.io's example (bench/js/scan-bench.mjs). Yelp's detect-secrets ${scan.versions.detect_secrets} (PyPI, \`detect-secrets scan --all-files\`, its default plugins) is far slower, so it ran on the first ${scan.corpus.subset_mib} files (${mib(scan.corpus.subset_bytes)} MiB), and portcullis scan ran on that same subset too; the contenders alternated, ${scan.rounds} round(s), median times (of two rounds, the slower), one run.`, "");
  L.push("| contender | corpus | median s | MiB/s | found |", "|---|---|---:|---:|---|");
  L.push(`| portcullis scan | all ${mib(scan.corpus.bytes)} MiB | ${f(median(pc.full.seconds))} | ${f(pc.full.mib_per_s, 1)} | ${pc.full.live.found}/${pc.full.live.planted} live (+${pc.full.live.extra} not planted), ${pc.full.expired.found}/${pc.full.expired.planted} expired, ${pc.full.unverified.found}/${pc.full.unverified.planted} foreign+example as unverified |`);
  L.push(`| portcullis scan | subset ${mib(scan.corpus.subset_bytes)} MiB | ${f(median(pc.subset.seconds))} | ${f(pc.subset.mib_per_s, 1)} | ${pc.subset.live.found}/${pc.subset.live.planted} live |`);
  L.push(`| detect-secrets | subset ${mib(scan.corpus.subset_bytes)} MiB | ${f(median(ds.seconds))} | ${f(ds.mib_per_s, 2)} | ${ds.findings} findings (${Object.entries(ds.by_type).map(([t, n]) => `${t}: ${n}`).join(", ")}); ${ds.planted_tokens_flagged}/${ds.planted_tokens} planted tokens flagged, ${ds.live_flagged} of them live, none labelled live or not |`);
  L.push("", `Side by side on the same subset, portcullis scan is **${f(scan.subset_speed_ratio, 0)}x** detect-secrets' throughput. The two answer different questions: detect-secrets flags anything that looks like a secret (its JWT plugin flags every JWT, live, expired, foreign or an example alike; its other plugins look for passwords, cloud keys and high-entropy strings), while portcullis scan looks only for this gate's credentials and says which still work, and flags nothing else (no password, no cloud key). Times include process start and, for detect-secrets, Python's start and its plugin set-up.`, "");
}


// The compact revocation list at scale (issue 13): bench/native/src/bin/revocation_scale.rs
// and bench/js/revocation-load.mjs, rendered when their data exists.
const revScale = read("revocation-scale.json");
const revLoad = read("revocation-load.json");
if (revScale) {
  const mb = (b) => (b / 1e6).toFixed(2);
  const load = (n) => revLoad?.sizes.find((r) => r.entries === n);
  L.push("## Revocation at scale: the compact list (issue 13)", "");
  L.push(`Natively (bench/native/src/bin/revocation_scale.rs, ${revScale.rounds} rounds, compact decode and the \`snapshot/v1\` JSON parse it replaces alternated within each round): entries are 1% subject cut-offs, 2 key revocations and 36-character \`jti\`s. In workerd (bench/js/revocation-load.mjs${revLoad ? `, ${revLoad.rounds} samples per size` : ": not run"}): the real gate (build/), one Miniflare per size whose KV holds the list as the writer publishes it (2 MiB chunks + manifest), writer unreachable and max age 1 s so that each sampled request reloads the whole list from KV in a warm isolate; "load" is that request's wall time minus the same request at a gate with no list (gates sampled in rotating order), memory is ${revLoad?.memory ?? "-"}. Lookup = one full check (\`jti\`, \`sid\` and subject: a SHA-256 and a search each; then the kid), hits and misses; the hash-map figure is the JSON list's lookup for comparison. Delta = applying 100 changes to a list fresh from KV; "with merge" is the one delta in about ${Math.round(revScale.overlay_merge_at / 100)} that also merges the overlay (${revScale.overlay_merge_at} entries) into the sorted base.`, "");
  L.push("| entries | KV bytes (compact) | JSON bytes | chunks | decode ms (native) | JSON parse ms | JSON/compact load | load ms in workerd | memory in workerd | lookup hit / miss ns | hash-map hit ns | delta 100 µs | with merge µs |", "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of revScale.sizes) {
    const w = load(r.entries);
    L.push(`| ${r.entries.toLocaleString("en")} | ${mb(r.compact_bytes)} MB | ${mb(r.json_bytes)} MB | ${r.chunks} | ${f(r.decode_ms, 2)} | ${f(r.json_parse_ms, 1)} | ${f(r.json_over_compact_load, 0)}x | ${w ? (w.load_ms > 0 ? f(w.load_ms, 1) : "below noise") : "-"} | ${w ? (w.rss_delta_bytes > 0 ? `${mb(w.rss_delta_bytes)} MB` : "below noise") : "-"} | ${f(r.lookup_hit_ns, 0)} / ${f(r.lookup_miss_ns, 0)} | ${f(r.hashmap_lookup_hit_ns, 0)} | ${f(r.apply100_us, 0)} | ${f(r.apply100_with_merge_us, 0)} |`);
  }
  const top = revScale.sizes.at(-1), wt = load(top.entries);
  const goal = (g, met, m) => L.push(`| ${g} | ${yes(met)} | ${m} |`);
  L.push("", `Goals at ${top.entries.toLocaleString("en")} entries:`, "", "| goal | result | measured |", "|---|---|---|");
  goal("snapshot in KV <= 16 MB", top.compact_bytes <= 16e6, `${mb(top.compact_bytes)} MB (${f(top.bytes_per_entry, 1)} B/entry; JSON ${mb(top.json_bytes)} MB)`);
  goal("isolate memory <= 16 MB", (wt ? wt.rss_delta_bytes : top.heap_bytes) <= 16e6, `${mb(top.heap_bytes)} MB held by the list${wt ? `; workerd RSS +${mb(wt.rss_delta_bytes)} MB over the load` : ""}`);
  if (wt) goal("full load <= 100 ms in workerd", wt.load_ms <= 100, `${f(wt.load_ms, 1)} ms (reloading request ${f(wt.reload_request_ms, 1)} ms vs ${f(revLoad.empty.reload_request_ms, 1)} ms with no list)`);
  goal("lookup <= 1 µs", top.lookup_miss_ns <= 1000, `${f(top.lookup_miss_ns, 0)} ns for the full check of a token nothing revokes (three SHA-256 digests), ${f(top.lookup_hit_ns, 0)} ns for a revoked jti (native)`);
  goal("delta of 100 changes <= 1 ms", top.apply100_us <= 1000, `${f(top.apply100_us, 0)} µs; ${f(top.apply100_with_merge_us / 1000, 1)} ms for the one delta in about ${Math.round(revScale.overlay_merge_at / 100)} that merges the overlay`);
  L.push("", `The writer's side at ${top.entries.toLocaleString("en")} (native): building the list from its entries ${f(top.writer_build_ms, 0)} ms (a SHA-256 per entry, then a sort), encoding ${f(top.writer_encode_ms, 0)} ms.`, "");
  const c = revLoad?.cost;
  if (c) {
    L.push(`KV and writer operations per million gated requests, counted by the gate (GET /stats) over ${c.gated} gated requests in ${f(c.seconds, 1)} s at one location (${f(c.rate_per_s, 0)} requests/s, R = ${c.refresh_s} s, T = ${c.feed_ttl_s} s, no admin writes during the run), then scaled:`, "");
    L.push("| | measured in the run | per million gated requests | formula |", "|---|---:|---:|---|");
    L.push(`| KV reads | ${c.measured.kv_reads} | ${f(c.per_million.kv_reads, 0)} | (1 + chunks) per isolate load (cold start, or behind the window); none per request |`);
    L.push(`| KV writes | ${c.measured.kv_writes} | ${f(c.per_million.kv_writes, 0)} | (chunks + 1 manifest + 1 snapshot/v1) per publication, at most one a second while revocations arrive; none per request |`);
    L.push(`| writer requests | ${c.measured.writer_requests} | ${f(c.per_million.writer_requests, 0)} | about 10^6 / (q T) per location at q requests/s (${f(c.formula_writer_per_million, 0)} here), plus one per admin write |`);
    L.push("");
  }
}

writeFileSync(join(ROOT, "BENCHMARKS.md"), L.join("\n"));
// The README's copy of the freshness table: between its markers, replaced whole.
if (fresh) {
  const readme = join(ROOT, "README.md");
  const text = readFileSync(readme, "utf8");
  const begin = "<!-- freshness:begin (bench/js/report.mjs writes this table from BENCHMARKS.md's run; do not edit) -->";
  const end = "<!-- freshness:end -->";
  const at = text.indexOf(begin), stop = text.indexOf(end);
  if (at < 0 || stop < at) throw new Error("README.md has no freshness markers");
  writeFileSync(readme, text.slice(0, at + begin.length) + "\n" + freshnessTable(fresh).join("\n") + "\n" + text.slice(stop));
}
writeFileSync(join(ROOT, "bench", "results.json"), JSON.stringify({ machine, versions, goals, native, native_instructions: ir, verify, throughput: tp, log_cost: logLines, first_request: firstReq, freshness: fresh, size, script_split: split, wasm_profile: prof, variants: codegen, dpop, scan, signed_urls: signedUrls, gate_path: gatePath && { native: gpNative, wasm: gatePath }, revocation_scale: revScale, revocation_load: revLoad, slope, fixed_rate: fixedRate, stall_profile: stallProf }, null, 2) + "\n");
console.error("[bench] wrote BENCHMARKS.md and bench/results.json");
