//! `portcullis mint`: a signed token on standard output, and nothing else.

use std::path::{Path, PathBuf};

use portcullis::config::names;
use portcullis::jwt::claims::Audience;
use portcullis::jwt::keyring::Keyring;
use portcullis::jwt::mint::{self as core, MintRequest};
use serde_json::{Map, Value};

use crate::{dotenv, duration, input, keyfile, time, Failure};

/// Arguments of `portcullis mint`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
The token gets `iat` = now, `exp` = now + ttl and a random `jti`; its header names the key's
`kid`. Only the token is printed, on one line, so it can be captured with $(...).

DURATIONS: a whole number with an optional unit: 300, 300s, 5m, 1h, 1d.

EXAMPLES:
  portcullis mint --keys keys.json --sub alice
  portcullis mint --keys keys.json --sub alice --scope 'read write' --aud api --iss https://auth.example --ttl 15m
  portcullis mint --keys keys.json --sub svc --claim tenant=acme --claim tier=3 --claim 'flags={\"beta\":true}'
  TOKEN=$(portcullis mint --keys keys.json --sub alice --ttl 1h --max-ttl 1h)
  TOKEN=$(portcullis mint --dev-vars .dev.vars --sub alice --aud api)
  portcullis mint --keys keys.json --sub alice --cnf-jkt 0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I
  portcullis mint --keys keys.json --sub svc --cnf-x5t 8d5f2e1c0b3a49586d7e6f5a4b3c2d1e0f1a2b3c4d5e6f708192a3b4c5d6e7f8")]
#[command(group(clap::ArgGroup::new("ring").required(true).args(["keys", "dev_vars"])))]
pub struct Args {
    /// The JWK Set file holding the signing key.
    #[arg(long, value_name = "FILE")]
    keys: Option<PathBuf>,
    /// Take the key ring from PORTCULLIS_KEYS in this dotenv file (`.dev.vars`), read as
    /// `check-config` reads it; the ring is never printed.
    #[arg(long = "dev-vars", value_name = "FILE")]
    dev_vars: Option<PathBuf>,
    /// Sign with this key instead of the set's signing key.
    #[arg(long, value_name = "KID")]
    kid: Option<String>,
    /// Subject (`sub`).
    #[arg(long, value_name = "SUB")]
    sub: String,
    /// Space-separated scopes (`scope`), e.g. "read write".
    #[arg(long, value_name = "SCOPES")]
    scope: Option<String>,
    /// Audience (`aud`); repeat for several.
    #[arg(long, value_name = "A")]
    aud: Vec<String>,
    /// Issuer (`iss`).
    #[arg(long, value_name = "I")]
    iss: Option<String>,
    /// Lifetime: `exp` = now + ttl.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = duration::parse)]
    ttl: u64,
    /// Refuse a ttl above this.
    #[arg(long, value_name = "DURATION", value_parser = duration::parse)]
    max_ttl: Option<u64>,
    /// An extra claim `name=value`; value is JSON if it parses as JSON (5, true,
    /// {"a":1}, "\"quoted\""), else a string. Registered claim names are refused.
    #[arg(long = "claim", value_name = "NAME=VALUE", value_parser = parse_claim)]
    claims: Vec<(String, Value)>,
    /// Bind the token to a DPoP key (RFC 9449): `cnf.jkt`, the key's RFC 7638 SHA-256
    /// thumbprint (base64url). The gate then takes it only as `Authorization: DPoP` with a proof
    /// signed by that key.
    #[arg(long = "cnf-jkt", value_name = "THUMBPRINT", conflicts_with = "cnf_x5t", value_parser = parse_sha256)]
    cnf_jkt: Option<String>,
    /// Bind the token to a client certificate (RFC 8705): `cnf.x5t#S256`, the certificate's
    /// SHA-256 as base64url, or as 64 hex digits (Cloudflare's certFingerprintSHA256).
    #[arg(long = "cnf-x5t", value_name = "HASH", value_parser = parse_sha256)]
    cnf_x5t: Option<String>,
}

/// A SHA-256 digest as base64url (43 characters), or as 64 hex digits converted to it.
fn parse_sha256(text: &str) -> Result<String, String> {
    if portcullis::sender::is_sha256_b64(text) {
        return Ok(text.to_owned());
    }
    let hex = portcullis::sender::mtls::ClientCert {
        fingerprint_sha256: text.to_owned(),
        ..Default::default()
    };
    hex.x5t_s256()
        .map_err(|_| "expected a SHA-256 digest: 43 base64url characters or 64 hex digits".into())
}

/// Parses `name=value`, the value as JSON when it is JSON.
fn parse_claim(text: &str) -> Result<(String, Value), String> {
    let Some((name, value)) = text.split_once('=') else {
        return Err("expected NAME=VALUE".into());
    };
    if name.is_empty() {
        return Err("the claim name is empty".into());
    }
    let value = match serde_json::from_str::<Value>(value) {
        // JSON: parse again strictly, so a duplicate member is an error, not a silent pick.
        Ok(_) => portcullis::codec::json::parse_value(value.as_bytes())
            .map_err(|p| format!("the value of claim {name:?} is ambiguous JSON ({p:?})"))?,
        Err(_) => Value::String(value.to_owned()),
    };
    Ok((name.to_owned(), value))
}

/// The key ring in the dotenv file's PORTCULLIS_KEYS. Errors name the file and setting,
/// never the value.
fn dev_vars_ring(path: &Path) -> Result<Keyring, Failure> {
    let text = dotenv::value(path, names::KEYS)?.ok_or_else(|| Failure::ConfigFile {
        path: path.to_owned(),
        line: None,
        reason: format!("{} is not set", names::KEYS),
    })?;
    Keyring::from_jwks(&text).map_err(|problem| Failure::KeyFile {
        path: path.to_owned(),
        problem,
    })
}

/// Runs `portcullis mint`.
pub fn run(args: Args) -> Result<(), Failure> {
    let ring = match (&args.keys, &args.dev_vars) {
        (Some(path), _) => keyfile::load(path)?,
        (None, Some(path)) => dev_vars_ring(path)?,
        (None, None) => return Err(Failure::Usage("give --keys or --dev-vars".into())),
    };
    let key = core::signing_key(&ring, args.kid.as_deref())?;
    if !key.signs() {
        eprintln!(
            "portcullis: note: signing with key {:?}, which is not the set's signing key",
            key.kid().unwrap_or_default()
        );
    }
    let mut extra = Map::new();
    for (name, value) in args.claims {
        if extra.insert(name.clone(), value).is_some() {
            return Err(Failure::Usage(format!("claim {name:?} is given twice")));
        }
    }
    let binding = match (args.cnf_jkt, args.cnf_x5t) {
        (Some(jkt), _) => Some(serde_json::json!({ "jkt": jkt })),
        (None, Some(x5t)) => Some(serde_json::json!({ "x5t#S256": x5t })),
        (None, None) => None,
    };
    if let Some(cnf) = binding {
        if extra.insert("cnf".to_owned(), cnf).is_some() {
            return Err(Failure::Usage(
                "give the binding with --cnf-jkt or --cnf-x5t, not also --claim cnf=...".into(),
            ));
        }
    }
    let mut aud = args.aud;
    let aud = match aud.len() {
        0 => None,
        1 => aud.pop().map(Audience::One),
        _ => Some(Audience::Many(aud)),
    };
    let req = MintRequest {
        sub: args.sub,
        scope: args.scope,
        aud,
        iss: args.iss,
        ttl: args.ttl,
        extra,
    };
    let minted = core::mint(key, &req, time::now(), args.max_ttl)?;
    input::print(&minted.token)
}
