// `portcullis scan` throughput on a generated corpus, side by side with Yelp's detect-secrets
// (PyPI) on the same files in the same run, contenders alternated, with what each found.
//
//   node bench/js/scan-bench.mjs [--mb 200] [--subset-mb 4] [--rounds 2] > bench/out/scan.json
//
// The corpus (bench/out/scan-corpus, regenerated when its parameters change) is 1 MiB files of
// source-like lines, logs and configs, with tokens planted at known places: live tokens of the
// bench's key, expired ones, ones signed by another key, and jwt.io's example. detect-secrets
// is much slower, so it runs on the first --subset-mb files, and portcullis runs on that same
// subset too (the side-by-side ratio), and on the whole corpus (its own throughput).
// Env: PORTCULLIS_BIN (default: target/release/portcullis, built here), DETECT_SECRETS (default:
// a venv in bench/out/detect-secrets-venv with detect-secrets==1.5.0, installed here).
import { execFileSync, spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..", "..");
const OUT = join(ROOT, "bench", "out");
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const MB = arg("mb", 200), SUBSET_MB = arg("subset-mb", 4), ROUNDS = arg("rounds", 2);
const DS_VERSION = "1.5.0";
const log = (...a) => console.error("[scan-bench]", ...a);

// ---- corpus -------------------------------------------------------------------------------
const NOW = Math.floor(Date.now() / 1000);
const KEY = Buffer.alloc(32, 0x5c), OTHER = Buffer.alloc(32, 0x3a);
const b64u = (x) => Buffer.from(x).toString("base64url");
const jwt = (key, claims) => {
  const input = `${b64u(JSON.stringify({ alg: "HS256", kid: "bench", typ: "JWT" }))}.${b64u(JSON.stringify(claims))}`;
  return `${input}.${createHmac("sha256", key).update(input).digest("base64url")}`;
};
const EXAMPLE = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
const corpusDir = join(OUT, "scan-corpus");
const stamp = `v1 mb=${MB} subset=${SUBSET_MB} day=${Math.floor(NOW / 86400)}`;

let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const pick = (a) => a[Math.floor(rand() * a.length)];
const WORDS = "request response handler config value index result buffer stream token user order item cache route gate origin retry limit count state parse encode decode error".split(" ");
const line = (kind) => {
  const w = () => pick(WORDS) + (rand() < 0.3 ? `_${Math.floor(rand() * 1000)}` : "");
  if (kind === "log") return `2026-11-30T${String(Math.floor(rand() * 24)).padStart(2, "0")}:00:00Z ${pick(["GET", "POST"])} /${w()}/${Math.floor(rand() * 1e6)} ${pick([200, 200, 201, 401, 404])} ${Math.floor(rand() * 900)}ms ${w()}=${w()}`;
  if (kind === "yaml") return `${"  ".repeat(Math.floor(rand() * 3))}${w()}: ${pick([w(), Math.floor(rand() * 1e5), "true", `"${w()} ${w()}"`])}`;
  return `    const ${w()} = ${w()}(${w()}, ${Math.floor(rand() * 1e4)}); // ${w()} ${w()} ${w()}`;
};

const planted = { live: [], expired: [], foreign: [], example: [] };
function generate() {
  if (existsSync(join(corpusDir, "STAMP")) && readFileSync(join(corpusDir, "STAMP"), "utf8") === stamp) {
    Object.assign(planted, JSON.parse(readFileSync(join(corpusDir, "..", "scan-planted.json"), "utf8")));
    return;
  }
  log(`generating ${MB} MiB corpus`);
  rmSync(corpusDir, { recursive: true, force: true });
  mkdirSync(corpusDir, { recursive: true });
  const kinds = ["js", "log", "yaml"];
  for (let i = 0; i < MB; i++) {
    const kind = kinds[i % 3];
    const name = `f${String(i).padStart(4, "0")}.${kind === "js" ? "js" : kind}`;
    const lines = [];
    let size = 0;
    while (size < 1024 * 1024) {
      const l = line(kind);
      lines.push(l);
      size += l.length + 1;
    }
    // Plants every few files: at a known line, a live, an expired, a foreign or the example.
    const plant = (what, token, text) => {
      const at = Math.floor(rand() * lines.length);
      lines[at] = text(token);
      planted[what].push({ file: name, line: at + 1 });
    };
    if (i % 4 === 0) plant("live", jwt(KEY, { sub: `svc-${i}`, jti: `bench-${i}`, iat: NOW, exp: NOW + 30 * 86400 }), (t) => `AUTH_TOKEN="${t}"`);
    if (i % 8 === 1) plant("expired", jwt(KEY, { sub: `old-${i}`, jti: `old-${i}`, iat: NOW - 9000, exp: NOW - 5400 }), (t) => `  token: ${t}`);
    if (i % 8 === 2) plant("foreign", jwt(OTHER, { sub: `x-${i}`, iat: NOW, exp: NOW + 3600 }), (t) => `authorization: Bearer ${t}`);
    if (i % 16 === 3) plant("example", EXAMPLE, (t) => `// e.g. ${t}`);
    if (i % 8 === 5) lines[Math.floor(rand() * lines.length)] = `password = "hunter2-${i}"`;
    writeFileSync(join(corpusDir, name), lines.join("\n") + "\n");
  }
  writeFileSync(join(corpusDir, "..", "scan-planted.json"), JSON.stringify(planted));
  writeFileSync(join(corpusDir, "STAMP"), stamp);
}

// ---- contenders ---------------------------------------------------------------------------
function portcullisBin() {
  if (process.env.PORTCULLIS_BIN) return process.env.PORTCULLIS_BIN;
  const target = process.env.CARGO_TARGET_DIR ?? join(ROOT, "target");
  log("cargo build --release -p portcullis-cli");
  execFileSync("cargo", ["build", "-q", "--release", "-p", "portcullis-cli"], { cwd: ROOT, stdio: "inherit" });
  return join(target, "release", "portcullis");
}

function detectSecretsBin() {
  if (process.env.DETECT_SECRETS) return process.env.DETECT_SECRETS;
  const venv = join(OUT, "detect-secrets-venv");
  const bin = join(venv, "bin", "detect-secrets");
  if (!existsSync(bin)) {
    log(`pip install detect-secrets==${DS_VERSION} into ${venv}`);
    execFileSync("python3", ["-m", "venv", venv], { stdio: "inherit" });
    execFileSync(join(venv, "bin", "pip"), ["install", "-q", `detect-secrets==${DS_VERSION}`], { stdio: "inherit" });
  }
  return bin;
}

const keysFile = join(OUT, "scan-keys.json");
function runPortcullis(bin, paths) {
  const t0 = performance.now();
  // --no-ignore: the corpus lives under bench/out, which the repository's .gitignore ignores.
  const r = spawnSync(bin, ["scan", "--keys", keysFile, "--format", "json", "--no-ignore", ...paths], { maxBuffer: 1 << 28 });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0 && r.status !== 1) throw new Error(`portcullis scan: ${r.status} ${r.stderr}`);
  return { seconds: s, report: JSON.parse(r.stdout) };
}

