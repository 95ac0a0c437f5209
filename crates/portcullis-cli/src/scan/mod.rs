//! `portcullis scan`: finds this gate's credentials in files, directories or standard input,
//! tells which still work, and can revoke them.
//!
//! - `detect`: candidates by format prefix and shape (the core's [`portcullis::leaks::FORMATS`]);
//! - `walk`: the files to read (`.gitignore` honoured, binaries skipped, no symlinks);
//! - `report`: findings as text, JSON or SARIF 2.1.0.
//!
//! Each distinct candidate is judged once. A JWT is assessed offline against `--keys`; with
//! `--endpoint`, live ones are introspected at the gate (inactive there = revoked) and, with
//! `--revoke`, revoked through the admin API with reason `leaked`. A refresh token or API
//! key (found by its checksum) cannot be judged offline: it is `unchecked` unless
//! `--endpoint` lets the gate's grant object or key store say live, expired, revoked or
//! unknown; `--revoke` then revokes a live one (a refresh token: its whole grant, by `sid`
//! with reason `leaked`; an API key: by id).

mod detect;
mod report;
mod walk;

use std::collections::HashMap;
use std::path::PathBuf;

use portcullis::jwt::keyring::Keyring;
use portcullis::leaks::format::shown_prefix;
use portcullis::leaks::{assess, fingerprint, issued_target, Assessment, IssuedTarget};
use serde_json::json;

use crate::admin_api::{self, Body, Endpoint};
use crate::revoke;
use crate::{input, keyfile, time, Failure};
use report::{Finding, Status, Summary};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per finding and a summary.
    Text,
    /// `{"findings": [...], "summary": {...}}`.
    Json,
    /// SARIF 2.1.0, for code-scanning UIs.
    Sarif,
}

/// Arguments of `portcullis scan`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Finds JWTs the key set verifies (offline), and the gate's refresh tokens (pcrt_) and API keys
(pcak_) by their checksum, in files, directories (honouring .gitignore; hidden files such as
.env included; binary files, the .git directory and symbolic links skipped) or standard input
(`-`). Each finding: file, line, kind, subject, expiry and status: live, expired, revoked (only
with --endpoint), unverified (JWT-shaped but not ours, or a refresh token or API key the gate
does not know) or unchecked (a refresh token or API key found offline: only the gate can say
whether it still works). A finding is never printed whole: a prefix and a SHA-256
fingerprint identify it.

With --endpoint, the admin token is read from $PORTCULLIS_ADMIN_TOKEN.

EXIT STATUS: 0 no live or unchecked credential; 1 one was found (also when --revoke revoked
it: it was exposed); 2 usage or I/O error (an unreadable file, the gate unreachable).

EXAMPLES:
  portcullis scan --keys keys.json .
  git log -p --all | portcullis scan --keys keys.json -
  portcullis scan --keys keys.json --format sarif . > portcullis.sarif
  portcullis scan --keys keys.json --endpoint https://api.example.com --revoke logs/")]
pub struct Args {
    /// The JWK Set file of the gate's keys.
    #[arg(long, value_name = "FILE")]
    keys: PathBuf,
    /// Files or directories to scan, or `-` for standard input (default: the current directory).
    #[arg(value_name = "PATH")]
    paths: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Clock tolerance on `exp`, seconds (the gate's PORTCULLIS_LEEWAY_S).
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    leeway: u64,
    /// Assess as of this time (Unix seconds) instead of now.
    #[arg(long, value_name = "UNIX_SECONDS")]
    now: Option<i64>,
    /// Introspect live findings at this gate (revoked ones are then reported as revoked).
    #[arg(
        long,
        value_name = "URL",
        help = "The gate to introspect live findings at, e.g. https://api.example.com"
    )]
    endpoint: Option<String>,
    /// The gate's admin prefix (PORTCULLIS_ADMIN_PREFIX).
    #[arg(
        long,
        value_name = "PATH",
        default_value = "/_portcullis",
        requires = "endpoint"
    )]
    prefix: String,
    /// Revoke every live finding through the admin API, with reason `leaked` (a refresh
    /// token: its grant; an API key: the key).
    #[arg(long, requires = "endpoint")]
    revoke: bool,
    /// Also scan files that .gitignore, .ignore or git's excludes leave out (build output, logs).
    #[arg(long)]
    no_ignore: bool,
}

