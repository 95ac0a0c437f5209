//! A scan's findings and how they are written: `text` for people, `json` for scripts,
//! `sarif` (SARIF 2.1.0) for code-scanning UIs. No output holds a whole credential: a
//! prefix (a JWT's header, never past half the token) and a fingerprint identify it.

use serde::Serialize;
use serde_json::{json, Value};

use crate::time;

/// What a finding is, as far as the key ring and the gate can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Ours, unexpired and not revoked (as far as we know): it opens the gate.
    Live,
    /// Ours and expired.
    Expired,
    /// Ours, and the gate's introspection says it is inactive although it verifies: revoked.
    Revoked,
    /// Credential-shaped but not verified by the given keys (a JWT), or a refresh token or
    /// API key of our format that the gate does not know (`--endpoint`).
    Unverified,
    /// A refresh token or API key of our format (checksum verified) whose liveness was not
    /// asked: offline, only the gate's grant object or key store can tell.
    Unchecked,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Live => "live",
            Status::Expired => "expired",
            Status::Revoked => "revoked",
            Status::Unverified => "unverified",
            Status::Unchecked => "unchecked",
        }
    }
}

/// One credential at one place.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The file, or `-` for standard input.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (bytes).
    pub column: usize,
    /// The format (`jwt`).
    pub kind: &'static str,
    /// What it is.
    pub status: Status,
    /// `sub`, when ours (for a refresh token or API key: when the gate named it).
    pub sub: Option<String>,
    /// The grant (`sid`) a refresh token belongs to; the id of an API key. Not secrets.
    pub opens: Option<String>,
    /// `jti`, when ours.
    pub jti: Option<String>,
    /// The verifying key's `kid`, when ours.
    pub kid: Option<String>,
    /// `exp`, Unix seconds, when ours.
    pub exp: Option<i64>,
    /// The first characters: enough to recognize, never the secret part.
    pub prefix: String,
    /// First 16 hex digits of the credential's SHA-256.
    pub fingerprint: String,
    /// Whether this scan revoked it (`--revoke`).
    pub revoked_now: bool,
}

/// Counts by status.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Summary {
    /// Files scanned.
    pub files: u64,
    /// Bytes scanned.
    pub bytes: u64,
    /// Binary files skipped.
    pub binary_skipped: u64,
    /// Findings by status.
    pub live: usize,
    /// Expired.
    pub expired: usize,
    /// Revoked.
    pub revoked: usize,
    /// Unverified.
    pub unverified: usize,
    /// Ours by checksum, liveness not asked.
    pub unchecked: usize,
    /// Live findings this scan revoked.
    pub revoked_now: usize,
}

impl Summary {
    /// Adds the findings' counts.
    pub fn count(&mut self, findings: &[Finding]) {
        for f in findings {
            match f.status {
                Status::Live => self.live += 1,
                Status::Expired => self.expired += 1,
                Status::Revoked => self.revoked += 1,
                Status::Unverified => self.unverified += 1,
                Status::Unchecked => self.unchecked += 1,
            }
            self.revoked_now += usize::from(f.revoked_now);
        }
    }
}

/// Text: one line per finding, then a summary line.
pub fn text(findings: &[Finding], summary: &Summary) -> String {
    let mut out = String::new();
    for f in findings {
        out.push_str(&format!(
            "{}:{}:{}: {} {}",
            f.file,
            f.line,
            f.column,
            f.status.as_str(),
            f.kind
        ));
        if let Some(sub) = &f.sub {
            out.push_str(&format!(" sub={sub}"));
        }
        if let Some(opens) = &f.opens {
            out.push_str(&format!(" {opens}"));
        }
        if let Some(jti) = &f.jti {
            out.push_str(&format!(" jti={jti}"));
        }
        if let Some(exp) = f.exp {
            let shown = time::utc(exp).unwrap_or_else(|| exp.to_string());
            out.push_str(&format!(" exp={shown}"));
        }
        out.push_str(&format!(" {}… sha256:{}", f.prefix, f.fingerprint));
        if f.revoked_now {
            out.push_str(" (revoked now, reason leaked)");
        }
        out.push('\n');
    }
    out.push_str(&format!(
        "{} files, {} bytes scanned ({} binary skipped): {} live, {} unchecked, {} expired, {} revoked, {} unverified{}\n",
        summary.files,
        summary.bytes,
        summary.binary_skipped,
        summary.live,
        summary.unchecked,
        summary.expired,
        summary.revoked,
        summary.unverified,
        if summary.revoked_now > 0 {
            format!("; {} revoked by this scan", summary.revoked_now)
        } else {
            String::new()
        }
    ));
    out
}

/// JSON: `{"findings": [...], "summary": {...}}`.
pub fn json(findings: &[Finding], summary: &Summary) -> Value {
    json!({ "findings": findings, "summary": summary })
}

/// The SARIF rule of each status; `unverified` is a note, not a failure.
fn rule(status: Status) -> (&'static str, &'static str, &'static str) {
    match status {
        Status::Live => (
            "portcullis/live-credential",
            "error",
            "A live Portcullis credential: it opens the gate until revoked.",
        ),
        Status::Revoked => (
            "portcullis/revoked-credential",
            "warning",
            "A Portcullis credential, revoked: remove it from the source.",
        ),
        Status::Expired => (
            "portcullis/expired-credential",
            "note",
            "An expired Portcullis credential: harmless, but remove it from the source.",
        ),
        Status::Unverified => (
            "portcullis/unverified-jwt",
            "note",
            "A JWT the given keys do not verify, or a refresh token or API key this gate does not know.",
        ),
        Status::Unchecked => (
            "portcullis/unchecked-credential",
            "error",
            "A Portcullis refresh token or API key (checksum verified) not checked for liveness: treat it as live until revoked.",
        ),
    }
}

/// SARIF 2.1.0: one run, one rule per status, one result per finding with its location and
/// a partial fingerprint (the credential's), so code-scanning UIs track it across commits.
pub fn sarif(findings: &[Finding]) -> Value {
    let statuses = [
        Status::Live,
        Status::Revoked,
        Status::Expired,
        Status::Unverified,
        Status::Unchecked,
    ];
    let rules: Vec<Value> = statuses
        .iter()
        .map(|&s| {
            let (id, level, text) = rule(s);
            json!({
                "id": id,
                "shortDescription": { "text": text },
                "defaultConfiguration": { "level": level },
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let (id, level, _) = rule(f.status);
            let index = statuses.iter().position(|&s| s == f.status).unwrap_or(0);
            let mut message = format!("{} {} credential", f.status.as_str(), f.kind);
            if let Some(sub) = &f.sub {
                message.push_str(&format!(" for subject {sub}"));
            }
            message.push_str(&format!(" ({}…, sha256:{})", f.prefix, f.fingerprint));
            json!({
                "ruleId": id,
                "ruleIndex": index,
                "level": level,
                "message": { "text": message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": sarif_uri(&f.file) },
                        "region": { "startLine": f.line, "startColumn": f.column },
                    }
                }],
                "partialFingerprints": { "credentialSha256/v1": f.fingerprint },
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "portcullis-scan",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/portcullis/portcullis#leaked-credentials",
                "rules": rules,
            }},
            "results": results,
        }],
    })
}

/// A relative URI reference for a path: forward slashes, no leading `./`, spaces and other
/// reserved characters escaped.
fn sarif_uri(path: &str) -> String {
    let path = path.strip_prefix("./").unwrap_or(path).replace('\\', "/");
    percent_encoding::utf8_percent_encode(&path, URI_PATH).to_string()
}

const URI_PATH: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');