function runDetectSecrets(bin, paths) {
  const t0 = performance.now();
  const r = spawnSync(bin, ["scan", "--all-files", ...paths], { maxBuffer: 1 << 28, cwd: corpusDir });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`detect-secrets: ${r.status} ${r.stderr}`);
  return { seconds: s, report: JSON.parse(r.stdout) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// ---- run ----------------------------------------------------------------------------------
generate();
writeFileSync(keysFile, JSON.stringify({ keys: [{ kty: "oct", kid: "bench", alg: "HS256", k: b64u(KEY) }] }));
const pc = portcullisBin();
const ds = detectSecretsBin();
const allFiles = [...Array(MB).keys()].map((i) => `f${String(i).padStart(4, "0")}.${["js", "log", "yaml"][i % 3]}`);
const subset = allFiles.slice(0, SUBSET_MB);
const inCorpus = (names) => names.map((n) => join(corpusDir, n));

const times = { portcullis_full: [], portcullis_subset: [], detect_secrets_subset: [] };
let last = {};
for (let r = 0; r < ROUNDS; r++) {
  log(`round ${r + 1}/${ROUNDS}`);
  // Alternated: A (subset), B (subset), A (full).
  last.pcSubset = runPortcullis(pc, inCorpus(subset));
  times.portcullis_subset.push(last.pcSubset.seconds);
  last.ds = runDetectSecrets(ds, subset);
  times.detect_secrets_subset.push(last.ds.seconds);
  last.pcFull = runPortcullis(pc, [corpusDir]);
  times.portcullis_full.push(last.pcFull.seconds);
}

// What each found, against what was planted.
const key = (file, line) => `${file}:${line}`;
const plantedIn = (names) => {
  const set = new Set(names);
  return Object.fromEntries(Object.entries(planted).map(([k, v]) => [k, v.filter((p) => set.has(p.file))]));
};
const pcFound = (report) => {
  const byStatus = {};
  for (const f of report.findings) (byStatus[f.status] ??= new Set()).add(key(f.file.split("/").pop(), f.line));
  return byStatus;
};
const score = (found, plantedSet) => {
  const want = new Set(plantedSet.map((p) => key(p.file, p.line)));
  const got = found ?? new Set();
  return { planted: want.size, found: [...want].filter((k) => got.has(k)).length, extra: [...got].filter((k) => !want.has(k)).length };
};
const fullPlanted = plantedIn(allFiles), subPlanted = plantedIn(subset);
const pcFull = pcFound(last.pcFull.report), pcSub = pcFound(last.pcSubset.report);
const dsByType = {};
const dsLines = new Set();
for (const [file, results] of Object.entries(last.ds.report.results)) {
  for (const res of results) {
    dsByType[res.type] = (dsByType[res.type] ?? 0) + 1;
    dsLines.add(key(file.split("/").pop(), res.line_number));
  }
}
const allTokens = Object.values(subPlanted).flat().map((p) => key(p.file, p.line));
const bytesFull = last.pcFull.report.summary.bytes, bytesSub = last.pcSubset.report.summary.bytes;
const mbps = (bytes, s) => bytes / 2 ** 20 / s;
const result = {
  corpus: { mib: MB, files: MB, bytes: bytesFull, subset_mib: SUBSET_MB, subset_bytes: bytesSub, planted: Object.fromEntries(Object.entries(fullPlanted).map(([k, v]) => [k, v.length])) },
  rounds: ROUNDS,
  versions: { detect_secrets: DS_VERSION },
  portcullis: {
    full: { seconds: times.portcullis_full, mib_per_s: mbps(bytesFull, median(times.portcullis_full)), summary: last.pcFull.report.summary,
      live: score(pcFull.live, fullPlanted.live), expired: score(pcFull.expired, fullPlanted.expired),
      unverified: score(pcFull.unverified, [...fullPlanted.foreign, ...fullPlanted.example]) },
    subset: { seconds: times.portcullis_subset, mib_per_s: mbps(bytesSub, median(times.portcullis_subset)), live: score(pcSub.live, subPlanted.live) },
  },
  detect_secrets: {
    subset: { seconds: times.detect_secrets_subset, mib_per_s: mbps(bytesSub, median(times.detect_secrets_subset)),
      findings: [...Object.values(dsByType)].reduce((a, b) => a + b, 0), by_type: dsByType,
      planted_tokens_flagged: allTokens.filter((k) => dsLines.has(k)).length, planted_tokens: allTokens.length,
      live_flagged: subPlanted.live.filter((p) => dsLines.has(key(p.file, p.line))).length },
  },
};
result.subset_speed_ratio = result.portcullis.subset.mib_per_s / result.detect_secrets.subset.mib_per_s;
console.log(JSON.stringify(result, null, 2));