/// Runs `portcullis scan`.
pub fn run(args: Args) -> Result<(), Failure> {
    let ring = keyfile::load(&args.keys)?;
    let now = args.now.unwrap_or_else(time::now);
    let gate = match &args.endpoint {
        Some(url) => Some((
            Endpoint {
                endpoint: url.clone(),
                prefix: args.prefix.clone(),
            },
            revoke::admin_token()?,
        )),
        None => None,
    };
    let paths = if args.paths.is_empty() {
        vec![".".to_owned()]
    } else {
        args.paths.clone()
    };

    let mut hits = Vec::new();
    let stats = walk::each_text(&paths, !args.no_ignore, |name, bytes| {
        hits.extend(
            detect::find(bytes)
                .into_iter()
                .map(|h| (name.to_owned(), h)),
        );
    });

    // Each distinct credential is assessed, introspected and revoked once.
    let mut verdicts: HashMap<String, Verdict> = HashMap::new();
    for (_, hit) in &hits {
        if !verdicts.contains_key(&hit.token) {
            let verdict = judge(&hit.token, &ring, &args, now, gate.as_ref())?;
            verdicts.insert(hit.token.clone(), verdict);
        }
    }

    let findings: Vec<Finding> = hits
        .into_iter()
        .map(|(file, hit)| {
            let v = &verdicts[&hit.token];
            let facts = v.assessment.facts();
            Finding {
                file,
                line: hit.line,
                column: hit.column,
                kind: hit.kind,
                status: v.status,
                sub: facts.and_then(|f| f.sub.clone()).or_else(|| v.sub.clone()),
                opens: v.opens.clone(),
                jti: facts.and_then(|f| f.jti.clone()),
                kid: facts.and_then(|f| f.kid.clone()),
                exp: facts.map(|f| f.exp),
                prefix: shown_prefix(&hit.token, 12).to_owned(),
                fingerprint: fingerprint(&hit.token),
                revoked_now: v.revoked_now,
            }
        })
        .collect();
    let mut summary = Summary {
        files: stats.files,
        bytes: stats.bytes,
        binary_skipped: stats.binary,
        ..Summary::default()
    };
    summary.count(&findings);

    match args.format {
        Format::Text => input::print(report::text(&findings, &summary).trim_end())?,
        Format::Json => input::print_json(&report::json(&findings, &summary))?,
        Format::Sarif => input::print_json(&report::sarif(&findings))?,
    }
    for u in &stats.unreadable {
        eprintln!("portcullis: cannot read {}: {}", u.name, u.reason);
    }
    // An unchecked credential of ours may well be live: a CI gate must not pass it.
    if summary.live + summary.unchecked > 0 {
        return Err(Failure::LiveCredentials {
            count: summary.live,
            unchecked: summary.unchecked,
            revoked: summary.revoked_now,
        });
    }
    if !stats.unreadable.is_empty() {
        return Err(Failure::ScanIncomplete {
            unreadable: stats.unreadable.len(),
        });
    }
    Ok(())
}

/// What became of one distinct credential.
struct Verdict {
    assessment: Assessment,
    status: Status,
    revoked_now: bool,
    /// For a refresh token or API key: the subject the gate named.
    sub: Option<String>,
    /// For a refresh token or API key: `sid=…` or `key=…`.
    opens: Option<String>,
}

fn judge(
    token: &str,
    ring: &Keyring,
    args: &Args,
    now: i64,
    gate: Option<&(Endpoint, String)>,
) -> Result<Verdict, Failure> {
    if let Some((_, target)) = issued_target(token) {
        return judge_issued(token, &target, args, gate);
    }
    let assessment = assess(token, ring, args.leeway, now);
    let mut status = match assessment {
        Assessment::Live(_) => Status::Live,
        Assessment::Expired(_) => Status::Expired,
        Assessment::Foreign => Status::Unverified,
    };
    let mut revoked_now = false;
    if let (Status::Live, Some((endpoint, admin))) = (status, gate) {
        let answer = admin_call(endpoint, "introspect", admin, json!({ "token": token }))?;
        if answer.get("active") == Some(&json!(false)) {
            status = Status::Revoked;
        } else if args.revoke {
            let body = json!({ "token": token, "reason": "leaked" });
            admin_call(endpoint, "revocations", admin, body)?;
            revoked_now = true;
        }
    }
    Ok(Verdict {
        assessment,
        status,
        revoked_now,
        sub: None,
        opens: None,
    })
}

/// A refresh token or API key: `unchecked` offline; with `--endpoint`, what its store says
/// (introspection), and with `--revoke` a live one revoked.
fn judge_issued(
    token: &str,
    target: &IssuedTarget,
    args: &Args,
    gate: Option<&(Endpoint, String)>,
) -> Result<Verdict, Failure> {
    let opens = match target {
        IssuedTarget::Grant { sid, .. } => format!("sid={sid}"),
        IssuedTarget::ApiKey { id } => format!("key={id}"),
    };
    let mut verdict = Verdict {
        assessment: Assessment::Foreign,
        status: Status::Unchecked,
        revoked_now: false,
        sub: None,
        opens: Some(opens),
    };
    let Some((endpoint, admin)) = gate else {
        return Ok(verdict);
    };
    let answer = admin_call(endpoint, "introspect", admin, json!({ "token": token }))?;
    verdict.sub = answer
        .get("sub")
        .and_then(|s| s.as_str())
        .map(str::to_owned);
    verdict.status = match answer.get("status").and_then(|s| s.as_str()) {
        Some("live") => Status::Live,
        Some("expired") => Status::Expired,
        Some("revoked") => Status::Revoked,
        Some("unknown") => Status::Unverified,
        _ => {
            return Err(Failure::Http {
                url: "the admin API (introspect)".into(),
                reason: "the answer has no credential status: is the gate older than the scanner?"
                    .into(),
            })
        }
    };
    if verdict.status == Status::Live && args.revoke {
        match target {
            IssuedTarget::Grant { sid, .. } => {
                let body = json!({ "sid": sid, "reason": "leaked" });
                admin_call(endpoint, "revocations", admin, body)?;
            }
            IssuedTarget::ApiKey { id } => {
                let body = json!({ "id": id, "reason": "leaked" });
                admin_call(endpoint, "api-keys/revoke", admin, body)?;
            }
        }
        verdict.revoked_now = true;
    }
    Ok(verdict)
}

/// An admin POST; a refusal is an error of the scan (exit 2), not a finding.
fn admin_call(
    endpoint: &Endpoint,
    resource: &str,
    admin_token: &str,
    body: serde_json::Value,
) -> Result<serde_json::Value, Failure> {
    admin_api::call(endpoint, resource, Some(admin_token), Body::Json(body)).map_err(|e| match e {
        Failure::Refused { .. } => Failure::Http {
            url: format!("the admin API ({resource})"),
            reason: e.to_string(),
        },
        other => other,
    })
}
